"""A paginator that never counts the whole table."""

from functools import cached_property

from django.core.paginator import Paginator


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows (a LIMITed subquery), so a page of a 10M-row table costs
    the same as a page of a small one; past the cap the changelist says "10,000+"."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.CAP
