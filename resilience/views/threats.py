"""The threat register and the gmina's risk matrix."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from clubs.models import Municipality
from kos_portal import access
from kos_portal.pagination import Paginator
from resilience import selectors_threats as sel
from resilience.forms_threats import ThreatFilterForm, ThreatForm, ThreatReviewForm
from resilience.gmina_actions import gmina_actions, picked_redirect
from resilience.services.threats import threat_review as threat_review_service
from resilience.services.threats import threat_save

THREATS_PER_PAGE = 50


@login_required
def threat_list(request):
    access.require(request.user, "resilience.view_resilience")
    picked = picked_redirect(request, "resilience:threat-create")
    if picked:
        return picked
    form = ThreatFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    threats = sel.threat_list_for(
        request.user,
        municipality=filters.get("municipality"),
        kind=filters.get("kind", ""),
        level=filters.get("level", ""),
    )
    page = Paginator(threats, THREATS_PER_PAGE).get_page(request.GET.get("page"))
    for threat in page:
        threat.level_label = sel.level_label(threat.risk_level)
    context = {
        "page": page,
        "filter_form": form,
        "filtered": any(filters.values()),
        # One button per gmina for coordinators, a picker for national staff.
        "add_actions": gmina_actions(
            sel.municipalities_for(request.user),
            create_url_name="resilience:threat-create",
            button_label=_lazy("Add a threat in %(gmina)s"),
            picker_label=_lazy("Add a threat in the gmina"),
        )
        if access.can(request.user, "resilience.manage_threats")
        else None,
    }
    return render(request, "resilience/threat_list.html", context)


@login_required
def threat_detail(request, threat_pk: int):
    threat = sel.threat_get_for(request.user, threat_pk)
    context = {
        "threat": threat,
        "level_label": sel.level_label(threat.risk_level),
        "can_manage": access.can(request.user, "resilience.manage_threats", threat),
        "review_form": ThreatReviewForm(),
        "exercises": threat.exercises.visible_to(request.user).order_by("-starts_at"),
    }
    return render(request, "resilience/threat_detail.html", context)


def _threat_form_page(request, *, municipality: Municipality, threat=None):
    initial = None
    if threat is not None:
        initial = {
            "kind": threat.kind,
            "title": threat.title,
            "description": threat.description,
            "likelihood": threat.likelihood,
            "impact": threat.impact,
            "pillars": list(threat.pillars.all()),
            "owner": threat.owner_id,
            "review_due_on": threat.review_due_on,
        }
    form = ThreatForm(request.POST or None, initial=initial, municipality=municipality)
    if request.method == "POST" and form.is_valid():
        try:
            threat = threat_save(municipality=municipality, threat=threat, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The threat was saved."))
            return redirect(threat)
    context = {"form": form, "municipality": municipality, "threat": threat}
    return render(request, "resilience/threat_form.html", context)


@login_required
def threat_create(request, municipality_pk: int):
    municipality = get_object_or_404(
        Municipality.objects.visible_to(request.user), pk=municipality_pk
    )
    access.require(request.user, "resilience.manage_threats", municipality)
    return _threat_form_page(request, municipality=municipality)


@login_required
def threat_edit(request, threat_pk: int):
    threat = sel.threat_get_for(request.user, threat_pk)
    access.require(request.user, "resilience.manage_threats", threat)
    return _threat_form_page(request, municipality=threat.municipality, threat=threat)


@require_POST
@login_required
def threat_review(request, threat_pk: int):
    threat = sel.threat_get_for(request.user, threat_pk)
    access.require(request.user, "resilience.manage_threats", threat)
    form = ThreatReviewForm(request.POST)
    if form.is_valid():
        try:
            threat_review_service(threat=threat, next_review_on=form.cleaned_data["next_review_on"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The review was recorded."))
    else:
        messages.error(request, _("Enter the date of the next review."))
    return redirect(threat)


@login_required
def risk_matrix(request, municipality_pk: int):
    municipality = get_object_or_404(
        Municipality.objects.visible_to(request.user), pk=municipality_pk
    )
    access.require(request.user, "resilience.view_resilience", municipality)
    threats = list(sel.threat_list_for(request.user, municipality=municipality))
    context = {
        "municipality": municipality,
        "rows": sel.risk_matrix(threats),
        "impacts": sel.SCALE,
        "threats": threats,
        "overdue": [threat for threat in threats if threat.review_overdue],
        "levels": [(key, value[0]) for key, value in sel.LEVELS.items()],
        "training_needs": sel.training_needs_for(request.user, municipality=municipality),
        "can_manage": access.can(request.user, "resilience.manage_threats", municipality),
    }
    return render(request, "resilience/risk_matrix.html", context)
