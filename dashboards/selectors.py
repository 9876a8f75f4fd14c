"""Reads for the area dashboards: the country, a voivodeship, a powiat and a gmina.

Only rollup tables are read (dashboards/models.py), a fixed handful of queries per page
whatever the size of the area: the area's row, its pillars, months and partner kinds, the
rows of the units one level down (or, for a gmina, its clubs' rows), and the latest
refresh. Every read starts from `visible_to(user)`; the views check the rules first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property

from django.db.models import Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from clubs.models import Club, Municipality, Powiat, Voivodeship
from clubs.selectors import club_points
from dashboards.charts import fmt
from dashboards.maps import area_map
from dashboards.models import (
    AreaMonthStat,
    AreaPartnerStat,
    AreaPillarStat,
    AreaStat,
    ClubStat,
    RollupRun,
)
from kos_portal import access
from kos_portal.roles import Role

MONTHS = 24  # the time series shows the last two years


def percent(part: int | float | None, whole: int | float | None) -> float | None:
    """part / whole as a percentage, one decimal; None when there is no whole."""
    if not whole or part is None:
        return None
    return round(100 * part / whole, 1)


def per_thousand(part: int, population: int) -> float | None:
    """Per 1,000 residents, two decimals; None when the population is unknown."""
    if not population:
        return None
    return round(1000 * part / population, 2)


def ratio(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return round(part / whole, 2)


def coverage(stat: AreaStat) -> float | None:
    """The share of gminas with an active club, in %."""
    return percent(stat.gminas_with_active_club, stat.gminas)


def certified_per_thousand(stat: AreaStat) -> float | None:
    return per_thousand(stat.certified_in_known_population, stat.population_known)


@dataclass
class Crumb:
    label: str
    url: str | None = None  # None: the current page


@dataclass
class AreaDashboard:
    """Everything one area page shows, read from the rollups."""

    level: str  # AreaStat.Level
    name: str
    code: str
    stat: AreaStat | None  # annotated with run_finished_at and run_as_of (the latest refresh)
    pillars: list[AreaPillarStat] = field(default_factory=list)
    months: list[tuple[date, int, int]] = field(default_factory=list)  # month, certs, sessions
    partners: list[AreaPartnerStat] = field(default_factory=list)
    children: list[AreaStat] = field(default_factory=list)  # one level down
    clubs: list[ClubStat] = field(default_factory=list)  # gmina level only
    points: list[dict] = field(default_factory=list)  # powiat level: clubs with a location
    voivodeship: Voivodeship | None = None
    powiat: Powiat | None = None
    municipality: Municipality | None = None
    other_gminas: list[Municipality] = field(default_factory=list)  # a coordinator's others
    national: bool = False

    @property
    def computed(self) -> bool:
        return self.stat is not None

    @property
    def refreshed_at(self):
        """When the latest refresh finished (the row's own time if none is recorded)."""
        if self.stat is None:
            return None
        return self.stat.run_finished_at or self.stat.refreshed_at

    @property
    def as_of(self) -> date | None:
        """The day the numbers count from ("in 90 days", the last 24 months)."""
        return self.stat.run_as_of if self.stat is not None else None

    @property
    def coverage(self) -> float | None:
        return coverage(self.stat) if self.stat else None

    @property
    def per_thousand(self) -> float | None:
        return certified_per_thousand(self.stat) if self.stat else None

    @property
    def youth_share(self) -> float | None:
        if not self.stat:
            return None
        return percent(
            self.stat.members_under_18 + self.stat.members_18_25, self.stat.members_active
        )

    @property
    def clubs_total(self) -> int:
        stat = self.stat
        if not stat:
            return 0
        return stat.clubs_proposed + stat.clubs_active + stat.clubs_suspended + stat.clubs_closed

    @property
    def child_level(self) -> str | None:
        return {
            AreaStat.Level.COUNTRY: AreaStat.Level.VOIVODESHIP,
            AreaStat.Level.VOIVODESHIP: AreaStat.Level.POWIAT,
            AreaStat.Level.POWIAT: AreaStat.Level.GMINA,
        }.get(self.level)

    @cached_property
    def breadcrumbs(self) -> list[Crumb]:
        crumbs: list[Crumb] = []
        if self.national:
            crumbs.append(Crumb(_("Poland"), reverse("dashboards:country")))
            if self.voivodeship is not None:
                url = reverse("dashboards:voivodeship", args=[self.voivodeship.code])
                crumbs.append(Crumb(self.voivodeship.name, url))
            if self.powiat is not None:
                url = reverse("dashboards:powiat", args=[self.powiat.code])
                crumbs.append(Crumb(self.powiat.name, url))
        if self.municipality is not None:
            url = reverse("dashboards:gmina", args=[self.municipality.pk])
            crumbs.append(Crumb(self.municipality.name, url))
        if crumbs:
            crumbs[-1] = replace(crumbs[-1], url=None)  # the current page
        return crumbs

    @cached_property
    def kpis(self) -> list[dict]:
        """The key numbers as tiles: a label, the value as text, and a line of detail."""
        stat = self.stat
        if stat is None:
            return []
        expiring_qualifications = sum(row.qualifications_expiring_90 for row in self.pillars)
        per_thousand = self.per_thousand
        return [
            {
                "label": _("Active clubs"),
                "value": fmt(stat.clubs_active),
                "detail": _("of %(total)s clubs in any status") % {"total": fmt(self.clubs_total)},
            },
            {
                "label": _("Coverage"),
                "value": _percent_text(self.coverage),
                "detail": _("%(with)s of %(all)s gminas have an active club")
                % {"with": fmt(stat.gminas_with_active_club), "all": fmt(stat.gminas)},
            },
            {
                "label": _("Active members"),
                "value": fmt(stat.members_active),
                "detail": _("%(valid)s with a valid certificate, %(ever)s ever certified")
                % {
                    "valid": fmt(stat.members_certified_valid),
                    "ever": fmt(stat.members_certified_ever),
                },
            },
            {
                # Unknown population is said in the label; the number's place stays a
                # number or a dash, never words that read like one.
                "label": _("Certified per 1,000 residents")
                if per_thousand is not None
                else _("Certified per 1,000 residents: population unknown"),
                "value": fmt(per_thousand, 2) if per_thousand is not None else "—",
                "detail": _("in gminas with a known population (%(residents)s residents)")
                % {"residents": fmt(stat.population_known)},
            },
            {
                "label": _("Sessions held"),
                "value": fmt(stat.sessions_held),
                "detail": _("%(planned)s planned") % {"planned": fmt(stat.sessions_planned)},
            },
            {
                "label": _("Certificates expiring in 90 days"),
                "value": fmt(stat.certificates_expiring_90),
                "detail": _("of %(valid)s valid certificates")
                % {"valid": fmt(stat.certificates_valid)},
            },
            {
                "label": _("Instructors"),
                "value": fmt(stat.instructors),
                "detail": _("%(expiring)s qualifications expiring in 90 days")
                % {"expiring": fmt(expiring_qualifications)},
            },
            {
                "label": _("Youth participation"),
                "value": _percent_text(self.youth_share),
                "detail": _("%(under_18)s under 18 and %(young)s aged 18–25")
                % {"under_18": fmt(stat.members_under_18), "young": fmt(stat.members_18_25)},
            },
        ]

    @cached_property
    def map(self) -> SafeString | None:
        """The area's map as inline SVG (dashboards.maps): regions one level down shaded
        by coverage and linked, or for a powiat its clubs as points."""
        return area_map(self)


def _percent_text(value: float | None) -> str:
    return "–" if value is None else f"{fmt(value)}%"


def _month_window(as_of: date) -> list[date]:
    """The first days of the last MONTHS months, oldest first, ending with as_of's month."""
    year, month = as_of.year, as_of.month
    months = []
    for _index in range(MONTHS):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def _fill(dashboard: AreaDashboard, user) -> AreaDashboard:
    """Read the area's pillar, month and partner rows (three queries) once its row is known."""
    stat = dashboard.stat
    if stat is None:
        return dashboard
    dashboard.pillars = list(
        AreaPillarStat.objects.filter(area=stat).select_related("pillar").order_by("pillar__number")
    )
    as_of = dashboard.as_of or timezone.localdate()
    window = _month_window(as_of)
    rows = {
        row.month: row
        for row in AreaMonthStat.objects.filter(
            area=stat, month__gte=window[0], month__lte=window[-1]
        )
    }
    dashboard.months = [
        (
            month,
            rows[month].certificates_issued if month in rows else 0,
            rows[month].sessions_held if month in rows else 0,
        )
        for month in window
    ]
    dashboard.partners = list(AreaPartnerStat.objects.filter(area=stat).order_by("kind"))
    return dashboard


def _with_freshness(queryset):
    """Annotate rows with the latest finished refresh: `latest_run()`'s query
    (dashboards.selectors_freshness), folded into the area's query to save a round trip."""
    latest = RollupRun.objects.filter(finished_at__isnull=False).order_by("-started_at")
    return queryset.annotate(
        run_finished_at=Subquery(latest.values("finished_at")[:1]),
        run_as_of=Subquery(latest.values("as_of")[:1]),
    )


def _area_and_children(user, level: str, own: Q, children: Q, order: tuple[str, ...]):
    """The area's row (`own`, of `level`) and the rows one level down, in one query."""
    rows = list(
        _with_freshness(AreaStat.objects.visible_to(user).filter(own | children)).order_by(*order)
    )
    own_rows = [row for row in rows if row.level == level]
    stat = own_rows[0] if own_rows else None
    return stat, [row for row in rows if row is not stat] if stat else []


def country_dashboard(user) -> AreaDashboard:
    stat, children = _area_and_children(
        user,
        AreaStat.Level.COUNTRY,
        Q(level=AreaStat.Level.COUNTRY),
        Q(level=AreaStat.Level.VOIVODESHIP),
        ("code",),
    )
    dashboard = AreaDashboard(
        level=AreaStat.Level.COUNTRY,
        name=_("Poland"),
        code="",
        stat=stat,
        children=children,
        national=True,
    )
    return _fill(dashboard, user)


def voivodeship_dashboard(user, voivodeship: Voivodeship) -> AreaDashboard:
    stat, children = _area_and_children(
        user,
        AreaStat.Level.VOIVODESHIP,
        Q(level=AreaStat.Level.VOIVODESHIP, code=voivodeship.code),
        Q(level=AreaStat.Level.POWIAT, voivodeship=voivodeship),
        ("code",),
    )
    dashboard = AreaDashboard(
        level=AreaStat.Level.VOIVODESHIP,
        name=voivodeship.name,
        code=voivodeship.code,
        stat=stat,
        children=children,
        voivodeship=voivodeship,
        national=True,
    )
    return _fill(dashboard, user)


def powiat_dashboard(user, powiat: Powiat) -> AreaDashboard:
    stat, children = _area_and_children(
        user,
        AreaStat.Level.POWIAT,
        Q(level=AreaStat.Level.POWIAT, code=powiat.code),
        Q(level=AreaStat.Level.GMINA, powiat=powiat),
        ("name", "code"),
    )
    dashboard = AreaDashboard(
        level=AreaStat.Level.POWIAT,
        name=powiat.name,
        code=powiat.code,
        stat=stat,
        children=children,
        voivodeship=powiat.voivodeship,
        powiat=powiat,
        national=True,
    )
    if stat is not None:  # the map's points: one query
        dashboard.points = club_points(
            Club.objects.visible_to(user).filter(municipality__powiat=powiat)
        )
    return _fill(dashboard, user)


def gmina_dashboard(
    user, municipality: Municipality, other_gminas: list[Municipality] | None = None
) -> AreaDashboard:
    """A gmina's numbers and its clubs' health. `municipality` comes with its powiat and
    voivodeship (select_related) and is already checked against the rules; `other_gminas`
    are a coordinator's other gminas (read with it by the view)."""
    national = access.is_national(user)
    stat = (
        _with_freshness(AreaStat.objects.visible_to(user))
        .filter(level=AreaStat.Level.GMINA, municipality=municipality)
        .first()
    )
    dashboard = AreaDashboard(
        level=AreaStat.Level.GMINA,
        name=municipality.name,
        code=municipality.code,
        stat=stat,
        voivodeship=municipality.powiat.voivodeship if national else None,
        powiat=municipality.powiat if national else None,
        municipality=municipality,
        national=national,
        other_gminas=[] if national else list(other_gminas or []),
    )
    # The gmina's club rows through the gmina rule's scope (national staff, the gmina's
    # coordinators) by ClubStat.municipality: no detour through the clubs of the user's
    # gminas, which ClubStat.visible_to would read in one more query.
    dashboard.clubs = list(
        access.scope_gmina_objects(
            ClubStat.objects.all(), user, access.RULES["dashboards.view_gmina"]
        )
        .filter(municipality=municipality)
        .select_related("club")
        .order_by("club__name", "club_id")
    )
    return _fill(dashboard, user)


def gminas_for_page(user, municipality_pk: int) -> tuple[Municipality | None, list[Municipality]]:
    """The gmina asked for, through the user's scope (None: outside it), and a
    coordinator's other gminas for the switcher: one query."""
    ids = {municipality_pk} | access.user_scope(user).gminas_for({Role.COORDINATOR})
    rows = list(
        access.scope_municipalities(
            Municipality.objects.select_related("powiat__voivodeship"), user
        )
        .filter(pk__in=sorted(ids))
        .order_by("name", "code")
    )
    gmina = next((row for row in rows if row.pk == municipality_pk), None)
    return gmina, [row for row in rows if row is not gmina]


def first_gmina_for(user) -> Municipality | None:
    """The coordinator's first gmina by name: where their dashboard link leads."""
    ids = access.user_scope(user).gminas_for({Role.COORDINATOR})
    if not ids:
        return None
    return Municipality.objects.filter(pk__in=sorted(ids)).order_by("name", "code").first()
