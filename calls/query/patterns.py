"""Regular expressions saying exactly what the query parsers accept, for the OpenAPI schema.

OpenAPI's `pattern` is an ECMA 262 regular expression; these are written in the part of
the syntax ECMA 262 and Python's `re` read alike (no `\\d`, `\\s`, `\\Z`, lookarounds or
named groups), so schemathesis, a generated client and our tests all see the same set.
tests/calls/test_patterns.py holds each one against the parser it describes, both ways: a
value the pattern admits is parsed, a value it refuses is refused.
"""

from __future__ import annotations

from calls.query.values import INT32_MAX, NUMBER, UUID  # noqa: F401 (the parsers' own)

# --- dates: only real calendar dates, years 0001-9999 (datetime.fromisoformat's range) --
_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
# Divisible by 4 and not by 100, or by 400 (year 0000 is not a year).
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
DATE = (
    rf"(?:{_YEAR}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    rf"|{_LEAP_YEAR}-02-29)"
)
_HH_MM = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
_SS = r":[0-5][0-9]"
_FRACTION = r"\.[0-9]{1,6}"
# calls.query.values.parse_utc_datetime: YYYY-MM-DD HH:MM[:ss[.uuuuuu]], T for the space.
UTC_DATETIME = rf"{DATE}[ T]{_HH_MM}(?:{_SS}(?:{_FRACTION})?)?"
# The CarrierX filter also takes the CDR object's own form, with seconds and a Z
# (2026-11-20T14:18:35.000Z); unquoted, the T form only (a space would end the word).
UTC_DATETIME_OR_Z = (
    rf"{DATE}(?:[ T]{_HH_MM}(?:{_SS}(?:{_FRACTION})?)?|T{_HH_MM}{_SS}(?:{_FRACTION})?Z)"
)
UTC_DATETIME_T_OR_Z = rf"{DATE}T{_HH_MM}(?:{_SS}(?:{_FRACTION})?Z?)?"

# UUID (calls.query.values.parse_uuid) and NUMBER (parse_number_prefix, at most
# NUMBER_MAX_LENGTH characters: the schema's maxLength) are the parsers' own, imported above.


def digits_up_to(limit: int) -> str:
    """1 to len(str(limit)) ASCII digits, leading zeros allowed, worth at most `limit`."""
    top = str(limit)
    longest = [top]  # as many digits as the limit: compared digit by digit
    for at, digit in enumerate(top):
        if digit != "0":
            below = "0" if digit == "1" else f"[0-{int(digit) - 1}]"
            longest.append(f"{top[:at]}{below}[0-9]{{{len(top) - at - 1}}}")
    shorter = f"[0-9]{{1,{len(top) - 1}}}" if len(top) > 1 else None
    return "(?:" + "|".join(filter(None, [shorter, *longest])) + ")"


# calls.query.values.parse_int and the filter's whole numbers: -?[0-9]{1,10}, |n| <= INT32_MAX.
INT32 = rf"-?{digits_up_to(INT32_MAX)}"

# Characters str.isspace() accepts: what the filter tokenizer skips between tokens.
WHITESPACE = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Characters other than the ASCII letters whose str.lower() is an ASCII letter.
_LOWERS_TO = {"k": r"\u212a"}  # KELVIN SIGN


def cases(letter: str) -> str:
    """The characters whose str.lower() is this ASCII letter, for a character class."""
    return f"{letter}{letter.upper()}{_LOWERS_TO.get(letter, '')}"


def any_case(word: str) -> str:
    """`word` as str.lower() compares it: `eq` is [eE][qQ]."""
    return "".join(f"[{cases(ch)}]" if ch.isalpha() else ch for ch in word)


def anchored(pattern: str) -> str:
    return f"^(?:{pattern})$"
