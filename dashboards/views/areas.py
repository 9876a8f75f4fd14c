"""Area dashboards: the country, a voivodeship, a powiat and a gmina (one template).

National staff see every level and drill down; a gmina's coordinators see their gmina.
The numbers come from the rollup tables only (dashboards.selectors), a constant handful
of queries per page. Each table on a page downloads as CSV or XLSX, scoped like the page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clubs.models import Municipality, Powiat, Voivodeship
from dashboards import selectors
from dashboards.charts import bar_chart, grouped_bar_chart, time_series_chart
from dashboards.models import AreaStat
from dashboards.tables import (
    children_table,
    clubs_html,
    instructors_table,
    months_table,
    partners_table,
    pillars_table,
    statuses_table,
    table_builders,
    youth_table,
)
from kos_portal import access
from kos_portal.access import require
from kos_portal.exports import export_response
from kos_portal.roles import Role
from kos_portal.tasks import enqueue_on_commit

EXPORT_FORMATS = ("csv", "xlsx")


# --- Which dashboard, and refreshing -----------------------------------------------------


@login_required
def index(request):
    """Each role's own dashboard: the country, the first gmina, or the led club."""
    user = request.user
    if access.can(user, "dashboards.view_national"):
        return redirect("dashboards:country")
    scope = access.user_scope(user)
    if scope.gminas_for({Role.COORDINATOR}):
        gmina = selectors.first_gmina_for(user)
        if gmina is not None:
            return redirect("dashboards:gmina", municipality_pk=gmina.pk)
    led = scope.clubs_for({Role.LEADER})
    if led:
        return redirect("dashboards:club", club_pk=min(led))
    raise PermissionDenied


@require_POST
@login_required
def refresh(request):
    """National staff: recompute the rollups now (queued for the worker)."""
    require(request.user, "dashboards.view_national")
    from dashboards.tasks import rollups_refresh_task

    enqueue_on_commit(rollups_refresh_task)
    messages.success(request, _("Refresh queued: the numbers will be updated in a few minutes."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    return redirect(target or "dashboards:country")


# --- Pages ----------------------------------------------------------------------------------


def _voivodeship(user, code: str) -> Voivodeship:
    require(user, "dashboards.view_national")
    return get_object_or_404(Voivodeship, code=code)


def _powiat(user, code: str) -> Powiat:
    require(user, "dashboards.view_national")
    return get_object_or_404(Powiat.objects.select_related("voivodeship"), code=code)


def _gmina(user, municipality_pk: int) -> tuple[Municipality, list[Municipality]]:
    """The gmina through the user's scope (outside it: 404), then the rule (403); with a
    coordinator's other gminas."""
    gmina, others = selectors.gminas_for_page(user, municipality_pk)
    if gmina is None:
        raise Http404
    require(user, "dashboards.view_gmina", gmina)  # from the cached scope: no query
    return gmina, others


def _export_urls(dashboard: selectors.AreaDashboard) -> dict[str, str]:
    """Each table's download URL (without ?format), by table name."""
    level = dashboard.level
    if level == AreaStat.Level.COUNTRY:
        name, kwargs = "dashboards:country-export", {}
    elif level == AreaStat.Level.VOIVODESHIP:
        name, kwargs = "dashboards:voivodeship-export", {"voivodeship_code": dashboard.code}
    elif level == AreaStat.Level.POWIAT:
        name, kwargs = "dashboards:powiat-export", {"powiat_code": dashboard.code}
    else:
        name, kwargs = "dashboards:gmina-export", {"municipality_pk": dashboard.municipality.pk}
    return {
        table: reverse(name, kwargs={**kwargs, "table": table})
        for table in table_builders(dashboard)
    }


def _render(request, dashboard: selectors.AreaDashboard):
    context = {
        "d": dashboard,
        "level_label": AreaStat.Level(dashboard.level).label,
        "export": _export_urls(dashboard),
        "can_refresh": access.can(request.user, "dashboards.view_national"),
    }
    if dashboard.computed:
        statuses = statuses_table(dashboard)
        pillars = pillars_table(dashboard)
        instructors = instructors_table(dashboard)
        months = months_table(dashboard)
        youth = youth_table(dashboard)
        partners = partners_table(dashboard)
        context.update(
            {
                "statuses_chart": bar_chart(
                    title=statuses.title,
                    rows=[(row[0], row[1]) for row in statuses.rows],
                    label_header=statuses.header[0],
                    value_header=statuses.header[1],
                ),
                "pillars": pillars,
                "pillars_chart": grouped_bar_chart(
                    title=_("Members certified per pillar: valid and ever"),
                    categories=[row[0] for row in pillars.rows],
                    series=[
                        (pillars.header[1], [row[1] for row in pillars.rows]),
                        (pillars.header[2], [row[2] for row in pillars.rows]),
                    ],
                    label_header=pillars.header[0],
                ),
                "months_chart": time_series_chart(
                    title=months.title,
                    months=[month for month, _c, _s in dashboard.months],
                    series=[
                        (months.header[1], [row[1] for row in months.rows]),
                        (months.header[2], [row[2] for row in months.rows]),
                    ],
                ),
                "instructors_chart": grouped_bar_chart(
                    title=instructors.title,
                    categories=[row[0] for row in instructors.rows],
                    series=[
                        (instructors.header[1], [row[1] for row in instructors.rows]),
                        (instructors.header[2], [row[2] for row in instructors.rows]),
                    ],
                    label_header=instructors.header[0],
                ),
                "youth": youth,
                "youth_chart": bar_chart(
                    title=_("Youth: share of active members"),
                    rows=[(row[0], row[2] or 0) for row in youth.rows[:2]],
                    unit="%",
                ),
                "partners": partners,
                "partners_chart": bar_chart(
                    title=_("Share of clubs with a partner of each kind"),
                    rows=[(row[0], row[4] or 0) for row in partners.rows],
                    unit="%",
                ),
            }
        )
        if dashboard.child_level is not None:
            children = children_table(dashboard)
            context["children"] = children
            context["children_export"] = context["export"][children.name]
            if dashboard.level == AreaStat.Level.POWIAT:  # above it, the map shows these
                context["children_chart"] = bar_chart(
                    title=_("Coverage: share of gminas with an active club"),
                    rows=[(row[0], row[4] or 0) for row in children.rows],
                    unit="%",
                    label_header=children.header[0],
                )
    if dashboard.level == AreaStat.Level.GMINA:
        context["clubs_html"] = clubs_html(dashboard)
    return render(request, "dashboards/area.html", context)


@login_required
def country(request):
    require(request.user, "dashboards.view_national")
    return _render(request, selectors.country_dashboard(request.user))


@login_required
def voivodeship(request, voivodeship_code: str):
    region = _voivodeship(request.user, voivodeship_code)
    return _render(request, selectors.voivodeship_dashboard(request.user, region))


@login_required
def powiat(request, powiat_code: str):
    area = _powiat(request.user, powiat_code)
    return _render(request, selectors.powiat_dashboard(request.user, area))


@login_required
def gmina(request, municipality_pk: int):
    area, others = _gmina(request.user, municipality_pk)
    return _render(request, selectors.gmina_dashboard(request.user, area, others))


# --- Exports --------------------------------------------------------------------------------


def _export(request, dashboard: selectors.AreaDashboard, table: str):
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_FORMATS:
        raise Http404
    builder = table_builders(dashboard).get(table)
    if builder is None:
        raise Http404
    built = builder(dashboard)
    place = dashboard.code or "pl"
    filename = f"dashboard-{dashboard.level}-{place}-{table}-{timezone.localdate().isoformat()}"
    return export_response(fmt, filename, built.header, built.rows)  # safe_cell blanks None


@login_required
def country_export(request, table: str):
    require(request.user, "dashboards.view_national")
    return _export(request, selectors.country_dashboard(request.user), table)


@login_required
def voivodeship_export(request, voivodeship_code: str, table: str):
    region = _voivodeship(request.user, voivodeship_code)
    return _export(request, selectors.voivodeship_dashboard(request.user, region), table)


@login_required
def powiat_export(request, powiat_code: str, table: str):
    area = _powiat(request.user, powiat_code)
    return _export(request, selectors.powiat_dashboard(request.user, area), table)


@login_required
def gmina_export(request, municipality_pk: int, table: str):
    area, others = _gmina(request.user, municipality_pk)
    return _export(request, selectors.gmina_dashboard(request.user, area, others), table)
