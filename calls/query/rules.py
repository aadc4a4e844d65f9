"""The request rules the OpenAPI schema cannot state, in one closed list.

OpenAPI 3 describes each parameter alone. Everything a parameter accepts on its own is in
the schema exactly (calls/query/patterns.py); what is left ties parameters together, or depends
on the clock or on stored data. Each such rule is written once here: the sentence the
schema's descriptions and the docs give, and the message the server answers with (a
template the raising code fills in). The fuzz test accepts a schema-valid request being
refused only when the answer's message is one of these (tests/api/test_fuzz.py), and
tests/api/test_rules.py provokes each one and checks the server says exactly that.

Every message is spelled here once, and raised only as `rules.X.format(...)` (window.py,
scope.py, cursor.py, the faces' views, calls/carrierx/conditions.py); the one exception is
the 414 of cdrapi/middleware.py, whose template the project declares (so that cdrapi need
not import an app) and QUERY_TOO_LONG takes from there. tests/api/test_rules.py checks that no
other source spells a rule's words.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from django.conf import settings

from cdrapi import middleware


@dataclass(frozen=True)
class Rule:
    """`said` and `message` may name {retention_days}: CALLS_RETENTION_DAYS, filled in
    when read, so that every sentence follows the setting."""

    said: str  # for the schema's descriptions: read it as `says`
    message: str  # the error message, a str.format template
    status: int = 400
    _shape: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Each {value} stands for a name, a number, a date or a span: never a full stop.
        parts = string.Formatter().parse(self.message)
        shape = "".join(re.escape(text) + ("[^.]+" if name else "") for text, name, _, _ in parts)
        object.__setattr__(self, "_shape", re.compile(shape))

    @property
    def says(self) -> str:
        return self.said.format(**_standing())

    def format(self, **values) -> str:
        return self.message.format(**_standing(), **values)

    def matches(self, message: str) -> bool:
        return self._shape.fullmatch(message) is not None


# --- the Plivo face: the end_time window (calls/query/window.py) --------------------------------
WINDOW_BEFORE_RETENTION = Rule(
    "A window that ends more than {retention_days} days ago is a 400 (one that straddles that "
    "line is cut).",
    "Calls are kept for {retention_days} days: the requested {field} range ends before "
    "{cutoff:%Y-%m-%d %H:%M:%S} UTC, so nothing in it can be returned.",
)
WINDOW_IN_FUTURE = Rule(
    "A window that starts in the future is a 400.",
    "The {field} window starts at {start:%Y-%m-%d %H:%M:%S} UTC, in the future; "
    "no call has ended then yet.",
)
WINDOW_REVERSED = Rule(
    "A lower bound after the upper bound is a 400.",
    "The {field} lower bound ({lower:%Y-%m-%d %H:%M:%S}) is after the upper "
    "bound ({upper:%Y-%m-%d %H:%M:%S}).",
)
WINDOW_TOO_WIDE = Rule(
    "A window wider than 30 days (a lower bound alone runs to now) is a 400.",
    "The {field} range may span at most {days} days; the requested one "
    "spans {span}. Narrow it with {field}__gte/__lte.",
)

# --- the Plivo face: calls/plivo/views.py, calls/cursor.py ---------------------------------
CURSOR_ALTERED = Rule(
    "cursor must be one the server gave in meta.next/meta.previous, unaltered.",
    "The cursor is malformed or was altered; start again from the first page.",
)
CURSOR_EXPIRED = Rule(
    "A cursor expires 24 hours after its walk began.",
    "The cursor has expired: a walk by meta.next/meta.previous lasts at most "
    "{hours} hours. Start again from the first page.",
)
CURSOR_OTHER_QUERY = Rule(
    "A cursor only pages the filters it was made for.",
    "The cursor belongs to a different query; keep the same filters while paging, "
    "or start again without a cursor.",
)
CURSOR_OFFSET = Rule(
    "With a cursor, offset may only repeat the cursor's own offset.",
    "offset does not match the cursor; page with either one, not both.",
)
SUBACCOUNT_CALLER = Rule(
    "Only a main account's credentials may filter by subaccount (a 404 when the subaccount "
    "is not below the path account).",
    "Only a main account can filter by subaccount.",
)
CALL_UUID_MISMATCH = Rule(
    "call_uuid, when given, must be the path's call_uuid as written there, in any case, or "
    "its canonical hyphenated form.",
    "The call_uuid parameter differs from the one in the path.",
)

# --- the CarrierX face: calls/carrierx/views.py, filters.py ---------------------------------
AFTER_AND_BEFORE = Rule(
    "after and before cannot be given together.",
    "Give after or before, not both.",
)
OFFSET_WITH_KEYSET = Rule(
    "A non-zero offset cannot be combined with after or before.",
    "offset cannot be combined with after or before.",
)
ORDER_WITH_KEYSET = Rule(
    "With after or before, only date_stop can be ordered on.",
    "With after or before, only date_stop can be ordered on.",
)
KEYSET_NOT_VISIBLE = Rule(
    "after/before must be the dr_sid of a CDR this token can see, within {retention_days} days.",
    "No visible CDR has the dr_sid given as {param}.",
)
FILTER_BEFORE_RETENTION = Rule(
    "A date_stop range that ends more than {retention_days} days ago is a 400.",
    "CDRs are kept for {retention_days} days: the date_stop range ends before "
    "{cutoff:%Y-%m-%dT%H:%M:%S}Z, so nothing in it can be returned.",
)
FILTER_TOO_WIDE = Rule(
    "A date_stop range with both ends may span at most 30 days.",
    "A date_stop range may span at most {days} days.",
)

# --- both faces: cdrapi/middleware.py --------------------------------------------------------
QUERY_TOO_LONG = Rule(
    "The whole query string, URL-encoded, may be at most 8 KB (MAX_QUERY_STRING_BYTES): 414.",
    middleware.QUERY_TOO_LONG,  # declared where it is answered: cdrapi imports no app
    status=414,
)


def _standing() -> dict:
    """The values every rule's sentences may name."""
    return {"retention_days": settings.CALLS_RETENTION_DAYS}


ALL = tuple(value for value in list(globals().values()) if isinstance(value, Rule))


def broken_by(status: int, message: str) -> Rule | None:
    """The rule an error answer names, if it names one."""
    return next((r for r in ALL if r.status == status and r.matches(message)), None)
