"""Reads for the problem-case pages. Everything starts from ProblemCase.objects.visible_to."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from kos_portal import access
from resilience import charts
from resilience.models import CaseAction, Indicator, IndicatorMeasurement, ProblemCase

VIEW_ROLES = access.RULES["resilience.view_cases"]


def case_list_for(user, *, status: str | None = None) -> QuerySet[ProblemCase]:
    """The cases the user may read (club staff, not instructors), newest first;
    `with_open_actions` adds the list's counts (to a page's rows only)."""
    cases = (
        ProblemCase.objects.visible_to(user, VIEW_ROLES)
        .select_related("municipality", "club")
        .order_by("-created_at", "-pk")
    )
    if status:
        cases = cases.filter(status=status)
    return cases


def with_open_actions(cases: QuerySet[ProblemCase]) -> QuerySet[ProblemCase]:
    """The cases with `open_actions`, their planned and under-way actions."""
    open_statuses = [CaseAction.Status.PLANNED, CaseAction.Status.UNDER_WAY]
    return cases.annotate(
        open_actions=Count("actions", filter=Q(actions__status__in=open_statuses))
    )


def case_get_for(user, case_pk: int) -> ProblemCase:
    """A case in the user's scope (any role), or 404; views then check the permission."""
    queryset = ProblemCase.objects.visible_to(user).select_related(
        "municipality", "club", "created_by"
    )
    return get_object_or_404(queryset, pk=case_pk)


def case_action_get_for(user, case_action_pk: int) -> CaseAction:
    """An action of a case in the user's scope, or 404."""
    queryset = CaseAction.objects.filter(
        case__in=ProblemCase.objects.visible_to(user)
    ).select_related("case__municipality", "case__club", "partner")
    return get_object_or_404(queryset, pk=case_action_pk)


def indicator_get_for(user, indicator_pk: int) -> Indicator:
    """An indicator of a case in the user's scope, or 404."""
    queryset = Indicator.objects.filter(
        case__in=ProblemCase.objects.visible_to(user)
    ).select_related("case__municipality", "case__club")
    return get_object_or_404(queryset, pk=indicator_pk)


@dataclass
class IndicatorView:
    indicator: Indicator
    measurements: list[IndicatorMeasurement]
    latest: Decimal | None
    progress: int | None  # per cent of the way from baseline to target, at the latest value
    chart: str


def _progress(indicator: Indicator, latest: Decimal | None) -> int | None:
    if latest is None or indicator.target == indicator.baseline:
        return None
    share = (latest - indicator.baseline) / (indicator.target - indicator.baseline)
    return round(share * 100)


def indicator_chart(indicator: Indicator, measurements: list[IndicatorMeasurement]) -> str:
    """The indicator's measurements as an SVG line, with its baseline and target."""
    points = [
        charts.ChartPoint(x=m.measured_on, y=m.value, label=m.measured_on.strftime("%Y-%m-%d"))
        for m in measurements
    ]
    unit = f" {indicator.unit}" if indicator.unit else ""
    references = [
        charts.ReferenceLine(
            label=_("Baseline: %(value)s") % {"value": floatformat(indicator.baseline, -2)},
            y=indicator.baseline,
            css="chart-baseline",
        ),
        charts.ReferenceLine(
            label=_("Target: %(value)s") % {"value": floatformat(indicator.target, -2)},
            y=indicator.target,
            css="chart-target",
        ),
    ]
    description = _(
        "%(name)s%(unit)s: %(count)s measurements; the same numbers are in the table below."
    ) % {"name": indicator.name, "unit": unit, "count": len(measurements)}
    return charts.line_chart(
        chart_id=f"indicator-{indicator.pk}",
        title=indicator.name,
        description=description,
        points=points,
        references=references,
    )


@dataclass
class CaseWorkspace:
    case: ProblemCase
    actions: list[CaseAction]
    indicators: list[IndicatorView]


def case_workspace(case: ProblemCase) -> CaseWorkspace:
    """The case with its actions (and partners) and its indicators with measurements and
    charts, in a fixed number of queries however much the case holds."""
    actions = list(case.actions.select_related("partner"))
    indicators = case.indicators.prefetch_related(
        Prefetch("measurements", queryset=IndicatorMeasurement.objects.order_by("measured_on"))
    )
    views = []
    for indicator in indicators:
        measurements = list(indicator.measurements.all())
        latest = measurements[-1].value if measurements else None
        views.append(
            IndicatorView(
                indicator=indicator,
                measurements=measurements,
                latest=latest,
                progress=_progress(indicator, latest),
                chart=indicator_chart(indicator, measurements) if measurements else "",
            )
        )
    return CaseWorkspace(case=case, actions=actions, indicators=views)
