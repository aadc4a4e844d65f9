"""The read path both faces share, in the order every request takes it:

scope (calls/query/scope.py) -> retention (CALLS_RETENTION_DAYS, from the real clock) ->
conditions (parsed filters) -> window (calls/query/window.py) -> order -> a page, by
offset or by keyset (one keyset predicate, here) -> an exact total (calls/counting/).
Every read runs through cdrapi/replicas.py: on a read replica when one is usable.

The faces parse their parameters into a CallQuery and render its rows; they never build
a call queryset themselves (docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from django.db import connection, connections, router
from django.db.models import Expression, Q, QuerySet

from calls.counting import planner
from calls.models import Call
from calls.query import statements
from calls.query.scope import Scope
from calls.query.window import Bound, Window, retention_line
from cdrapi import replicas

NEWEST_FIRST = ("-end_time", "-call_uuid")  # call_uuid breaks ties: pages never overlap


@dataclass(frozen=True)
class Condition:
    """One parsed filter: `field <lookup> value`, optionally negated.

    `expression` replaces the column as the left side (a JSON key read as text).
    `dimension` is the hourly counts' dimension the condition restricts, when they can
    answer it: the face's parameter table says (calls/plivo/parameters.py).
    """

    field: str
    lookup: str
    value: Any
    negate: bool = False
    expression: Expression | None = None
    dimension: str | None = None

    def apply(self, queryset: QuerySet, number: int) -> QuerySet:
        path = self.field
        if self.expression is not None:
            path = f"_condition_{number}"
            queryset = queryset.alias(**{path: self.expression})
        q = Q(**{f"{path}__{self.lookup}": self.value})
        if not self.negate:
            return queryset.filter(q)
        if self.expression is not None:
            # A JSON key (docs/carrierx.md, "Nulls"): `ne null` is "has a value", and `ne`/
            # `nin` leave out the CDRs that lack the key, as NOT (x = v) does in SQL.
            return queryset.filter(~q)
        return queryset.exclude(q)  # Django keeps the nulls of a nullable column itself


@dataclass(frozen=True)
class Page:
    rows: list[tuple]
    has_more: bool


Anchor = tuple[datetime, UUID]  # (end_time, call_uuid) of the row a keyset page continues from


class CallQuery:
    """The calls of a scope, retained, filtered and windowed, as rows of `columns`."""

    def __init__(
        self,
        scope: Scope,
        *,
        columns: tuple[str, ...],
        conditions: tuple[Condition, ...] = (),
        window: Window | None = None,
    ) -> None:
        self.scope, self.conditions, self.window = scope, conditions, window
        self.base = _visible(scope)
        queryset = self.base
        for number, condition in enumerate(conditions):
            queryset = condition.apply(queryset, number)
        if window is not None:
            queryset = queryset.filter(window.q())
        self.queryset = queryset.values_list(*columns)

    def offset_page(
        self, *, offset: int, limit: int, order: tuple[str, ...] = NEWEST_FIRST
    ) -> Page:
        page = self.queryset.order_by(*order)[offset : offset + limit + 1]
        rows = replicas.read(lambda: list(page))
        return Page(rows[:limit], len(rows) > limit)

    def keyset_page(self, anchor: Anchor, *, towards_older: bool, limit: int) -> Page:
        """The `limit` rows next to the anchor, walking away from it: newest first when
        walking towards older rows, oldest first otherwise (the caller reverses)."""
        page = (self.queryset.filter(keyset(anchor, towards_older=towards_older))
                .order_by(*(NEWEST_FIRST if towards_older else _OLDEST_FIRST))
                [: limit + 1])  # fmt: skip
        rows = replicas.read(lambda: list(page))
        return Page(rows[:limit], len(rows) > limit)

    def anchor(self, call_uuid: UUID) -> Anchor | None:
        """Where a visible, retained call sits in the order (CarrierX after/before)."""
        found = self.base.by_uuid(call_uuid).values_list("end_time", "call_uuid")
        return replicas.read(found.first)

    def total(self) -> int:
        """Exact, and on PostgreSQL without reading the window where it can: the way is
        the counting planner's (calls/counting/planner.py); a plain COUNT elsewhere."""
        if connection.vendor != "postgresql":
            return replicas.read(self.queryset.count)
        plan = self._plan
        with plan.slot(self.scope.tenant):
            sql, params = plan.statement()

            def run() -> int:
                with connections[router.db_for_read(Call)].cursor() as cur:
                    cur.execute(sql, params)
                    return int(cur.fetchone()[0])

            return replicas.read(run)

    def offset_page_and_total(self, *, offset: int, limit: int) -> tuple[Page, int]:
        """`offset_page` (newest first) and `total`, in one round trip on PostgreSQL: the
        total and the page as one statement (the total's subquery is evaluated once, so it
        is as exact as alone; an empty page still carries it)."""
        if connection.vendor != "postgresql":
            return self.offset_page(offset=offset, limit=limit), self.total()
        window = self.window and (self.window.lower.strict, self.window.upper.strict)
        shape = (self.queryset.query.values_select, tuple(self.scope.account_ids), window,
                 tuple((c, type(c.value)) for c in self.conditions), offset, limit)  # fmt: skip

        def run() -> tuple[list[tuple], int]:
            alias = router.db_for_read(Call)
            compilers = []  # the page's compiler, built only if the statement is compiled

            def page_compiler():
                if not compilers:
                    page = self.queryset.order_by(*NEWEST_FIRST)[offset : offset + limit + 1]
                    compilers.append(page.query.get_compiler(using=alias, elide_empty=False))
                return compilers[0]

            def compile_page() -> tuple[str, Any, dict]:
                compiler = page_compiler()
                sql, params = compiler.as_sql()
                fields = [column for column, _, _ in compiler.select[: compiler.col_count]]
                return sql, params, compiler.get_converters(fields)

            # The order and the slice add no filter: the outline is the queryset's.
            times, outline = statements.times_of(self.queryset.query)
            page_sql, page_params, converters = statements.compiled(
                (alias, *shape, outline), times, compile_page
            )
            with connections[alias].cursor() as cur:
                # The page is read only when the total reaches it (LIMIT 0 reads nothing):
                # a filter that matches nothing must not walk the whole window for a page.
                # MATERIALIZED: the total is computed once, not inlined into that LIMIT.
                cur.execute(
                    f"WITH t AS MATERIALIZED (SELECT ({total_sql}) AS n) SELECT t.n, p.* FROM t "
                    f"LEFT JOIN LATERAL (SELECT * FROM ({page_sql}) page "
                    "LIMIT CASE WHEN t.n > %s THEN NULL ELSE 0 END) p ON true",
                    [*total_params, *page_params, offset],
                )
                fetched = cur.fetchall()
            total = int(fetched[0][0])
            no_row = (None,) * (len(fetched[0]) - 1)  # the join's row when the page is empty
            rows = [row[1:] for row in fetched if row[1:] != no_row]
            if converters:
                rows = [tuple(r) for r in page_compiler().apply_converters(rows, converters)]
            return rows, total

        plan = self._plan
        with plan.slot(self.scope.tenant):
            total_sql, total_params = plan.statement()
            rows, total = replicas.read(run)
        return Page(rows[:limit], len(rows) > limit), total

    @cached_property
    def _counted_window(self) -> Window | None:
        """The window cut at the retention line (the count tables know no retention), or
        None when it lies wholly before it (nothing to count). No window (the CarrierX
        face) is every retained call: from the line on, future-dated calls included."""
        line = retention_line()
        window = self.window or Window(Bound(line, False), Bound(_END_OF_TIME, False))
        if window.lower.at < line:
            window = Window(Bound(line, False), window.upper)
        return None if window.upper.at < line else window

    @cached_property
    def _plan(self) -> planner.Plan:
        """How the total is counted, decided once per query (PostgreSQL)."""
        conditioned = Call.objects.all()
        for number, condition in enumerate(self.conditions):
            conditioned = condition.apply(conditioned, number)
        return planner.plan(
            tenant=self.scope.tenant,
            account_ids=self.scope.account_ids,
            window=self._counted_window,
            conditions=self.conditions,
            conditioned=conditioned.using(router.db_for_read(Call)),
            plain_count=self._count_sql,
        )

    def _count_sql(self) -> tuple[str, list]:
        """A plain COUNT of the filtered calls."""
        keys = self.queryset.order_by().values_list("call_uuid")
        # elide_empty=False, here and for the page: a condition Django knows matches
        # nothing (an integer past its column's range, `version eq 70000` on a smallint)
        # compiles to `WHERE 0 = 1` instead of raising EmptyResultSet, which evaluating a
        # queryset absorbs but as_sql() leaves to its caller (a 500 before).
        compiler = keys.query.get_compiler(using=router.db_for_read(Call), elide_empty=False)
        sql, params = compiler.as_sql()
        return f"SELECT count(*) FROM ({sql}) keys", list(params)


def retrieve(
    scope: Scope,
    call_uuid: UUID,
    *,
    columns: tuple[str, ...],
    conditions: tuple[Condition, ...] = (),
) -> tuple | None:
    """One call by its uuid, through the same scope and retention as every list (and the
    conditions a face always applies, such as its product)."""
    queryset = _visible(scope).by_uuid(call_uuid)
    for number, condition in enumerate(conditions):
        queryset = condition.apply(queryset, number)
    return replicas.read(queryset.values_list(*columns).first)


def keyset(anchor: Anchor, *, towards_older: bool) -> Q:
    """Rows strictly past the anchor in (end_time, call_uuid) order: the one keyset
    predicate of both faces."""
    end, uid = anchor
    if towards_older:
        return Q(end_time__lte=end) & (Q(end_time__lt=end) | Q(call_uuid__lt=uid))
    return Q(end_time__gte=end) & (Q(end_time__gt=end) | Q(call_uuid__gt=uid))


_OLDEST_FIRST = ("end_time", "call_uuid")
_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)


def _visible(scope: Scope) -> QuerySet:
    return Call.objects.visible_to(scope.account_ids).retained(retention_line())
