"""The country of a number: libphonenumber's answer, with a shortcut that must not change it."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

from calls.writing import number_tails
from calls.writing.countries import CountryByPrefix, country_of, country_of_uncached


def _library(number: str) -> str | None:
    """libphonenumber read plainly: parse as E.164, then the region of the number."""
    try:
        parsed = phonenumbers.parse("+" + number, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return None if region in (None, "001") else region


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+14155550100", "US"),
        ("14155550100", "US"),
        ("+16135550123", "CA"),  # +1 is shared: the area code decides
        ("+18765550123", "JM"),
        ("+12005550100", None),  # no such area code: no country
        ("+442071234567", "GB"),
        ("+441481712345", "GG"),  # Guernsey shares +44
        ("+4930123456", "DE"),
        ("+33144556677", "FR"),
        ("+2348031234567", "NG"),
        ("sip:+61291234567@trunk.example.com;transport=tls", "AU"),
        ("+80012345678", None),  # international freephone: no country
        ("02071234567", None),  # a national number is not E.164
        ("sip:alice@example.com", None),
        ("anonymous", None),
        ("", None),
        ("+", None),
        ("+٤٤٢٠٧١٢٣٤٥٦٧", None),  # Arabic-Indic digits are not E.164 digits
    ],
)
def test_known_numbers_get_their_country(number, country):
    assert country_of(number) == country


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.sampled_from(["1", "7", "20", "33", "39", "44", "49", "61", "81", "91", "234",
                            "262", "290", "358", "590", "599", "800", "882", "999"]),
    rest=st.text("0123456789", min_size=3, max_size=12),
)  # fmt: skip
def test_it_agrees_with_the_library_read_plainly(prefix, rest):
    assert country_of(prefix + rest) == _library(prefix + rest)


# --- remembered by leading digits (calls/writing/number_tails.py) ----------------------------
SHARED = sorted(code for code, regions in COUNTRY_CODE_TO_REGION_CODE.items() if len(regions) > 1)
# Real numbers of every region of a shared code (random digits rarely make a valid one),
# from libphonenumber's own examples of each number type.
EXAMPLES = sorted(
    {
        f"{code}{phonenumbers.national_significant_number(example)}"
        for code in SHARED
        for region in COUNTRY_CODE_TO_REGION_CODE[code]
        for kind in range(12)
        if (example := phonenumbers.example_number_for_type(region, kind)) is not None
    }
)
DIGITS = "0123456789"


@settings(max_examples=500, deadline=None)
@given(
    base=st.one_of(
        st.sampled_from(EXAMPLES),
        st.builds(lambda code, rest: f"{code}{rest}", st.sampled_from(SHARED),
                  st.text(DIGITS, min_size=1, max_size=14)),
    ),
    changes=st.lists(
        st.tuples(st.integers(0, 16), st.text(DIGITS, max_size=16), st.integers(-1, 1)),
        min_size=1, max_size=12,
    ),
)  # fmt: skip
def test_a_cache_by_prefix_gives_every_number_the_librarys_country(base, changes):
    """A fresh cache is asked a number, then numbers that share all but their last digits
    with it (the same length, or one digit more or less): each gets libphonenumber's
    answer for itself, whichever number filled the entry it read."""
    cache = CountryByPrefix()
    numbers = [base]
    for kept_back, digits, stretch in changes:
        keep = max(0, len(base) - kept_back)
        size = max(0, len(base) - keep + stretch)
        numbers.append(base[:keep] + (digits * 17)[:size] if digits else base[:keep] + "5" * size)
    for number in numbers:
        assert cache.country_of(number) == country_of_uncached(number)


def test_an_exchange_of_a_shared_code_is_a_few_entries():
    """10,000 numbers of one NANP exchange are a few parses: the cache holds leading digits
    (+1's patterns leave the last 3 of 10 national digits free)."""
    cache = CountryByPrefix()
    countries = {cache.country_of(f"+1415555{n:04d}") for n in range(10_000)}
    assert countries == {"US"}
    assert len(cache.answers) <= 10


@pytest.mark.parametrize(
    ("pattern", "length", "free"),
    [
        (r"\d{6}", 6, number_tails.ALL),  # every string of that length
        (r"[2-9]\d{6}", 7, 6),
        (r"80[08]\d{7}|800\d{6}|8001111", 9, 6),  # only the 9-digit branch matters
        (r"80[08]\d{7}|800\d{6}|8001111", 7, 0),  # a literal number: nothing is free
        (r"(?:2\d|3[0-4])\d{4}", 6, 4),
        (r"12\d{2,4}", 5, 3),  # "12" then any 3 digits
        (r"8\d+", 7, 6),  # an unbounded repeat
        (r"1(?:2\d)*", 5, 1),  # "12x2y": only the last digit is free
        (r"\d{3}$", 3, 0),  # an anchor: nothing is proved
        (r"(?=1)\d{4}", 4, 0),  # a lookahead: nothing is proved
    ],
)
def test_a_patterns_free_tail(pattern, length, free):
    assert number_tails.tail(pattern, length) == free
