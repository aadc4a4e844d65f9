"""The country of a number: libphonenumber's answer, with a shortcut that must not change it."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calls.writing.countries import country_of


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
