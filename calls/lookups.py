"""SQL LIKE / ILIKE with the client's own % and _ wildcards, as parameterised lookups.

On SQLite, whose LIKE ignores case, `like` becomes GLOB with the pattern translated, so
both databases agree that `like` is case-sensitive and `ilike` is not.
"""

from django.db.models import CharField, Lookup, TextField


class Like(Lookup):
    lookup_name = "like"
    operator = "LIKE"

    def _sql(self, compiler, connection, operator: str, pattern=lambda p: p):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} {operator} {rhs}", [*lhs_params, *map(pattern, rhs_params)]

    def as_sql(self, compiler, connection):
        return self._sql(compiler, connection, self.operator)

    def as_sqlite(self, compiler, connection):
        return self._sql(compiler, connection, "GLOB", like_to_glob)


class ILike(Like):
    lookup_name = "ilike"
    operator = "ILIKE"

    def as_sqlite(self, compiler, connection):
        return self._sql(compiler, connection, "LIKE")  # SQLite's LIKE ignores ASCII case


def like_to_glob(pattern: str) -> str:
    special = {"*": "[*]", "?": "[?]", "[": "[[]", "%": "*", "_": "?"}
    return "".join(special.get(ch, ch) for ch in pattern)


for field in (CharField, TextField):
    field.register_lookup(Like)
    field.register_lookup(ILike)
