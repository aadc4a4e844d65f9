"""The time window of a list request (docs/plivo.md, "The time window").

1. No end_time bound: the last 7 days. 2. Only a lower bound: up to now; only an upper
bound: the 7 days up to it. 3. Wider than 30 days, or lower after upper: an error.
4. Nothing that ended before the retention line (CALLS_RETENTION_DAYS, 90 by default) is
ever returned: a window wholly before the line is an error, one that straddles it is cut
silently. The line comes from the real current time, never from a cursor's `now`, so a
kept cursor cannot reach past it.
5. Each bound keeps its own strictness (gt/gte, lt/lte).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from calls.query import rules
from calls.query.errors import QueryError

DEFAULT_SPAN = timedelta(days=7)
MAX_SPAN = timedelta(days=30)


def retention() -> timedelta:
    """How long calls are kept and served: CALLS_RETENTION_DAYS, the one setting."""
    return timedelta(days=settings.CALLS_RETENTION_DAYS)


def retention_line() -> datetime:
    """The oldest end_time any API may return: the retention before the real current time."""
    return timezone.now() - retention()


class WindowError(QueryError):
    """A window the contract refuses; the message is meant for the client."""

    def __init__(self, message: str, param: str = "end_time") -> None:
        super().__init__(message, param)


@dataclass(frozen=True)
class Bound:
    at: datetime
    strict: bool  # gt / lt rather than gte / lte


@dataclass(frozen=True)
class Window:
    lower: Bound
    upper: Bound

    def q(self, field: str = "end_time") -> Q:
        lo = "gt" if self.lower.strict else "gte"
        hi = "lt" if self.upper.strict else "lte"
        return Q(**{f"{field}__{lo}": self.lower.at, f"{field}__{hi}": self.upper.at})


def tightest(bounds: list[Bound], *, lower: bool) -> Bound | None:
    """The most restrictive of several bounds on the same side (strict wins a tie)."""
    best = None
    for bound in bounds:
        if best is None:
            best = bound
            continue
        if lower:
            if bound.at > best.at or (bound.at == best.at and bound.strict):
                best = bound
        elif bound.at < best.at or (bound.at == best.at and bound.strict):
            best = bound
    return best


def resolve(
    *,
    lower: Bound | None,
    upper: Bound | None,
    now: datetime,
    field: str = "end_time",
    max_span: timedelta = MAX_SPAN,
) -> Window:
    cutoff = retention_line()
    if upper is not None and (upper.at < cutoff or (upper.at == cutoff and upper.strict)):
        raise WindowError(rules.WINDOW_BEFORE_RETENTION.format(field=field, cutoff=cutoff), field)
    if lower is None and upper is None:
        lower, upper = Bound(now - DEFAULT_SPAN, False), Bound(now, False)
    elif lower is None:
        lower = Bound(upper.at - DEFAULT_SPAN, False)
    elif upper is None:
        upper = Bound(now, False)
    if lower.at > now:  # calls end in the past: such a window can hold nothing
        raise WindowError(rules.WINDOW_IN_FUTURE.format(field=field, start=lower.at), field)
    if lower.at > upper.at:
        raise WindowError(
            rules.WINDOW_REVERSED.format(field=field, lower=lower.at, upper=upper.at), field
        )
    if upper.at - lower.at > max_span:
        raise WindowError(
            rules.WINDOW_TOO_WIDE.format(
                field=field, days=max_span.days, span=_span(upper.at - lower.at)
            ),
            field,
        )
    if lower.at < cutoff:  # straddles the retention line: cut silently
        lower = Bound(cutoff, False)
    return Window(lower=lower, upper=upper)


def _span(delta: timedelta) -> str:
    hours = delta.seconds // 3600
    return f"{delta.days} days {hours} hours" if hours else f"{delta.days} days"
