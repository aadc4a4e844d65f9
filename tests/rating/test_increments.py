"""The billing increment: "first/next" parsing and the rounding, against a plain reference."""

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calls.vocabulary.increments import IncrementError, amount, billed_seconds, parse_increment


def reference_billed(seconds: int, first: int, step: int) -> int:
    """The carriers' rule, written the obvious way: the first interval whole, then the rest
    rounded up to whole steps."""
    if seconds == 0:
        return 0
    rest = max(seconds - first, 0)
    return first + math.ceil(rest / step) * step


@given(
    seconds=st.integers(0, 86_400 * 2),
    first=st.integers(1, 3600),
    step=st.integers(1, 3600),
)
def test_billed_seconds_match_the_reference(seconds, first, step):
    billed = billed_seconds(seconds, first, step)
    assert billed == reference_billed(seconds, first, step)
    assert billed >= seconds
    assert seconds == 0 or (billed - first) % step == 0


@pytest.mark.parametrize(
    ("seconds", "increment", "billed"),
    [
        (0, "60/60", 0), (1, "60/60", 60), (60, "60/60", 60), (61, "60/60", 120),
        (61, "1/1", 61), (1, "30/6", 30), (30, "30/6", 30), (31, "30/6", 36),
        (61, "30/6", 66), (924, "60/60", 960),
    ],
)  # fmt: skip
def test_billed_seconds_by_example(seconds, increment, billed):
    assert billed_seconds(seconds, *parse_increment(increment)) == billed


def test_amount_is_billed_minutes_times_the_rate_to_five_decimals():
    assert amount(960, Decimal("0.0085")) == Decimal("0.13600")
    assert amount(66, Decimal("0.01")) == Decimal("0.01100")
    assert amount(1, Decimal("0.00001")) == Decimal("0.00000")  # half up of 0.000000166
    assert amount(0, Decimal("5")) == Decimal("0.00000")


@pytest.mark.parametrize(
    "text", ["60", "60/", "/60", "0/60", "60/0", "a/b", "60/60/60", "3601/1", "-1/1", ""]
)
def test_malformed_increments_are_refused_with_a_reason(text):
    with pytest.raises(IncrementError, match="increment"):
        parse_increment(text)


def test_an_increment_may_have_spaces_around_it():
    assert parse_increment(" 30/6 ") == (30, 6)
