"""Compiled page statements, remembered per query shape (calls/query/core.py).

Compiling a list's page query to SQL cost about a sixth of a list request's Python, and
the SQL of two requests with the same inputs is the same text: only the clock moves
between them (the window of a list without end_time bounds, the retention line).
So a worker compiles each shape once and afterwards only puts the new times in.

The key holds every input of a CallQuery (the database, the columns, the scope's account
ids, the conditions with their values, the window's strictness), the outline of its
filters as built (every node, lookup, column and value but the datetimes) and the page's
offset and limit: what decides the text. The times are the datetime values of the query's
filters, in the order the compiler emits them; a shape is only remembered when, compiled,
its datetime parameters are exactly those values in that order, so every other parameter
is fixed by the key. Anything that does not fit (an unhashable value, a datetime the
compiler rewrote) is simply compiled every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models.lookups import Lookup
from django.db.models.sql.where import WhereNode

from calls.worker_cache import WorkerCache

MAX_ENTRIES = 512  # the shapes least recently used are forgotten beyond this


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple  # as compiled; the datetimes at `clock` are replaced per request
    clock: tuple[int, ...]  # positions of the datetime parameters
    converters: dict  # the compiler's converters of the selected columns

    def bind(self, times: list[datetime]) -> list:
        params = list(self.params)
        for position, value in zip(self.clock, times, strict=True):
            params[position] = value
        return params


_entries: WorkerCache[Any, Statement] = WorkerCache(MAX_ENTRIES)


def times_of(query) -> tuple[list[datetime], tuple]:
    """The datetime values the filters of `query` (a sql.Query) compare with, in order,
    and the filters' outline without them (each node, lookup and column, every other
    value): part of the key, so that no filter can change without changing it."""
    times: list[datetime] = []
    return times, _outline(query.where, times)


def _outline(node: WhereNode, times: list[datetime]) -> tuple:
    parts: list = [node.connector, node.negated]
    for child in node.children:
        if isinstance(child, WhereNode):
            parts.append(_outline(child, times))
        elif isinstance(child, Lookup):
            rhs = child.rhs
            if isinstance(rhs, datetime):
                times.append(rhs)
                rhs = datetime
            elif isinstance(rhs, list | set):
                rhs = tuple(rhs)
            target = getattr(child.lhs, "target", child.lhs)
            parts.append((type(child), getattr(target, "column", target), rhs))
        else:  # raw SQL and the like: by its text and values
            parts.append((type(child), repr(getattr(child, "__dict__", child))))
    return tuple(parts)


def compiled(
    key: Any, times: list[datetime], compile_: Callable[[], tuple[str, Any, dict]]
) -> tuple[str, list, dict]:
    """(sql, params, converters) of the statement `key` names (it includes the query's
    outline from `times_of`), with `times` as its datetimes; `compile_` gives them when
    the shape is new."""
    try:
        found = _entries.get(key)
    except TypeError:  # an unhashable value: not a shape we can name
        sql, params, converters = compile_()
        return sql, list(params), converters
    if found is not None and len(found.clock) == len(times):
        return found.sql, found.bind(times), found.converters
    sql, params, converters = compile_()
    clock = tuple(i for i, value in enumerate(params) if isinstance(value, datetime))
    if len(clock) == len(times) and all(params[i] is t for i, t in zip(clock, times, strict=True)):
        _entries.put(key, Statement(sql, tuple(params), clock, converters))
    return sql, list(params), converters


def clear() -> None:
    _entries.clear()
