"""SQL LIKE / ILIKE with the client's own wildcards, as parameterised lookups.

The pattern means the same on both databases: `%` matches any run of characters, `_` any
one character, and a backslash makes the next character literal (`\\%`, `\\_`, `\\\\`). A
pattern ending in a lone backslash means nothing; `check_pattern` refuses it before any
query. The lookups parse the pattern and write it out again for the database, with an
explicit ESCAPE, so every pattern that reaches the database is valid.

On SQLite, whose LIKE ignores case, `like` becomes GLOB with the pattern translated, so
both databases agree that `like` is case-sensitive and `ilike` is not.
"""

from django.db.models import CharField, Lookup, TextField

_ESCAPE = "\\"
_GLOB_WILDCARDS = {"%": "*", "_": "?"}
_GLOB_LITERALS = {"*": "[*]", "?": "[?]", "[": "[[]"}


class LikePatternError(ValueError):
    pass


def _parse(pattern: str) -> list[tuple[str, bool]]:
    """The pattern as (character, is_wildcard) pairs."""
    parts: list[tuple[str, bool]] = []
    escaped = False
    for ch in pattern:
        if escaped:
            parts.append((ch, False))
            escaped = False
        elif ch == _ESCAPE:
            escaped = True
        else:
            parts.append((ch, ch in _GLOB_WILDCARDS))
    if escaped:
        raise LikePatternError("ends with a lone backslash (write \\\\ for a backslash)")
    return parts


def check_pattern(pattern: str) -> None:
    """Raise LikePatternError if `pattern` is not a valid like pattern."""
    _parse(pattern)


def to_like(pattern: str) -> str:
    """The pattern for LIKE … ESCAPE '\\', with exactly the escapes it needs."""
    special = {*_GLOB_WILDCARDS, _ESCAPE}
    return "".join(
        _ESCAPE + ch if not wild and ch in special else ch for ch, wild in _parse(pattern)
    )


def to_glob(pattern: str) -> str:
    """The pattern for SQLite's GLOB (case-sensitive, `*`/`?` wildcards, no escape)."""
    return "".join(
        _GLOB_WILDCARDS[ch] if wild else _GLOB_LITERALS.get(ch, ch) for ch, wild in _parse(pattern)
    )


class Like(Lookup):
    lookup_name = "like"
    operator = "LIKE"

    def _sql(self, compiler, connection, operator: str, render, *, escape: bool = True):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        sql, params = f"{lhs} {operator} {rhs}", [*lhs_params, *map(render, rhs_params)]
        if escape:
            sql, params = f"{sql} ESCAPE %s", [*params, _ESCAPE]
        return sql, params

    def as_sql(self, compiler, connection):
        return self._sql(compiler, connection, self.operator, to_like)

    def as_sqlite(self, compiler, connection):
        return self._sql(compiler, connection, "GLOB", to_glob, escape=False)


class ILike(Like):
    lookup_name = "ilike"
    operator = "ILIKE"

    def as_sqlite(self, compiler, connection):
        return self._sql(compiler, connection, "LIKE", to_like)  # ignores ASCII case


def register() -> None:
    """Make `like` and `ilike` lookups of every text field (CallsConfig.ready calls it, once
    Django is set up, whichever module is imported first)."""
    for field in (CharField, TextField):
        field.register_lookup(Like)
        field.register_lookup(ILike)
