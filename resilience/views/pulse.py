"""The trust and preparedness pulse: surveys for staff, the public answer page, and the
gmina's trust KPIs."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.core import is_ratelimited

from clubs.models import Municipality
from kos_portal import exports
from kos_portal.access import require
from kos_portal.logs import no_access_log
from kos_portal.pagination import Paginator
from resilience import selectors_pulse as selectors
from resilience.forms_pulse import SurveyAnswerForm, SurveyForm
from resilience.services import pulse as services

# One answer per survey per device: a signed cookie, scoped to the survey's own path, that
# says only "answered" (docs/pulse.md). Plus, per client IP and survey, a few answers an
# hour (SURVEY_ANSWERS_PER_IP_HOUR), counted for every answer that passes the form
# (honeypot catches too). The counter lives in the cache under a hash of the IP, apart
# from the answers, and expires with the window.
ANSWERED_COOKIE = "kos_pulse_answered"
ANSWERED_SALT = "resilience.pulse-answered"
PAGE_SIZE = 50


@login_required
def survey_list(request):
    require(request.user, "resilience.view_pulse")
    surveys = selectors.survey_list_for(request.user)
    page = Paginator(surveys, PAGE_SIZE, load=selectors.with_response_counts).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "min_responses": selectors.min_responses()}
    return render(request, "resilience/survey_list.html", context)


@login_required
def survey_create(request):
    require(request.user, "resilience.manage_surveys")
    form = SurveyForm(request.POST or None, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            survey = services.survey_create(
                created_by=request.user,
                kind=data["kind"],
                title=data["title"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                municipality=data.get("municipality"),
                club=data.get("club"),
                session=data.get("session"),
                exercise=data.get("exercise"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The survey is ready. Share its link."))
            return redirect("resilience:survey-detail", survey_pk=survey.pk)
    return render(request, "resilience/survey_form.html", {"form": form})


def _public_url(survey) -> str:
    path = reverse("resilience:survey-answer", kwargs={"survey_token": survey.token})
    return f"{settings.SITE_URL}{path}"


@login_required
def survey_detail(request, survey_pk: int):
    survey = selectors.survey_get_for(request.user, survey_pk)
    require(request.user, "resilience.view_pulse", survey)
    public_url = _public_url(survey)
    qr = segno.make(public_url, error="m").svg_inline(
        scale=4, title=_("QR code of the survey link"), svgclass="qr-code", lineclass="qr-line"
    )
    context = {
        "survey": survey,
        "status": selectors.survey_status(survey),
        "public_url": public_url,
        "qr_svg": mark_safe(qr),  # segno's own SVG: the only text in it is our title
        "results": selectors.survey_results(survey),
        "min_responses": selectors.min_responses(),
        "questions": [label for _field, label in services.QUESTIONS],
        "result_columns": 2 * len(services.QUESTIONS) + 1,  # answers + mean and share each
    }
    return render(request, "resilience/survey_detail.html", context)


def _answered_here(request, survey) -> bool:
    value = request.get_signed_cookie(ANSWERED_COOKIE, default=None, salt=ANSWERED_SALT)
    return value == survey.token  # a cookie copied from another survey doesn't count


def _mark_answered(response, survey) -> None:
    """Remember on this device, and only for this survey's pages, that it was answered."""
    closes_on = survey.closes_on
    days = (closes_on - timezone.localdate()).days + 1 if closes_on else 365
    response.set_signed_cookie(
        ANSWERED_COOKIE,
        survey.token,
        salt=ANSWERED_SALT,
        max_age=max(days, 1) * 24 * 3600,
        path=reverse("resilience:survey-answer", kwargs={"survey_token": survey.token}),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _answer_rate(survey) -> tuple[str, str]:
    return f"resilience.pulse-answer:{survey.pk}", f"{settings.SURVEY_ANSWERS_PER_IP_HOUR}/h"


def _too_many(request):
    message = _("Many answers came from your network in a short time. Please try again later.")
    return render(request, "resilience/pulse_rate_limited.html", {"message": message}, status=429)


# Public. never_cache: a shared cache must not keep a page with the form's CSRF token.
# Nothing in this view logs or stores who answered (docs/pulse.md).
@no_access_log  # anonymous: not even the time of an answer is logged (docs/pulse.md)
@never_cache
@require_http_methods(["GET", "POST"])
def survey_answer(request, survey_token: str):
    survey = selectors.survey_get_public(survey_token)
    state = selectors.survey_status(survey)
    if state != "open":
        status = 410 if state == "closed" else 200
        return render(
            request,
            "resilience/pulse_closed.html",
            {"survey": survey, "state": state},
            status=status,
        )
    if _answered_here(request, survey):
        return render(request, "resilience/pulse_already_answered.html", {"survey": survey})
    form = SurveyAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        group, rate = _answer_rate(survey)
        if is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True):
            return _too_many(request)
        if not form.is_spam:  # a bot that filled the honeypot is thanked and stores nothing
            try:
                services.survey_answer(survey=survey, answers=form.answers())
            except ValidationError as error:
                form.add_error(None, error)
        if not form.errors:
            response = redirect("resilience:survey-thanks", survey_token=survey.token)
            _mark_answered(response, survey)
            return response
    return render(request, "resilience/pulse_answer.html", {"survey": survey, "form": form})


@no_access_log
@require_GET
def survey_thanks(request, survey_token: str):
    survey = selectors.survey_get_public(survey_token)
    return render(request, "resilience/pulse_thanks.html", {"survey": survey})


@login_required
def trust_kpis(request, municipality_pk: int):
    gmina = get_object_or_404(Municipality.objects.visible_to(request.user), pk=municipality_pk)
    require(request.user, "resilience.view_pulse", gmina)
    period = request.GET.get("period")
    if period not in (selectors.MONTH, selectors.QUARTER):
        period = selectors.QUARTER
    rows = selectors.trust_kpis_for(Municipality.objects.filter(pk=gmina.pk), period=period)
    if request.GET.get("format") == "csv":
        return exports.csv_response(f"trust-{gmina.code}-{period}", *_export_table(rows, gmina))
    context = {
        "gmina": gmina,
        "period": period,
        "rows": rows,
        "charts": selectors.trust_charts(rows, chart_prefix="trust") if rows else [],
        "min_responses": selectors.min_responses(),
        "questions": [label for _field, label in services.QUESTIONS],
        "result_columns": 2 * len(services.QUESTIONS) + 1,  # answers + mean and share each
    }
    return render(request, "resilience/trust_kpis.html", context)


def _export_table(rows, gmina) -> tuple[list[str], list[list]]:
    """The KPI table for CSV: a hidden group's cells say so instead of holding numbers."""
    header = [_("Gmina"), _("Period"), _("Answers")]
    for _field, label in services.QUESTIONS:
        header += [
            _("%(question)s – mean (1–5)") % {"question": label},
            _("%(question)s – share agreeing (4–5), %%") % {"question": label},
        ]
    hidden = _("fewer than %(n)s answers") % {"n": selectors.min_responses()}
    lines = []
    for row in rows:
        line = [gmina.name, row.period_label, hidden if row.hidden else row.responses]
        for question in row.questions:
            if row.hidden:
                line += ["", ""]
            else:
                line += [round(question.mean, 2), round(question.agree_share, 1)]
        lines.append(line)
    return header, lines
