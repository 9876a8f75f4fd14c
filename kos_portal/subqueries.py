"""Per-row counts as correlated subqueries."""

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_per_row(queryset: QuerySet, key: str, **filters) -> Coalesce:
    """For an annotation: how many rows of `queryset` (narrowed by `filters`) point at the
    outer row through `key`, 0 when none.

    A subquery per outer row reads an index on (key, filter columns) alone; a join and
    GROUP BY over everything the page joins took longer to plan than the rows took to read
    (issue #7: the clubs and sessions lists at national scale).
    """
    counted = (
        queryset.filter(**{key: OuterRef("pk")}, **filters)
        .order_by()  # a default ordering would split the GROUP BY
        .values(key)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)
