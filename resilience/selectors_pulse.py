"""Reads for the pulse: surveys, their results and the gminas' trust KPIs.

Results are computed in the database (counts and sums per group, one aggregate query) and
a group with fewer than settings.SURVEY_MIN_RESPONSES answers comes back hidden: no
count, no means. Callers can't show what they never get, on pages or in exports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncQuarter
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from clubs.models import Municipality
from kos_portal import access
from resilience import charts
from resilience.models import Survey, SurveyResponse
from resilience.services.pulse import QUESTIONS, survey_state

VIEW_ROLES = access.RULES["resilience.view_pulse"]
MONTH, QUARTER = "month", "quarter"


@dataclass(frozen=True)
class QuestionResult:
    field: str
    label: str
    mean: float | None  # 1–5; None when the group is hidden
    agree_share: float | None  # per cent answering 4 or 5; None when hidden


@dataclass(frozen=True)
class ResultRow:
    """One group of answers: a survey's month, a survey overall, or a gmina's period."""

    period: date | None  # first day of the month or quarter; None for "all time"
    period_label: str
    responses: int | None  # None when hidden: not even the count is shown
    hidden: bool
    questions: tuple[QuestionResult, ...]
    municipality_id: int | None = None


def min_responses() -> int:
    """The smallest group whose results may be shown."""
    return settings.SURVEY_MIN_RESPONSES


def _aggregates() -> dict:
    aggregates = {"n": Count("pk")}
    for field, _label in QUESTIONS:
        aggregates[f"sum_{field}"] = Sum(field)
        aggregates[f"agree_{field}"] = Count("pk", filter=Q(**{f"{field}__gte": 4}))
    return aggregates


def _row(
    totals: dict, *, period: date | None, label: str, municipality_id: int | None = None
) -> ResultRow:
    n = totals["n"]
    hidden = n < min_responses()
    questions = tuple(
        QuestionResult(
            field=field,
            label=str(text),
            mean=None if hidden else totals[f"sum_{field}"] / n,
            agree_share=None if hidden else 100 * totals[f"agree_{field}"] / n,
        )
        for field, text in QUESTIONS
    )
    return ResultRow(
        period=period,
        period_label=label,
        responses=None if hidden else n,
        hidden=hidden,
        questions=questions,
        municipality_id=municipality_id,
    )


def period_label(period: date, kind: str) -> str:
    if kind == QUARTER:
        return f"{period.year} Q{(period.month - 1) // 3 + 1}"
    return f"{period:%Y-%m}"


# --- Surveys -----------------------------------------------------------------------------


def survey_list_for(user) -> QuerySet[Survey]:
    """Surveys whose results the user may read, newest first; `with_response_counts` adds
    their number of answers (to a page's rows only)."""
    return (
        Survey.objects.visible_to(user, VIEW_ROLES)
        .select_related("municipality", "club")
        .order_by("-opens_on", "-pk")
    )


def with_response_counts(surveys: QuerySet[Survey]) -> QuerySet[Survey]:
    """The surveys with `response_count`, their number of answers."""
    return surveys.annotate(response_count=Count("responses"))


def survey_get_for(user, survey_pk: int) -> Survey:
    """A survey in the user's scope (any role), or 404; views then check the permission."""
    queryset = Survey.objects.visible_to(user).select_related(
        "municipality", "club", "session__course", "exercise"
    )
    return get_object_or_404(queryset, pk=survey_pk)


def survey_get_public(token: str) -> Survey:
    """The survey behind a public link, or 404. No scope: the link is the key."""
    return get_object_or_404(Survey.objects.select_related("municipality", "club"), token=token)


@dataclass(frozen=True)
class SurveyResults:
    overall: ResultRow
    months: tuple[ResultRow, ...]


def survey_results(survey: Survey) -> SurveyResults:
    """The survey's results overall and by month, in one aggregate query.

    The overall row is hidden too when it would give away the hidden months: overall minus
    the months shown is the hidden months' total, which may be shown only when those
    months together hold at least the minimum number of answers.
    """
    by_month = list(
        SurveyResponse.objects.filter(survey=survey)
        .values("month")
        .annotate(**_aggregates())
        .order_by("month")
    )
    months = tuple(
        _row(totals, period=totals["month"], label=period_label(totals["month"], MONTH))
        for totals in by_month
    )
    keys = ["n"] + [f"{kind}_{field}" for field, _l in QUESTIONS for kind in ("sum", "agree")]
    overall_totals = {key: sum(t[key] or 0 for t in by_month) for key in keys}
    overall = _row(overall_totals, period=None, label=_("All months"))
    hidden_answers = sum(t["n"] for t, row in zip(by_month, months, strict=True) if row.hidden)
    if 0 < hidden_answers < min_responses() and not overall.hidden:
        overall = _row({**overall_totals, "n": 0}, period=None, label=_("All months"))
    return SurveyResults(overall=overall, months=months)


def survey_status(survey: Survey) -> str:
    """ "open", "not_yet_open" or "closed" today."""
    return survey_state(survey, timezone.localdate())


# --- Trust KPIs per gmina ---------------------------------------------------------------


def trust_kpis_for(
    municipalities: QuerySet[Municipality] | Iterable[int],
    *,
    period: str = QUARTER,
    since: date | None = None,
) -> list[ResultRow]:
    """Trust KPIs per gmina and month or quarter, from every survey in the gmina.

    Takes gminas the caller has already scoped (`Municipality.objects.visible_to(user)`)
    or their ids; returns rows ordered by gmina and period, each with its number of
    answers, the mean of each question and the share answering 4–5, or hidden below the
    minimum group size. One aggregate query however many gminas and answers.
    """
    responses = SurveyResponse.objects.filter(survey__municipality__in=municipalities)
    if since is not None:
        responses = responses.filter(month__gte=since)
    if period == QUARTER:
        responses = responses.annotate(period=TruncQuarter("month"))
    else:
        period = MONTH
        responses = responses.annotate(period=TruncMonth("month"))
    totals = (
        responses.values("survey__municipality_id", "period")
        .annotate(**_aggregates())
        .order_by("survey__municipality_id", "period")
    )
    return [
        _row(
            row,
            period=row["period"],
            label=period_label(row["period"], period),
            municipality_id=row["survey__municipality_id"],
        )
        for row in totals
    ]


def trust_charts(rows: list[ResultRow], *, chart_prefix: str) -> list[tuple[str, str]]:
    """One small SVG chart per question (its mean over the periods), as (label, svg).

    Small multiples rather than five coloured lines in one chart: each chart has one line,
    so no meaning rests on colour. Hidden periods break the line.
    """
    result = []
    for index, (field, text) in enumerate(QUESTIONS):
        points = [
            charts.ChartPoint(
                x=row.period,
                y=None if row.hidden else row.questions[index].mean,
                label=row.period_label,
            )
            for row in rows
        ]
        description = _(
            "Mean answer from 1 (strongly disagree) to 5 (strongly agree) per period; "
            "periods with too few answers are left out. The numbers are in the table."
        )
        svg = charts.line_chart(
            chart_id=f"{chart_prefix}-{field}",
            title=str(text),
            description=description,
            points=points,
            y_range=(1, 5),
        )
        result.append((str(text), svg))
    return result
