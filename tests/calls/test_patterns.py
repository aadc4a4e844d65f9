"""The schema's patterns against the parsers they describe, both ways.

A value a pattern admits must parse, and a value it refuses must be refused; the schema
serves each as ^(?:...)$, which ECMA 262 reads as a full match (fullmatch here).
"""

import re
import sys
from itertools import product
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.carrierx import conditions as filters
from calls.carrierx import filter_language as filter_parser
from calls.carrierx import filter_pattern
from calls.carrierx.filter_language import MAX_CONDITIONS
from calls.query import patterns
from calls.query.values import parse_int, parse_number_prefix, parse_utc_datetime, parse_uuid


def _accepts(parser, raw: str) -> bool:
    try:
        parser(raw)
    except ValueError:
        return False
    return True


def _full(pattern: str):
    return re.compile(pattern).fullmatch


UTC_DATETIME = _full(patterns.UTC_DATETIME)


# --- dates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["0000-00-00T00:00", "2026-02-30 10:00", "2023-02-29 10:00",
                                 "1900-02-29 10:00", "2024-04-31 10:00", "2024-01-01 24:00",
                                 "2024-01-01 23:60", "2024-01-01 23:59:60", "0000-01-01 00:00",
                                 "2024-13-01 00:00", "2024-01-01 00:00:00.1234567"])  # fmt: skip
def test_the_date_pattern_refuses_what_is_not_a_real_time(raw):
    assert not UTC_DATETIME(raw) and not _accepts(parse_utc_datetime, raw)


@pytest.mark.parametrize(
    "raw", ["2024-02-29 10:00", "2000-02-29T00:00", "0001-01-01 00:00",
            "9999-12-31 23:59:59.999999", "2026-11-20T14:18:35.1"],
)  # fmt: skip
def test_the_date_pattern_takes_real_times(raw):
    assert UTC_DATETIME(raw) and _accepts(parse_utc_datetime, raw)


def test_the_date_pattern_knows_every_year_s_calendar():
    days = [(2, 28), (2, 29), (2, 30), (1, 31), (1, 32), (4, 30), (4, 31), (12, 31), (13, 1),
            (0, 1), (1, 0)]  # fmt: skip
    for year, (month, day) in product(range(10000), days):
        raw = f"{year:04d}-{month:02d}-{day:02d} 00:00"
        assert bool(UTC_DATETIME(raw)) == _accepts(parse_utc_datetime, raw), raw


def test_the_date_pattern_knows_every_time_of_day():
    for hour, minute in product(range(100), range(100)):
        for tail in ("", f":{minute:02d}", f":{minute:02d}.5"):
            raw = f"2024-02-29T{hour:02d}:{minute:02d}{tail}"
            assert bool(UTC_DATETIME(raw)) == _accepts(parse_utc_datetime, raw), raw


_DATE_LIKE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?\n?"


@given(st.from_regex(_DATE_LIKE, fullmatch=True))
def test_the_date_pattern_agrees_with_the_parser(raw):
    assert bool(UTC_DATETIME(raw)) == _accepts(parse_utc_datetime, raw)


# --- numbers, uuids --------------------------------------------------------------------------
@given(st.from_regex(r"-?[0-9]{1,11}|[0-9a-z +.-]{0,4}", fullmatch=True))
def test_the_int32_pattern_agrees_with_the_parser(raw):
    assert bool(_full(patterns.INT32)(raw)) == _accepts(parse_int, raw)


@pytest.mark.parametrize("raw", ["2147483647", "-2147483647", "0000000001", "-0", "1999999999"])
def test_the_int32_pattern_takes_the_bounds(raw):
    assert _full(patterns.INT32)(raw) and _accepts(parse_int, raw)


@pytest.mark.parametrize("raw", ["2147483648", "-2147483648", "02147483647", "9999999999", ""])
def test_the_int32_pattern_refuses_past_the_bounds(raw):
    assert not _full(patterns.INT32)(raw) and not _accepts(parse_int, raw)


@given(st.from_regex(r"[0-9a-fA-FgG{}-]{30,38}", fullmatch=True))
def test_the_uuid_pattern_agrees_with_the_parser(raw):
    assert bool(_full(patterns.UUID)(raw)) == _accepts(parse_uuid, raw)


@given(st.text(alphabet="+1aZ-_.!~*'()&=$,;?/%@ é", max_size=130))
def test_the_number_pattern_agrees_with_the_parser(raw):
    fits = bool(_full(patterns.NUMBER)(raw)) and len(raw) <= 128  # maxLength 128
    assert fits == _accepts(parse_number_prefix, raw)


# --- the tables the filter pattern is built on ----------------------------------------------
def test_the_whitespace_class_is_what_str_isspace_takes():
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    matched = re.compile(f"[{patterns.WHITESPACE}]").fullmatch
    assert {c for c in map(chr, range(sys.maxunicode + 1)) if matched(c)} == spaces


def test_any_case_is_what_str_lower_takes():
    letters = "abcdefghijklmnopqrstuvwxyz"
    lowering = {letter: set() for letter in letters}
    for c in map(chr, range(sys.maxunicode + 1)):
        if (low := c.lower()) in lowering:
            lowering[low].add(c)
    for letter in letters:
        cases = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m[1], 16)), patterns.cases(letter))
        assert set(cases) == lowering[letter]


# --- the filter language ---------------------------------------------------------------------
FILTER = _full(filter_pattern.FILTER)


def _server_takes(text: str, *, caps: bool = True) -> bool:
    """parse and apply, as the view does, but the clock-bound date_stop range rules;
    without the size caps the pattern leaves to the description if `caps` is false."""
    limits = {"MAX_CONDITIONS": MAX_CONDITIONS, "MAX_LENGTH": filter_parser.MAX_LENGTH}
    if not caps:
        limits = dict.fromkeys(limits, sys.maxsize)
    try:
        with mock.patch.multiple(filter_parser, **limits):
            conditions = filter_parser.parse(text)
        filters.parse_conditions(conditions)  # builds the conditions, runs nothing
    except filter_parser.FilterSyntaxError:
        return False
    return True


def _schema_takes(text: str) -> bool:
    return bool(FILTER(text))


@pytest.mark.parametrize(
    "text",
    ["direction eq inbound", "direction EQ inbound AND price Gt 0", "cic ne NuLl",
     "date_stop ge 2026-11-01T00:00:00.000Z and date_stop lt '2026-11-15 00:00'",
     "codec_src in (pcmu,g722) and cic eq null", "codec_src nin ( 'pcmu' , \"g 722\" )",
     "user_data.team eq 'night shift'", "user_data.a-b ilike %x%", "identity eq 'O''Brien'",
     'identity eq "say ""hi"""', "cic eq'x'and cic eq\"y\"", "cic eq and and cic eq x",
     "cic\u3000eq\x85x", "cic li\u212ae x", "transcoded eq TRUE", "transcoded in ('false')",
     "version in (1, '2' ,-3)", "version eq 2147483647", "duration_billing eq 0000000001",
     "dr_sid eq null", "price lt -0.5", "date_stop eq 2024-02-29T10:00", " cic eq x \n",
     "cic eq " + "a" * 256, "cic eq '" + "''" * 256 + "'",
     " and ".join(["cic eq 1"] * MAX_CONDITIONS)],
)  # fmt: skip
def test_the_filter_pattern_takes_what_the_server_takes(text):
    assert _server_takes(text) and _schema_takes(text)


@pytest.mark.parametrize(
    "text",
    ["", "0", "x eq y", "cic eq", "cic eq x and", "cic eq x and ", " and cic eq x",
     "direction eq yand cic eq 1", "cic like null", "cic in ()", "cic in (null)", "cic in (a b)",
     "cic in (a,)", "cic eq (", "cic eq x or cic eq y", "cic eq 'x", "cic eq 1\x00",
     "transcoded gt true", "dr_sid eq 0000000000000000000000000000000g", "price eq 1.",
     "date_stop eq 2023-02-29T10:00", "date_stop eq 2024-02-29T10:00Z", "user_data eq x",
     "version eq 2147483648", "version eq 02147483647", "cic eq " + "a" * 257,
     "cic eq '" + "a" * 257 + "'", "cic like 'x' and", "(cic eq x)"],
)  # fmt: skip
def test_the_filter_pattern_refuses_what_the_server_refuses(text):
    assert not _server_takes(text) and not _schema_takes(text)


# Pieces a near miss is made of: the filter's own punctuation, keywords and value shapes.
_PIECES = [
    *" \t\u3000'\"(),aAnNdDlLkK\u212a0123456789-:.TZ_%\x00",
    *("null", " and ", "eq", "in", "''", "2024-02-29", "cic", "user_data.x", "version"),
]
_EDITS = st.lists(
    st.tuples(st.integers(0, 10_000), st.sampled_from(["insert", "delete", "replace"]),
              st.sampled_from(_PIECES)),
    max_size=3,
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(re.compile(filter_pattern.FILTER), fullmatch=True), _EDITS)
def test_the_filter_pattern_and_the_server_agree_on_near_misses(text, edits):
    assert _server_takes(text, caps=False), text
    for at, edit, piece in edits:
        at %= len(text) + 1
        if edit == "insert":
            text = text[:at] + piece + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
        assert _server_takes(text, caps=False) == _schema_takes(text), text
