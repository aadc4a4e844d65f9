"""CarrierX like / ilike patterns: `%` any run, `_` any one character, a backslash makes
the next character literal, a lone trailing backslash is a 400; the same on both
databases, checked against a plain Python matcher."""

import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calls.store.lookups import LikePatternError, check_pattern, to_glob, to_like
from tests.factories import CallFactory

pytestmark = pytest.mark.django_db
URL = "/core/v2/calls/call_drs"
# Values full of the characters LIKE and GLOB treat specially (ASCII: SQLite folds only
# ASCII case, so ilike agrees on both databases for these).
VALUES = ["ab", "aXb", "a%b", "a_b", "a\\b", "a*b", "a?b", "[a]", "AB", "a", "", "%", "\\",
          "a\\%b", "ab%", "x[y]z"]  # fmt: skip
ALPHABET = ["a", "b", "B", "%", "_", "\\", "*", "?", "[", "]"]


@pytest.fixture
def dataset(main_account):
    return [CallFactory(account=main_account, sipcallid_src=v) for v in VALUES]


def _get(client, secret, expr):
    return client.get(URL, {"filter": expr, "limit": "1000"}, HTTP_AUTHORIZATION=f"Bearer {secret}")


def _reference(pattern: str, value: str, ignore_case: bool) -> bool:
    """The documented semantics, written as a Python regular expression."""
    out, chars = [], iter(pattern)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars)))
        else:
            out.append({"%": ".*", "_": "."}.get(ch) or re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch("".join(out), value, flags) is not None


def _valid(pattern: str) -> bool:
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    return trailing % 2 == 0


@pytest.mark.parametrize("op", ["like", "ilike"])
@pytest.mark.parametrize("field", ["sipcallid_src", "user_data.team"])
@pytest.mark.parametrize("pattern", ["\\", "a\\", "%\\", "a\\\\\\"])
def test_a_pattern_ending_in_a_lone_backslash_is_a_400_naming_the_field(
    main_account, bearer, dataset, op, field, pattern
):
    CallFactory(account=main_account, user_data={"team": "a\\"})
    _, secret = bearer(main_account)
    response = _get(Client(), secret, f"{field} {op} '{pattern}'")
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["field"] == field and "backslash" in error["message"]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pattern=st.lists(st.sampled_from(ALPHABET), max_size=5).map("".join),
       op=st.sampled_from(["like", "ilike"]))  # fmt: skip
def test_patterns_match_what_a_plain_python_matcher_matches(
    main_account, bearer, dataset, pattern, op
):
    _, secret = bearer(main_account)
    response = _get(Client(), secret, f"sipcallid_src {op} '{pattern}'")
    if not _valid(pattern):
        assert response.status_code == 400, (pattern, response.content)
        return
    assert response.status_code == 200, (pattern, response.content)
    found = sorted(item["sipcallid_src"] for item in response.json()["items"])
    expected = sorted(v for v in VALUES if _reference(pattern, v, op == "ilike"))
    assert found == expected, pattern


def test_the_pattern_is_rewritten_with_only_the_escapes_it_needs():
    assert to_like("a\\%b%") == "a\\%b%"
    assert to_like("\\a_\\_") == "a_\\_"
    assert to_like("\\\\") == "\\\\"
    assert to_glob("a\\%b%_*?[") == "a%b*?[*][?][[]"
    for bad in ["\\", "ab\\", "\\\\\\"]:
        with pytest.raises(LikePatternError):
            check_pattern(bad)
