"""Query-parameter checks both faces share; each face turns ParamError into its own shape."""

from __future__ import annotations

from calls.fields import parse_uint


class ParamError(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


def check_known(params, allowed: set[str]) -> None:
    """Refuse unknown parameters and parameters given twice (which value would win?)."""
    for name in params:
        if name not in allowed:
            raise ParamError(
                name[:60],
                f"Unknown parameter {name[:60]!r}; accepted parameters are: "
                f"{', '.join(sorted(allowed))}.",
            )
        if len(params.getlist(name)) > 1:
            raise ParamError(name, f"The parameter {name!r} was given more than once.")


def bounded_uint(params, name: str, *, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = parse_uint(raw, maximum=high)
    except ValueError:
        value = -1
    if value < low:
        raise ParamError(name, f"Invalid {name}: expected a whole number from {low} to {high}.")
    return value
