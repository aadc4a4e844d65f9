"""SQL LIKE / ILIKE with the client's own % and _ wildcards, as parameterised lookups.

On SQLite, whose LIKE ignores case, `like` becomes GLOB with the pattern translated, so
both databases agree that `like` is case-sensitive and `ilike` is not.
"""

from django.db.models import CharField, Lookup, TextField


class Like(Lookup):
    lookup_name = "like"
    operator = "LIKE"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} {self.operator} {rhs}", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} GLOB {rhs}", [*lhs_params, *[like_to_glob(p) for p in rhs_params]]


class ILike(Like):
    lookup_name = "ilike"
    operator = "ILIKE"

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


def like_to_glob(pattern: str) -> str:
    special = {"*": "[*]", "?": "[?]", "[": "[[]", "%": "*", "_": "?"}
    return "".join(special.get(ch, ch) for ch in pattern)


for field in (CharField, TextField):
    field.register_lookup(Like)
    field.register_lookup(ILike)
