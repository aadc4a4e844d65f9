"""The country of a number, as Plivo's `from_country` / `to_country` give it (ISO 3166
alpha-2), derived with Google's libphonenumber (the `phonenumbers` package).

A number is read as E.164 digits with or without the `+` (Plivo records `14155550100`),
or as the user part of a SIP URI; anything else (a national number, a SIP name) has no
country. Parsing costs ~30 µs, so results are cached per number, and a country code that
belongs to one region alone (+49, +33, +91…) is answered from the library's own table
without parsing; the shared codes (+1, +44, +61, +7…) are parsed and matched against
each region's numbering plan, so an unassigned number there has no country.
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, NumberParseException

from calls.models import normalise_number

NON_GEOGRAPHIC = "001"  # +800, +870, …: no country


@lru_cache(maxsize=1 << 16)
def country_of(number: str) -> str | None:
    """`+14155550100` -> "US", `442071234567` -> "GB", `sip:bob@host` -> None."""
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
    else:
        try:
            parsed = phonenumbers.parse("+" + digits, None)
        except NumberParseException:
            return None
        region = phonenumbers.region_code_for_number(parsed)
    return region if region and region != NON_GEOGRAPHIC else None
