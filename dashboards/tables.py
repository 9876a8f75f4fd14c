"""The tables of the area dashboards: shown on the page and exported as CSV and XLSX.

One function per table builds its header and rows from an `AreaDashboard` (which the view
read through `visible_to(user)`), so a download holds exactly the rows of the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clubs.models import Club, Partner
from dashboards.charts import fmt, table_html
from dashboards.models import AreaStat
from dashboards.selectors import (
    AreaDashboard,
    certified_per_thousand,
    coverage,
    percent,
    ratio,
)


@dataclass
class Table:
    name: str  # the export slug
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # the first cell's link, per row

    @property
    def html(self) -> SafeString:
        return table_html(
            caption=self.title,
            caption_id=f"table-{self.name}-caption",
            header=self.header,
            rows=self.rows,
            links=self.links,
            css="dash-table",
        )


def pillars_table(d: AreaDashboard) -> Table:
    return Table(
        name="pillars",
        title=_("Certified members per pillar"),
        header=[
            _("Pillar"),
            _("Members with a valid certificate"),
            _("Members ever certified"),
            _("Certificates expiring in 90 days"),
        ],
        rows=[
            [
                row.pillar.name,
                row.members_certified_valid,
                row.members_certified_ever,
                row.certificates_expiring_90,
            ]
            for row in d.pillars
        ],
    )


def instructors_table(d: AreaDashboard) -> Table:
    return Table(
        name="instructors",
        title=_("Instructors per pillar"),
        header=[
            _("Pillar"),
            _("Qualified instructors"),
            _("Qualifications expiring in 90 days"),
        ],
        rows=[
            [row.pillar.name, row.instructors_qualified, row.qualifications_expiring_90]
            for row in d.pillars
        ],
    )


def months_table(d: AreaDashboard) -> Table:
    return Table(
        name="months",
        title=_("Certificates issued and sessions held per month"),
        header=[_("Month"), _("Certificates issued"), _("Sessions held")],
        rows=[
            [f"{month:%Y-%m}", certificates, sessions] for month, certificates, sessions in d.months
        ],
    )


def statuses_table(d: AreaDashboard) -> Table:
    stat = d.stat
    counts = {
        Club.Status.PROPOSED: stat.clubs_proposed if stat else 0,
        Club.Status.ACTIVE: stat.clubs_active if stat else 0,
        Club.Status.SUSPENDED: stat.clubs_suspended if stat else 0,
        Club.Status.CLOSED: stat.clubs_closed if stat else 0,
    }
    return Table(
        name="statuses",
        title=_("Clubs by status"),
        header=[_("Status"), _("Clubs")],
        rows=[[str(status.label), count] for status, count in counts.items()] if stat else [],
    )


def youth_table(d: AreaDashboard) -> Table:
    stat = d.stat
    if stat is None:
        rows = []
    else:
        rows = [
            [
                _("Under 18"),
                stat.members_under_18,
                percent(stat.members_under_18, stat.members_active),
            ],
            [_("18–25"), stat.members_18_25, percent(stat.members_18_25, stat.members_active)],
            [
                _("Under 26 together"),
                stat.members_under_18 + stat.members_18_25,
                percent(stat.members_under_18 + stat.members_18_25, stat.members_active),
            ],
            [_("All active members"), stat.members_active, 100.0 if stat.members_active else None],
        ]
    return Table(
        name="youth",
        title=_("Youth participation"),
        header=[_("Age group"), _("Active members"), _("Share of active members (%)")],
        rows=rows,
    )


def partners_table(d: AreaDashboard) -> Table:
    """Partners of each kind per club, and the share of clubs with such a partner. Clubs
    here are those not closed (proposed, active, suspended), as in the rollup."""
    stat = d.stat
    by_kind = {row.kind: row for row in d.partners}
    rows = []
    if stat is not None:
        clubs_open = stat.clubs_proposed + stat.clubs_active + stat.clubs_suspended
        for kind, label in Partner.Kind.choices:
            row = by_kind.get(kind)
            partners = row.partners if row else 0
            clubs = row.clubs_with_kind if row else 0
            rows.append(
                [
                    str(label),
                    partners,
                    ratio(partners, clubs_open),
                    clubs,
                    percent(clubs, clubs_open),
                ]
            )
    return Table(
        name="partners",
        title=_("Partner kinds per club"),
        header=[
            _("Partner kind"),
            _("Partners"),
            _("Partners per club"),
            _("Clubs with such a partner"),
            _("Share of clubs (%)"),
        ],
        rows=rows,
    )


CHILD_TABLES = {
    AreaStat.Level.VOIVODESHIP: ("voivodeships", gettext_lazy("Voivodeships")),
    AreaStat.Level.POWIAT: ("powiats", gettext_lazy("Powiats")),
    AreaStat.Level.GMINA: ("gminas", gettext_lazy("Gminas")),
}


CHILD_URLS = {
    AreaStat.Level.VOIVODESHIP: ("dashboards:voivodeship", "code"),
    AreaStat.Level.POWIAT: ("dashboards:powiat", "code"),
    AreaStat.Level.GMINA: ("dashboards:gmina", "municipality_id"),
}


def children_table(d: AreaDashboard) -> Table:
    name, title = CHILD_TABLES[d.child_level]
    url_name, key = CHILD_URLS[d.child_level]
    child_url = _url_maker(url_name)
    return Table(
        name=name,
        title=str(title),
        header=[
            _("Name"),
            _("TERYT code"),
            _("Active clubs"),
            _("Gminas"),
            _("Coverage (%)"),
            _("Active members"),
            _("Members with a valid certificate"),
            _("Certified per 1,000 residents"),
            _("Certificates expiring in 90 days"),
        ],
        rows=[
            [
                child.name,
                child.code,
                child.clubs_active,
                child.gminas,
                coverage(child),
                child.members_active,
                child.members_certified_valid,
                certified_per_thousand(child),
                child.certificates_expiring_90,
            ]
            for child in d.children
        ],
        links=[child_url(getattr(child, key)) for child in d.children],
    )


def health_signals(club_stat) -> list[str]:
    signals = []
    if club_stat.no_session_90_days:
        signals.append(_("no session in 90 days"))
    if club_stat.leader_lapsing:
        signals.append(_("leader lapsing"))
    if club_stat.agreements_expiring:
        signals.append(_("partner agreements expiring"))
    return signals


def clubs_table(d: AreaDashboard) -> Table:
    club_url = _url_maker("dashboards:club")
    return Table(
        name="clubs",
        title=_("Clubs and their health"),
        header=[
            _("Club"),
            _("Health signals"),
            _("Status"),
            _("Active members"),
            _("Sessions held"),
            _("Sessions planned"),
            _("Last session"),
            _("Valid certificates"),
            _("Certificates expiring in 90 days"),
            _("Partner agreements expiring in 90 days"),
        ],
        rows=[
            [
                row.club.name,
                "; ".join(health_signals(row)) or _("none"),
                str(row.club.get_status_display()),
                row.members_active,
                row.sessions_held,
                row.sessions_planned,
                row.last_session_on.isoformat() if row.last_session_on else "",
                row.certificates_valid,
                row.certificates_expiring_90,
                row.agreements_expiring_90,
            ]
            for row in d.clubs
        ],
        links=[club_url(row.club_id) for row in d.clubs],
    )


def _url_maker(name: str):
    """reverse() once with a stand-in id, then fill ids in: rows with links stay cheap."""
    pattern = reverse(name, args=[987654321])
    return lambda pk: pattern.replace("987654321", str(pk))


def clubs_html(d: AreaDashboard) -> SafeString:
    """The gmina page's clubs table, with the health signals as words (and a ⚠ from CSS):
    built here rather than in a template loop, which is slow for a few hundred cells."""
    club_url = _url_maker("dashboards:club")
    headers = [
        (_("Club"), False),
        (_("Health signals"), False),
        (_("Status"), False),
        (_("Active members"), True),
        (_("Sessions held"), True),
        (_("Sessions planned"), True),
        (_("Last session"), False),
        (_("Valid certificates"), True),
        (_("Certificates expiring in 90 days"), True),
    ]
    parts = [
        '<div class="table-wrap" role="region" aria-labelledby="table-clubs-caption" '
        'tabindex="0"><table class="dash-table"><caption id="table-clubs-caption">'
        f"{escape(_('Clubs and their health'))}</caption><thead><tr>"
    ]
    for text, num in headers:
        parts.append(f'<th scope="col"{NUM if num else ""}>{escape(text)}</th>')
    parts.append("</tr></thead><tbody>")
    none_yet, no_signals = escape(_("none yet")), escape(_("no signals"))
    for row in d.clubs:
        flags = [escape(text) for text in health_signals(row)]
        if row.agreements_expiring and row.agreements_expiring_90:
            flags[-1] = escape(
                ngettext(
                    "%(count)s partner agreement expiring",
                    "%(count)s partner agreements expiring",
                    row.agreements_expiring_90,
                )
                % {"count": row.agreements_expiring_90}
            )
        signals = (
            '<ul class="health-list">'
            + "".join(f'<li class="health-flag">{flag}</li>' for flag in flags)
            + "</ul>"
            if flags
            else f'<span class="health-ok">{no_signals}</span>'
        )
        last = row.last_session_on.isoformat() if row.last_session_on else none_yet
        club = row.club
        parts.append(
            f'<tr><th scope="row"><a href="{club_url(row.club_id)}">{escape(club.name)}</a></th>'
            f"<td>{signals}</td>"
            f'<td><span class="status status-{escape(club.status)}">'
            f"{escape(club.get_status_display())}</span></td>"
            f"<td{NUM}>{fmt(row.members_active)}</td><td{NUM}>{fmt(row.sessions_held)}</td>"
            f"<td{NUM}>{fmt(row.sessions_planned)}</td><td>{last}</td>"
            f"<td{NUM}>{fmt(row.certificates_valid)}</td>"
            f"<td{NUM}>{fmt(row.certificates_expiring_90)}</td></tr>"
        )
    parts.append("</tbody></table></div>")
    return mark_safe("".join(parts))  # every piece of text above went through escape()


NUM = ' class="num"'


def table_builders(d: AreaDashboard) -> dict[str, Callable[[AreaDashboard], Table]]:
    """The tables of a dashboard of this level, by export name."""
    builders: dict[str, Callable[[AreaDashboard], Table]] = {
        "pillars": pillars_table,
        "instructors": instructors_table,
        "months": months_table,
        "statuses": statuses_table,
        "youth": youth_table,
        "partners": partners_table,
    }
    if d.child_level is not None:
        builders[CHILD_TABLES[d.child_level][0]] = children_table
    if d.level == AreaStat.Level.GMINA:
        builders["clubs"] = clubs_table
    return builders
