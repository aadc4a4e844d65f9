"""The Plivo list parameters' catalogue, derived from their table (calls/plivo/parameters.py).

Every filter of every product's path takes the values of its kind (200) and refuses the
others with a 400 in Plivo's shape whose sentence names it and says what it expects, so
a new row in the table is checked here without a line of this file. The catalogue is per
kind of value; random values against the whole schema are the fuzz test's
(tests/api/test_fuzz.py). Which calls each filter finds: tests/api/test_plivo_filters.py.
"""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.counting import hourly as counts
from calls.plivo import parameters
from calls.query import filter_fields as kinds
from calls.vocabulary.choices import PRODUCTS, VOICE

pytestmark = pytest.mark.django_db

_TIME_FORMATS = "YYYY-MM-DD HH:MM, YYYY-MM-DD HH:MM:ss or YYYY-MM-DD HH:MM:ss.uuuuuu (UTC)"
_INJECTION = "' OR '1'='1"


@dataclass(frozen=True)
class Kind:
    """Values a kind of filter takes, and values it refuses with the sentence its 400 gives."""

    takes: tuple[str, ...]
    refuses: tuple[tuple[str, str], ...]


EMPTY = ("", "the value is empty")  # present but empty: a client's bug, never "no filter"


def _whole(raw: str) -> tuple[str, str]:
    return raw, f"expected a whole number from 0 to 2147483647, got {raw!r}"


def _integer(raw: str) -> tuple[str, str]:
    return raw, f"expected a whole number, got {raw!r}"


def _time(raw: str) -> tuple[str, str]:
    return raw, f"expected a UTC time as {_TIME_FORMATS}, got {raw!r}"


def _number(raw: str) -> tuple[str, str]:
    sentence = "expected digits with an optional leading + or the user part of a SIP URI"
    return raw, f"{sentence}, got {raw[:40]!r}"


# Times a day before the clock of the `frozen` fixture: inside the window of any bound.
CATALOGUE = {
    kinds.UIntFilter: Kind(
        takes=("0", "60", "0000000001", "2147483647"),
        refuses=(*map(_whole, ["-1", "1.5", "abc", "\u0661\u0662", "\uff11", "2147483648",
                               "99999999999", "1e9", "0x10", " 1", _INJECTION]), EMPTY),
    ),
    kinds.IntFilter: Kind(
        takes=("-1", "0", "4000", "-0", "2147483647", "-2147483647"),
        refuses=(*map(_integer, ["normal", "1.0", "+1", "2147483648", "-2147483648",
                                 "99999999999", "\u0661", "NaN", _INJECTION]), EMPTY),
    ),
    kinds.UTCDateTimeFilter: Kind(
        takes=("2026-11-19 12:00", "2026-11-19T12:00", "2026-11-19 12:00:30",
               "2026-11-19 12:00:30.5", "2026-11-19T12:00:30.123456"),
        refuses=(*map(_time, ["yesterday", "2026-11-19", "2026-11-19 10:00+02:00",
                              "2026-11-19T10:00Z", "2026-11-19 10:00:00.1234567",
                              "1732000000", _INJECTION]),
                 *[(raw, f"{raw!r} is not a real date and time")
                   for raw in ["2026-02-30 10:00", "0000-01-01 00:00", "2026-11-20T25:61",
                               "2026-13-01 00:00"]],
                 EMPTY),
    ),
    kinds.UUIDFilter: Kind(
        takes=("eba53b9e-8fbd-45c1-9444-696d2172fbc8", "EBA53B9E8FBD45C19444696D2172FBC8"),
        refuses=(*[(raw, f"expected a UUID, got {raw[:40]!r}") for raw in [
            "not-a-uuid", "{eba53b9e-8fbd-45c1-9444-696d2172fbc8}",
            "urn:uuid:eba53b9e-8fbd-45c1-9444-696d2172fbc8", "eba53b9e8fbd45c19444696d2172fbcg",
            _INJECTION]], EMPTY),
    ),
    kinds.NumberPrefixFilter: Kind(
        takes=("1415", "+1415", "14155550100", "alice", "_", "null", "-1",
               "a-_.!~*'()&=+$,;?/", "1" * 128),
        refuses=(*map(_number, ["1415 555", "\u0661\u0664\u0661\u0665", "alice@example.com",
                                "1415%", "sip:alice@example.com", "1" * 129, "<b>",
                                _INJECTION]), EMPTY),
    ),
}  # fmt: skip


def _choice(filter_) -> Kind:
    """A choice takes its words and their aliases, and lists the words when refusing."""
    words, aliases = filter_.extra["choices"], filter_.extra.get("aliases", {})
    listed = ", ".join(words)
    refused = ["sideways", words[0].upper(), f" {words[0]}", "", _INJECTION]
    return Kind(
        takes=(*words, *aliases),
        refuses=tuple((raw, f"expected one of {listed}; got {raw!r}") for raw in refused),
    )


def _kind(filter_) -> Kind:
    if isinstance(filter_, kinds.StrictChoiceFilter):
        return _choice(filter_)
    return CATALOGUE[type(filter_)]


ROWS = [pytest.param(product, row, id=f"{product}-{row.name}")
        for product in PRODUCTS for row in parameters.PARAMETERS
        if product in row.products]  # fmt: skip


@pytest.mark.parametrize(("product", "row"), ROWS)
def test_each_filter_takes_its_kinds_values_and_refuses_others_naming_itself(
    plivo, main_account, frozen, product, row
):
    zentrunk = product != VOICE
    for name, filter_ in row.filters(product).items():
        kind = _kind(filter_)
        for raw in kind.takes:
            response = plivo(main_account, zentrunk=zentrunk, **{name: raw})
            assert response.status_code == 200, (name, raw, response.content)
        for raw, says in kind.refuses:
            response = plivo(main_account, zentrunk=zentrunk, **{name: raw})
            assert response.status_code == 400, (name, raw, response.content)
            body = response.json()
            assert set(body) == {"api_id", "error"}
            assert body["error"] == f"Invalid {name}: {says}.", (name, raw)


def test_every_kind_in_the_table_has_a_catalogue():
    used = {row.kind for row in parameters.PARAMETERS}
    assert used - {kinds.StrictChoiceFilter} <= set(CATALOGUE)


# The list's other parameters (calls/plivo/views.py, calls/query/scope.py, cursor.py).
OTHERS = [
    ({"limit": "0"}, "Invalid limit: expected a whole number from 1 to 20."),
    ({"limit": "21"}, "Invalid limit: expected a whole number from 1 to 20."),
    ({"limit": "ten"}, "Invalid limit: expected a whole number from 1 to 20."),
    ({"limit": ""}, "Invalid limit: expected a whole number from 1 to 20."),
    ({"offset": "-1"}, "Invalid offset: expected a whole number from 0 to 2147483647."),
    ({"offset": "2147483648"}, "Invalid offset: expected a whole number from 0 to 2147483647."),
    ({"subaccount": "MA123"},
     "Invalid subaccount: expected SA followed by 18 letters or digits, got 'MA123'."),
    ({"cursor": "garbage"},
     "The cursor is malformed or was altered; start again from the first page."),
    ({"status": "completed"}, None),  # unknown: the sentence lists the accepted names
    ({"call_direction": ["inbound", "outbound"]},
     "The parameter 'call_direction' was given more than once."),
]  # fmt: skip


@pytest.mark.parametrize(("params", "says"), OTHERS, ids=[str(p)[:50] for p, _ in OTHERS])
def test_the_other_parameters_and_the_request_as_a_whole(plivo, main_account, frozen, params, says):
    response = plivo(main_account, **params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"api_id", "error"}
    if says is None:
        accepted = {*parameters.filters(VOICE), *parameters.PAGING, "subaccount"}
        says = (f"Unknown parameter 'status'; accepted parameters are: "
                f"{', '.join(sorted(accepted))}.")  # fmt: skip
    assert body["error"] == says


def test_with_several_bad_values_the_first_in_the_tables_order_is_named(
    plivo, main_account, frozen
):
    response = plivo(main_account, parent_call_uuid="x", from_number="x y", bill_duration__lt="x")
    assert response.json()["error"].startswith("Invalid bill_duration__lt: ")


# --- the counts' dimensions the table declares reach the core ------------------------------
def test_each_dimension_in_the_table_is_one_the_hourly_counts_have():
    declared = {row.dimension for row in parameters.PARAMETERS if row.dimension}
    assert declared == {"answered", "call_direction"}
    assert declared <= set(counts.DIMENSIONS)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("params", "hourly"),
    [({}, True), ({"call_direction": "inbound"}, True), ({"bill_duration__gt": "0"}, True),
     ({"bill_duration": "0", "call_direction": "outbound"}, True),
     ({"bill_duration__gte": "60"}, False), ({"hangup_cause_code": "4000"}, False),
     ({"from_number": "1"}, False)],
)  # fmt: skip
def test_a_total_the_hourly_counts_can_give_is_read_from_them(
    plivo, main_account, frozen, params, hourly
):
    """The product, the direction and "answered or not" are the count table's dimensions
    (docs/performance.md): a total restricted by nothing else sums its hours; any other
    filter is counted from the remembered filter counts."""
    with CaptureQueriesContext(connection) as queries:
        assert plivo(main_account, **params).status_code == 200
    (statement,) = [q["sql"] for q in queries.captured_queries if "LATERAL" in q["sql"]]
    assert ("calls_hour_count" in statement and "calls_count_memo" not in statement) is hourly
