"""The country of a number, as Plivo's `from_country` / `to_country` give it (ISO 3166
alpha-2), derived with Google's libphonenumber (the `phonenumbers` package).

A number is read as E.164 digits with or without the `+` (Plivo records `14155550100`),
or as the user part of a SIP URI; anything else (a national number, a SIP name) has no
country. A country code that belongs to one region alone (+49, +33, +91…) is answered
from the library's own table without parsing; the shared codes (+1, +44, +61, +7…) are
parsed and matched against each region's numbering plan (~30-140 µs), so an unassigned
number there has no country. Those answers are remembered by the number's leading digits
and its length: number_tails.py proves, from the library's own patterns, how many
trailing digits it cannot tell apart, so every number of a key gets the answer
libphonenumber gives it (tests/calls/test_countries.py checks that, number by number).
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, NumberParseException

from calls.models import normalise_number
from calls.writing.number_tails import free_digits, strip_of

NON_GEOGRAPHIC = "001"  # +800, +870, …: no country
_UNKNOWN = object()


class CountryByPrefix:
    """country_of with shared-code answers remembered by (leading digits, length);
    bounded, emptied when full (the keys are few: area codes and exchanges, not numbers)."""

    def __init__(self, limit: int = 1 << 16) -> None:
        self.limit = limit
        self.answers: dict[tuple[str, int], str | None] = {}

    def country_of(self, number: str) -> str | None:
        return _country(number, self)

    def shared(self, digits: str, code_size: int) -> str | None:
        """The region of `digits` (E.164, a shared code of `code_size` digits)."""
        code, national = int(digits[:code_size]), digits[code_size:]
        free = free_digits(code, len(national), *strip_of(code, national))
        key = (digits[: len(digits) - free], len(digits))
        found = self.answers.get(key, _UNKNOWN)
        if found is _UNKNOWN:
            if len(self.answers) >= self.limit:
                self.answers.clear()
            found = self.answers[key] = _parsed_region(digits)
        return found  # type: ignore[return-value]


_BY_PREFIX = CountryByPrefix()


@lru_cache(maxsize=1 << 16)
def country_of(number: str) -> str | None:
    """`+14155550100` -> "US", `442071234567` -> "GB", `sip:bob@host` -> None."""
    return _BY_PREFIX.country_of(number)


def country_of_uncached(number: str) -> str | None:
    """country_of without its caches: libphonenumber's answer for this number alone."""
    return _country(number, None)


def _country(number: str, by_prefix: CountryByPrefix | None) -> str | None:
    digits = normalise_number(number)
    if not (digits.isascii() and digits.isdigit() and 4 <= len(digits) <= 17):
        return None
    if digits[0] == "0":  # a national number (a trunk prefix), not E.164
        return None
    for size in (1, 2, 3):
        regions = COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size]))
        if regions:
            break
    else:
        return None
    if len(regions) == 1:
        region = regions[0]
        return region if region != NON_GEOGRAPHIC else None
    if by_prefix is not None:
        return by_prefix.shared(digits, size)
    return _parsed_region(digits)


def _parsed_region(digits: str) -> str | None:
    """The region libphonenumber gives "+digits" (a shared country code), None if none."""
    try:
        parsed = phonenumbers.parse("+" + digits, None)
    except NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return region if region and region != NON_GEOGRAPHIC else None
