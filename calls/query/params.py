"""Query-parameter checks both faces share: unknown or repeated parameters, bounded
whole numbers (limit, offset). Failures are QueryErrors naming the parameter."""

from __future__ import annotations

from calls.query.errors import QueryError
from calls.query.values import parse_uint


def check_known(params, allowed: set[str]) -> None:
    """Refuse unknown parameters and parameters given twice (which value would win?)."""
    for name in params:
        if name not in allowed:
            raise QueryError(
                f"Unknown parameter {name[:60]!r}; accepted parameters are: "
                f"{', '.join(sorted(allowed))}.",
                name[:60],
            )
        if len(params.getlist(name)) > 1:
            raise QueryError(f"The parameter {name!r} was given more than once.", name)


def bounded_uint(params, name: str, *, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = parse_uint(raw, maximum=high)
    except ValueError:
        value = -1
    if value < low:
        raise QueryError(f"Invalid {name}: expected a whole number from {low} to {high}.", name)
    return value
