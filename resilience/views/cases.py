"""Local problem cases: the list, the workspace, and the forms that fill it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kos_portal.access import require
from kos_portal.pagination import Paginator
from resilience import selectors_cases as selectors
from resilience.forms_cases import CaseActionForm, IndicatorForm, MeasurementForm, ProblemCaseForm
from resilience.models import ProblemCase
from resilience.services import cases as services

PAGE_SIZE = 50


@login_required
def case_list(request):
    require(request.user, "resilience.view_cases")
    status = request.GET.get("status")
    if status not in ProblemCase.Status.values:
        status = None
    cases = selectors.case_list_for(request.user, status=status)
    page = Paginator(cases, PAGE_SIZE, load=selectors.with_open_actions).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "status": status, "statuses": ProblemCase.Status.choices}
    return render(request, "resilience/case_list.html", context)


@login_required
def case_create(request):
    require(request.user, "resilience.manage_cases")
    form = ProblemCaseForm(request.POST or None, user=request.user, creating=True)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_create(
                created_by=request.user,
                municipality=data.get("municipality"),
                club=data.get("club"),
                title=data["title"],
                diagnosis=data["diagnosis"],
                stakeholders=data["stakeholders"],
                trust_risks=data["trust_risks"],
                status=data["status"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The case was opened."))
            return redirect(case)
    return render(request, "resilience/case_form.html", {"form": form})


@login_required
def case_detail(request, case_pk: int):
    case = selectors.case_get_for(request.user, case_pk)
    require(request.user, "resilience.view_cases", case)
    context = {
        "workspace": selectors.case_workspace(case),
        "case": case,
        "can_manage": services.case_manage_allowed(request.user, case),
    }
    return render(request, "resilience/case_detail.html", context)


def _refusal_or_none(request, case) -> str | None:
    """The service's message for a leader on a gmina-level case, shown before they type."""
    return services.case_manage_refusal(
        request.user, municipality_id=case.municipality_id, club_id=case.club_id
    )


@login_required
def case_edit(request, case_pk: int):
    case = selectors.case_get_for(request.user, case_pk)
    require(request.user, "resilience.manage_cases", case)
    form = ProblemCaseForm(request.POST or None, instance=case, user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.case_update(
                case=case,
                changed_by=request.user,
                title=data["title"],
                diagnosis=data["diagnosis"],
                stakeholders=data["stakeholders"],
                trust_risks=data["trust_risks"],
                status=data["status"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The case was saved."))
            return redirect(case)
    context = {"form": form, "case": case, "refusal": _refusal_or_none(request, case)}
    return render(request, "resilience/case_form.html", context)


@login_required
def case_action_create(request, case_pk: int):
    case = selectors.case_get_for(request.user, case_pk)
    require(request.user, "resilience.manage_cases", case)
    form = CaseActionForm(request.POST or None, case=case)
    if form.is_valid():
        try:
            services.case_action_create(
                case=case,
                created_by=request.user,
                **form.cleaned_data,  # the form's fields are the service's arguments
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The action was added."))
            return redirect(case)
    context = {"form": form, "case": case, "refusal": _refusal_or_none(request, case)}
    return render(request, "resilience/case_action_form.html", context)


@login_required
def case_action_edit(request, case_action_pk: int):
    action = selectors.case_action_get_for(request.user, case_action_pk)
    case = action.case
    require(request.user, "resilience.manage_cases", case)
    form = CaseActionForm(request.POST or None, instance=action, case=case)
    if form.is_valid():
        try:
            services.case_action_update(
                action=action,
                changed_by=request.user,
                **form.cleaned_data,  # the form's fields are the service's arguments
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The action was saved."))
            return redirect(case)
    context = {
        "form": form,
        "case": case,
        "action": action,
        "refusal": _refusal_or_none(request, case),
    }
    return render(request, "resilience/case_action_form.html", context)


@login_required
def indicator_create(request, case_pk: int):
    case = selectors.case_get_for(request.user, case_pk)
    require(request.user, "resilience.manage_cases", case)
    form = IndicatorForm(request.POST or None)
    if form.is_valid():
        try:
            services.indicator_create(
                case=case,
                created_by=request.user,
                **form.cleaned_data,  # the form's fields are the service's arguments
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The indicator was added."))
            return redirect(case)
    context = {"form": form, "case": case, "refusal": _refusal_or_none(request, case)}
    return render(request, "resilience/indicator_form.html", context)


@login_required
def measurement_add(request, indicator_pk: int):
    indicator = selectors.indicator_get_for(request.user, indicator_pk)
    case = indicator.case
    require(request.user, "resilience.manage_cases", case)
    form = MeasurementForm(request.POST or None)
    if form.is_valid():
        try:
            services.measurement_add(
                indicator=indicator,
                recorded_by=request.user,
                **form.cleaned_data,  # the form's fields are the service's arguments
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The measurement was recorded."))
            return redirect(f"{case.get_absolute_url()}#indicator-{indicator.pk}")
    context = {
        "form": form,
        "case": case,
        "indicator": indicator,
        "refusal": _refusal_or_none(request, case),
    }
    return render(request, "resilience/measurement_form.html", context)
