"""The resilience hub: the programme's five steps, each linked to where it lives."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kos_portal import access
from resilience import selectors_threats as sel


@login_required
def hub(request):
    access.require(request.user, "resilience.view_resilience")
    municipalities = list(sel.municipalities_for(request.user)[:20])
    steps = [
        {
            "title": _("Identify threats"),
            "text": _("The gmina's threat register and its risk matrix."),
            "links": [(reverse("resilience:threat-list"), _("Threat register"))]
            + [
                (
                    reverse("resilience:risk-matrix", kwargs={"municipality_pk": m.pk}),
                    _("Risk matrix: %(gmina)s") % {"gmina": m.name},
                )
                for m in municipalities
            ],
        },
        {
            "title": _("Integrate local actors"),
            "text": _("OSP, police, schools, NGOs and businesses working with the clubs."),
            "links": [(reverse("clubs:partner-list"), _("Partners"))],
        },
        {
            "title": _("Educate"),
            "text": _("Training in the five pillars."),
            "links": [(reverse("training:course-list"), _("Courses"))],
        },
        {
            "title": _("Exercise"),
            "text": _("Exercises and drills, with the members and partners taking part."),
            "links": [(reverse("resilience:exercise-list"), _("Exercises"))],
        },
        {
            "title": _("Improve continuously"),
            "text": _("After-action reviews, corrective actions and local problem cases."),
            "links": [
                (reverse("resilience:action-list"), _("Corrective actions")),
                *_if_allowed(
                    request.user,
                    "resilience.view_cases",
                    reverse("resilience:case-list"),
                    _("Local problem cases"),
                ),
                *_if_allowed(
                    request.user,
                    "resilience.view_pulse",
                    reverse("resilience:survey-list"),
                    _("Trust and preparedness pulse"),
                ),
            ],
        },
    ]
    return render(request, "resilience/hub.html", {"steps": steps})


def _if_allowed(user, perm: str, url: str, label) -> list[tuple[str, str]]:
    """The link in a list when the user may open it: no link that answers 403."""
    return [(url, label)] if access.can(user, perm) else []
