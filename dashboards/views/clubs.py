"""A club's dashboard and its exports, for the club's staff (national staff, the gmina's
coordinators, the club's leaders).

The expiring certificates name people, so showing or exporting them writes a row to the
personal-data access log, as the members' roster does.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards import charts
from dashboards import selectors_club as sel
from kos_portal.exports import export_response
from members.models import PersonalDataAccess
from members.services.access_log import personal_data_access_log, request_detail

EXPORT_FORMATS = ("csv", "xlsx")
SAFE_METHODS = ("GET", "HEAD")


@login_required
def club(request, club_pk: int):
    club = sel.dashboard_club_get_for(request.user, club_pk)
    if request.method not in SAFE_METHODS:  # after the access checks: refusals stay 403/404
        return HttpResponseNotAllowed(SAFE_METHODS)
    today = timezone.localdate()
    stat = sel.club_stat(club)
    pillars = sel.club_pillar_rows(stat)
    expiring = sel.club_expiring_certificates(request.user, club, today=today)
    personal_data_access_log(
        user=request.user,
        action=PersonalDataAccess.Action.LIST,
        club=club,
        member_count=len(expiring),
        detail=request_detail(request),
    )
    sessions = sel.club_sessions(request.user, club)
    context = {
        "club": club,
        "stat": stat,
        "last_run": sel.club_last_run(stat),
        "signals": sel.club_health_signals(request.user, club, stat),
        "attendance_rate": sel.attendance_rate(stat),
        "pillar_chart": _pillar_chart(pillars),
        "upcoming": sessions.upcoming,
        "expiring": expiring,
        "expiring_limit": sel.EXPIRING_LIMIT,
        "attendance": sessions.attendance,
        "attendance_chart": _attendance_chart(sessions.attendance),
    }
    return render(request, "dashboards/club.html", context)


def _pillar_chart(rows) -> charts.Chart:
    header, body = sel.pillar_table(rows)
    return charts.grouped_bar_chart(
        title=_("Active members per pillar status"),
        categories=[row[0] for row in body],
        # The statuses' columns of the table, in its order (without the total).
        series=[(header[i], [row[i] for row in body]) for i in range(1, 5)],
        stacked=True,
        label_header=_("Pillar"),
    )


def _attendance_chart(rows: list[sel.SessionAttendance]) -> charts.Chart:
    bars = [
        (
            f"{timezone.localtime(row.session.starts_at):%Y-%m-%d} {row.session.course.code}"
            if row.session.starts_at
            else row.session.course.code,
            row.rate,
        )
        for row in rows  # newest first, as in the table below the chart
        if row.rate is not None
    ]
    return charts.bar_chart(
        title=_("Attendance at the last completed sessions"),
        rows=bars,
        unit="%",
        label_header=_("Session"),
        value_header=_("Attendance rate"),
    )


@login_required
def club_export(request, club_pk: int, table: str):
    club = sel.dashboard_club_get_for(request.user, club_pk)
    if request.method not in SAFE_METHODS:
        return HttpResponseNotAllowed(SAFE_METHODS)
    fmt = request.GET.get("format", "csv")
    if table not in sel.TABLES or fmt not in EXPORT_FORMATS:
        raise Http404
    stat = sel.club_stat(club)
    if table == "pillars":
        header, rows = sel.pillar_table(sel.club_pillar_rows(stat))
    elif table == "sessions":
        header, rows = sel.session_table(sel.club_sessions(request.user, club).upcoming)
    elif table == "attendance":
        attendance = sel.club_sessions(request.user, club).attendance
        header, rows = sel.attendance_table(attendance, stat)
    else:  # "expiring": names people, so the export is logged
        certificates = sel.club_expiring_certificates(request.user, club)
        personal_data_access_log(
            user=request.user,
            action=PersonalDataAccess.Action.EXPORT,
            club=club,
            member_count=len(certificates),
            detail=request_detail(request, fmt),
        )
        header, rows = sel.expiring_table(certificates)
    filename = f"club-{club.pk}-{table}-{timezone.localdate().isoformat()}"
    return export_response(fmt, filename, header, rows)
