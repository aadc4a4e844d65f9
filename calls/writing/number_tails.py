"""How many trailing digits of a number libphonenumber cannot tell apart, proved from its
own patterns: what lets countries.py cache a country by a number's leading digits.

A shared country code (+1, +44, +7…) is resolved by regular expressions over the national
number: the main region's national-prefix rule (a prefix match, which parse may strip or
transform), each region's leading digits (a prefix match) and number-type patterns (full
matches), beside checks of the length alone. Those patterns end in free digits
(`…[2-9]\\d{6}`). Among digit strings of one length, a pattern is *m-tail-free* when
changing the last m digits never changes whether it matches. `Lengths` holds, for each
length a pattern can match, such an m, computed from the pattern's parse tree by the proof
steps below; what they do not cover (anchors, lookarounds, back-references, atomic groups)
proves nothing, and the whole number is then the key. The one premise outside the
metadata: parse's own patterns (viability, extensions) treat every ASCII digit alike,
which tests/calls/test_countries.py checks against the library, number by number.
"""

from __future__ import annotations

import math
import re
from functools import cache

from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

try:  # Python 3.11+: the parser behind re.compile
    from re import _constants as C  # type: ignore[attr-defined]
    from re import _parser as parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse as parser  # type: ignore[no-redef]

ALL = math.inf  # every digit string of that length matches: any m is free
DIGITS = frozenset("0123456789")
LONGEST = 17  # E.164 digits, country code included: no national number is longer
# Every PhoneNumberDesc a region's metadata holds: more than parse and region lookup read
# (the number types, the general one), which only makes the bound safer.
DESCS = (
    "general_desc", "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
    "personal_number", "voip", "pager", "uan", "emergency", "voicemail", "short_code",
    "standard_rate", "carrier_specific", "sms_services", "no_international_dialling",
)  # fmt: skip

# A language over ASCII digit strings: length -> m for which its strings of that length
# are m-tail-free (ALL: every string of that length is in it). A length it has no string
# of is absent.
Lengths = dict[int, float]
EMPTY_STRING: Lengths = {0: ALL}


class Unproved(Exception):
    """A construct the proof steps do not cover."""


def _union(a: float | None, b: float) -> float:
    """Two languages of one length together: if either holds every string, so does the
    union; else a change the first m digits of neither notices, for the smaller m."""
    if a is None:
        return b
    return ALL if ALL in (a, b) else min(a, b)


def _then(a: Lengths, b: Lengths) -> Lengths:
    """a followed by b: each split i + j of a length is a fixed cut. If b's part holds
    every string of length j, its j digits are free, and so are a's free ones before
    them; else what b's part leaves free (fewer than j digits)."""
    out: Lengths = {}
    for i, free_a in a.items():
        for j, free_b in b.items():
            if i + j > LONGEST:
                continue
            free = (ALL if free_a == ALL else j + free_a) if free_b == ALL else free_b
            out[i + j] = _union(out.get(i + j), free)
    return out


def _either(options: list[Lengths]) -> Lengths:
    out: Lengths = {}
    for option in options:
        for length, free in option.items():
            out[length] = _union(out.get(length), free)
    return out


def _repeat(x: Lengths, low: int, high: float) -> Lengths:
    """x{low,high}: the union of x^i, i from low to high. A string of at most LONGEST
    digits is at most LONGEST non-empty copies of x, the others empty, so it is in some
    x^i with i at most max(low, LONGEST): the union stops there, whatever `high` says."""
    power, out = EMPTY_STRING, {} if low > 0 else dict(EMPTY_STRING)
    last = min(high, max(low, LONGEST) + 1)
    i = 0
    while i < last:
        i += 1
        power = _then(power, x)
        if i >= low:
            out = _either([out, power])
        if not power:  # every string longer than LONGEST: so are the next powers'
            break
    return out


def _class(items: list) -> frozenset[str]:
    """The ASCII digits a character class matches."""
    found: set[str] = set()
    negate = False
    for op, arg in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            found.add(chr(arg))
        elif op is C.RANGE:
            found.update(d for d in DIGITS if arg[0] <= ord(d) <= arg[1])
        elif op is C.CATEGORY and arg in (C.CATEGORY_DIGIT, C.CATEGORY_WORD):
            found |= DIGITS
        elif op is C.CATEGORY and arg in (C.CATEGORY_NOT_DIGIT, C.CATEGORY_SPACE):
            pass
        else:
            raise Unproved(op)
    found &= DIGITS
    return DIGITS - found if negate else frozenset(found)


def _one(digits: frozenset[str]) -> Lengths:
    """One character among `digits`: every string of length 1, some, or none."""
    if digits == DIGITS:
        return {1: ALL}
    return {1: 0} if digits else {}


def _lengths(items) -> Lengths:
    """The Lengths of a parsed sequence (a concatenation) of regular-expression items."""
    out = EMPTY_STRING
    for op, arg in items:
        if op is C.LITERAL:
            part = _one(frozenset(chr(arg)) & DIGITS)
        elif op is C.NOT_LITERAL:
            part = _one(DIGITS - {chr(arg)})
        elif op is C.ANY:
            part = _one(DIGITS)
        elif op is C.IN:
            part = _one(_class(arg))
        elif op is C.BRANCH:
            part = _either([_lengths(branch) for branch in arg[1]])
        elif op is C.SUBPATTERN:
            part = _lengths(arg[-1])
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):  # greedy or lazy: the same language
            low, high, body = arg
            part = _repeat(_lengths(body), low, math.inf if high is C.MAXREPEAT else high)
        else:  # anchors, lookarounds, back-references, atomic groups, possessive repeats
            raise Unproved(op)
        out = _then(out, part)
    return out


@cache
def lengths_of(pattern: str) -> Lengths | None:
    """What is proved of `pattern`'s language, or None when nothing is."""
    try:
        return _lengths(parser.parse(pattern))
    except Unproved:
        return None


def tail(pattern: str, length: int) -> float:
    """An m for which full matches of `pattern` agree on all digit strings of `length`
    digits that differ in their last m digits only (0 when nothing is proved)."""
    found = lengths_of(pattern)
    if found is None:
        return 0
    return found.get(length, ALL)  # no string of that length: none matches, all agree


def reach(pattern: str) -> float:
    """How many leading digits a prefix match of `pattern` can read (its longest match;
    infinite when nothing is proved)."""
    found = lengths_of(pattern)
    return max(found, default=0) if found is not None else math.inf


@cache
def free_digits(code: int, national_length: int, strip: int = 0, added: int = 0) -> int:
    """How many trailing digits of a national number of `national_length` digits under
    country code `code` neither libphonenumber's parse nor its region lookup reads, for a
    number whose main-region national prefix match (`strip_of`) took `strip` leading
    digits and put `added` back (a transform rule; 0 and 0: no match).

    The full matches (every region's number-type patterns) see the number as it is or as
    parse may leave it once stripped: both end in the same digits, so each pattern's free
    tail at either length holds. The prefix matches (that national prefix, then a
    region's leading digits on what is left) must read no digit of the tail.
    """
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    main = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0]) if regions else None
    if main is None:
        return 0
    prefix_reach = max(
        [reach(p) for p in (main.national_prefix_for_parsing, main.national_prefix) if p] + [0]
    )
    leading_reach = 0.0
    patterns = []
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        if metadata is None:
            return 0
        if metadata.leading_digits:
            leading_reach = max(leading_reach, reach(metadata.leading_digits))
        for name in DESCS:
            desc = getattr(metadata, name, None)
            if desc is not None and desc.national_number_pattern:
                patterns.append(desc.national_number_pattern)
    # The leading digits are read on the number as it is, or on the `added` digits then
    # what follows the `strip` ones.
    read = max(prefix_reach, leading_reach, strip + max(0.0, leading_reach - added))
    free: float = national_length - read
    for length in {national_length, national_length - strip + added}:
        for pattern in patterns:
            free = min(free, tail(pattern, length))
    return 0 if free <= 0 else int(free)


@cache
def _prefix_rule(code: int) -> tuple[re.Pattern | None, str | None]:
    regions = COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    main = PhoneMetadata.metadata_for_region_or_calling_code(code, regions[0]) if regions else None
    if main is None or not main.national_prefix_for_parsing:
        return None, None
    return re.compile(main.national_prefix_for_parsing), main.national_prefix_transform_rule


def strip_of(code: int, national: str) -> tuple[int, int]:
    """(digits taken, digits put back) by the main region's national prefix rule on
    `national`, as parse would apply it if it strips (_maybe_strip_national_prefix_carrier_code):
    (0, 0) when the rule does not match. Read from the first `reach` digits only."""
    pattern, rule = _prefix_rule(code)
    found = pattern.match(national) if pattern is not None else None
    if found is None:
        return 0, 0
    groups = found.groups()
    if rule and groups and groups[-1] is not None:
        return found.end(), len(found.expand(rule))
    return found.end(), 0
