"""How fresh the rollup tables are: every dashboard shows it."""

from __future__ import annotations

from dashboards.models import RollupRun


def latest_run() -> RollupRun | None:
    """The newest finished refresh, or None before the first one. One query."""
    return RollupRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
