"""Page numbers that stay fast on national lists (issue #7: 500,000 certificates).

Django's Paginator counts every row (`COUNT(*)`) and reads a page with LIMIT/OFFSET over
the full rows, joins and all. At national scale both cost: counting 500,000 rows takes
about 40 ms here, and an offset of 200,000 rows read through the joins far more. This
paginator keeps the page numbers and the rows of every page, and changes how they are
read:

- **Counting** is exact up to `EXACT_COUNT_LIMIT` rows (a capped count stops there). A
  longer list is counted by the PostgreSQL planner's estimate, and pages say "about"
  (`count_is_estimate`). Both come from one query, so a page makes the same number of
  queries whatever the size of the list.
- **Rows** are read as a deferred join: a subquery walks only the primary keys in the
  list's order (an index-only scan when an index matches the ORDER BY) and skips the
  offset there; the outer query reads the page's rows, joins and annotations by those keys.
  It asks for one row more than the page holds, so "next page" is exact even when the
  count is an estimate.
- A page beyond an estimated end (the estimate was too high, or the number asked for
  was past it) counts exactly once and falls back to the real last page, as
  `Paginator.get_page` does.

The queryset passed in is the scoped one (`visible_to(user)`) with its ordering; the
outer query filters that same queryset by the page's keys, so scoping applies twice and
never less. Aggregate annotations (counts over joins) belong in `load`: the keys are
read without them, and `load` adds them to the page's rows only.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connections
from django.db.models import QuerySet

# Lists up to this many rows are counted exactly (one capped count, ~3 ms at the limit);
# the national partners (16,000) still are, the certificates and the access log are not.
EXACT_COUNT_LIMIT = 25_000


def count_and_estimate(keys: QuerySet, cap: int) -> tuple[int, int | None]:
    """The number of rows of `keys`, counted up to `cap + 1`, and the PostgreSQL planner's
    estimate of all of them, in one query (kos_row_estimate, migration kos_portal 0002).
    Other databases: the capped count and None."""
    connection = connections[keys.db]
    capped = keys[: cap + 1]
    if connection.vendor != "postgresql":
        return capped.count(), None
    try:
        capped_sql, capped_params = capped.query.get_compiler(using=keys.db).as_sql()
        full_sql, full_params = keys.query.get_compiler(using=keys.db).as_sql()
    except EmptyResultSet:  # .none(), or a scope with nothing in it: no query at all
        return 0, 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), kos_row_estimate(%s) FROM ({capped_sql}) capped",
            [connection.ops.compose_sql(full_sql, full_params), *capped_params],
        )
        count, estimate = cursor.fetchone()
    return count, estimate


def round_estimate(value: int) -> int:
    """Three significant digits: 498,731 -> 499,000, so an estimate reads like one."""
    if value < 1000:
        return value
    step = 10 ** (len(str(value)) - 3)
    return round(value / step) * step


class KosPage(Page):
    """A page that knows whether another follows from the extra row it read."""

    def __init__(self, object_list, number, paginator, *, has_next: bool):
        super().__init__(object_list, number, paginator)
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def next_page_number(self) -> int:
        if not self._has_next:
            raise EmptyPage(self.paginator.error_messages["no_results"])
        return self.number + 1

    def previous_page_number(self) -> int:
        if self.number <= 1:
            raise EmptyPage(self.paginator.error_messages["min_page"])
        return self.number - 1

    def end_index(self) -> int:
        return self.start_index() + len(self) - 1 if len(self) else 0


class Paginator(DjangoPaginator):
    """Django's Paginator for querysets, with a cheap count and a deferred-join page read.

    `object_list` must be a queryset ordered by a unique key (its ordering ends with the
    primary key; otherwise "pk" is appended so that no row falls between two pages).
    `load(queryset)` may add what only the page's rows need (aggregate annotations).
    """

    def __init__(
        self,
        object_list: QuerySet,
        per_page: int,
        *,
        load: Callable[[QuerySet], QuerySet | list] | None = None,
        exact_up_to: int | None = None,
    ):
        if not isinstance(object_list, QuerySet):
            raise TypeError("kos_portal.pagination.Paginator pages querysets only.")
        super().__init__(_totally_ordered(object_list), per_page)
        self.load = load
        self.exact_up_to = EXACT_COUNT_LIMIT if exact_up_to is None else exact_up_to
        self._exact: int | None = None
        self._estimate: int | None = None
        self._counted = False

    # --- Counting ------------------------------------------------------------------------

    def _keys(self) -> QuerySet:
        return self.object_list.values("pk")

    def _measure(self) -> None:
        if self._counted:
            return
        self._counted = True
        # One query whatever the size of the list: the estimate is always asked for.
        capped, estimate = count_and_estimate(self._keys().order_by(), self.exact_up_to)
        if capped <= self.exact_up_to:
            self._exact = capped
        elif estimate is None:
            self._exact = self._keys().order_by().count()
        else:
            self._estimate = max(round_estimate(estimate), self.exact_up_to + 1)

    def _count_exactly(self) -> None:
        """The slow path: a page past an estimated end needs the real number of rows."""
        if self._exact is None:
            self._exact = self._keys().order_by().count()
            self._estimate = None

    @property
    def count(self) -> int:
        self._measure()
        return self._exact if self._exact is not None else self._estimate

    @property
    def count_is_estimate(self) -> bool:
        self._measure()
        return self._exact is None

    @property
    def num_pages(self) -> int:
        count = self.count
        if count == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(count / self.per_page))

    # --- Pages ---------------------------------------------------------------------------

    def _read(self, number: int) -> tuple[list, bool]:
        """The rows of page `number` (possibly empty) and whether more rows follow."""
        bottom = (number - 1) * self.per_page
        keys = self._keys()[bottom : bottom + self.per_page + 1]
        rows = self.object_list.filter(pk__in=keys)
        if self.load is not None:
            rows = self.load(rows)
        rows = list(rows)
        return rows[: self.per_page], len(rows) > self.per_page

    def page(self, number) -> KosPage:
        try:
            number = self.validate_number(number)
        except EmptyPage:
            if not self.count_is_estimate or int(number) < 1:
                raise
            self._count_exactly()  # past the estimated end: is it past the real one?
            number = self.validate_number(number)
        rows, has_next = self._read(number)
        if not rows and number > 1:
            if not self.count_is_estimate:
                raise EmptyPage(self.error_messages["no_results"])
            # The estimate was too high: count, and read the real page (or refuse it).
            self._count_exactly()
            number = self.validate_number(number)
            rows, has_next = self._read(number)
        if has_next and self.count_is_estimate and number >= self.num_pages:
            # The estimate was too low: never show "page 12 of 11".
            self._estimate = number * self.per_page + 1
        return KosPage(rows, number, self, has_next=has_next)

    def get_page(self, number) -> KosPage:
        """Like Django's: page 1 for a non-number, the last page past the end."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)


def _totally_ordered(queryset: QuerySet) -> QuerySet:
    """The queryset ordered so that no two rows tie: "pk" last unless already there."""
    ordering = list(queryset.query.order_by)
    if not ordering and queryset.query.default_ordering:
        ordering = list(queryset.model._meta.ordering or [])
    pk_names = {"pk", queryset.model._meta.pk.attname, queryset.model._meta.pk.name}
    if any(isinstance(item, str) and item.lstrip("-") in pk_names for item in ordering):
        return queryset
    return queryset.order_by(*ordering, "pk")
