"""A gmina's yearly report of training and exercises for the wójt: collected, rendered to
PDF and XLSX by a Celery worker, and stored on the GminaReport row (docs/reports.md).

The report supports the duties the civil-protection act (ustawa o ochronie ludności i
obronie cywilnej, 2024) gives a gmina: planning training, exercises and education, and
reporting on preparedness to the council every two years, hence the comparison with the
previous year.

Unlike the dashboards, it reads raw data: one gmina and one year is small (hundreds of
rows), and it runs in a worker, never in a request. Every query is filtered by the
gmina (`club__municipality` or `municipality`), so the report holds nothing of another
gmina by construction.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates.models import Certificate
from certificates.services import rendering
from clubs.models import Club, Municipality, Partner, PartnerLink, Pillar
from dashboards.models import GminaReport
from kos_portal.exports import safe_cell
from kos_portal.tasks import enqueue_on_commit
from members.models import Membership
from resilience.models import CorrectiveAction, Exercise, ExerciseParticipation, Threat
from training.models import Enrolment, InstructorQualification, Session

logger = logging.getLogger(__name__)

PDF_TEMPLATE = "dashboards/report_pdf.html"
STYLESHEET = "dashboards/report.css"
# A report left pending this long is re-queued by the reconciler (a worker killed while
# rendering, a lost message). Rendering takes well under a second; a queue can be long.
STALE_AFTER = timedelta(minutes=10)


# --- Collecting ----------------------------------------------------------------------


@dataclass
class Section:
    """One table of the report: a PDF section and an XLSX sheet."""

    key: str  # stable, for tests and the sheet order
    title: str
    header: list[str]
    rows: list[list]
    note: str = ""


@dataclass
class ReportData:
    municipality: Municipality
    year: int
    prepared_on: date
    language: str
    figures: dict[str, object]  # key figures of the year
    previous: dict[str, object]  # the same for the year before
    sections: list[Section] = field(default_factory=list)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(date(year, 1, 1), time.min), tz),
        timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min), tz),
    )


def _local_date(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment else None


def _pillar_label(pillar) -> str:
    if pillar is None:
        return _("cross-pillar")
    return f"{pillar.number}. {pillar.name}"


def _hours(value: Decimal) -> float | int:
    # Numbers, not text, so the spreadsheet can sum them; whole hours without ".0".
    return int(value) if value == value.to_integral_value() else float(value)


def _membership_rows(municipality: Municipality) -> list[dict]:
    return list(
        Membership.objects.filter(club__municipality=municipality)
        .exclude(status=Membership.Status.APPLICANT)
        .annotate(changed_on=TruncDate("status_changed_at"))
        .values(
            "member_id",
            "club_id",
            "status",
            "joined_on",
            "left_on",
            "changed_on",
            "member__birth_year",
        )
    )


def _member_year_end(rows: list[dict], year: int) -> tuple[dict[int, set], dict[int, set]]:
    """Per club: members at the end of `year`, and members who joined in `year`.

    At year end: joined on or before 31 December and not left by then (a membership that
    left without a date counts as left on its status change). Joined: the joining date
    (or, missing that, the status change) falls in the year.
    """
    end = date(year, 12, 31)
    at_end: dict[int, set] = defaultdict(set)
    joined: dict[int, set] = defaultdict(set)
    for row in rows:
        joined_on = row["joined_on"] or row["changed_on"]
        left_on = row["left_on"]
        if row["status"] == Membership.Status.LEFT and left_on is None:
            left_on = row["changed_on"]
        if joined_on and joined_on.year == year:
            joined[row["club_id"]].add(row["member_id"])
        if joined_on and joined_on <= end and (left_on is None or left_on > end):
            at_end[row["club_id"]].add(row["member_id"])
    return at_end, joined


def _union(per_club: dict[int, set]) -> set:
    return set().union(*per_club.values()) if per_club else set()


def _new_in_gmina(rows: list[dict], year: int) -> set:
    """People whose first joining of any of the gmina's clubs falls in `year` (someone
    already in one club who joins a second is not new to the gmina)."""
    first: dict[int, date] = {}
    for row in rows:
        joined_on = row["joined_on"] or row["changed_on"]
        if joined_on and (row["member_id"] not in first or joined_on < first[row["member_id"]]):
            first[row["member_id"]] = joined_on
    return {member_id for member_id, day in first.items() if day.year == year}


def _figures(municipality: Municipality, year: int, memberships: list[dict]) -> dict:
    """The key figures of one year: the two-yearly comparison shows two of these."""
    start, end = _year_bounds(year)
    at_end, _joined = _member_year_end(memberships, year)
    members = _union(at_end)
    birth_years = {r["member_id"]: r["member__birth_year"] for r in memberships}
    ages = [year - birth_years[m] for m in members if birth_years.get(m)]

    sessions = Session.objects.filter(
        club__municipality=municipality, starts_at__gte=start, starts_at__lt=end
    )
    held = list(sessions.filter(status=Session.Status.COMPLETED).values_list("pk", "course__hours"))
    held_ids = [pk for pk, _hours in held]
    enrolments = Enrolment.objects.filter(session_id__in=held_ids, status=Enrolment.Status.ENROLLED)
    certificates = Certificate.objects.filter(club__municipality=municipality)
    exercises = Exercise.objects.filter(
        municipality=municipality,
        status=Exercise.Status.HELD,
        starts_at__gte=start,
        starts_at__lt=end,
    )
    actions = CorrectiveAction.objects.filter(review__exercise__in=exercises)
    return {
        "members": len(members),
        "members_new": len(_new_in_gmina(memberships, year)),
        "members_under_18": sum(1 for age in ages if age < 18),
        "members_18_25": sum(1 for age in ages if 18 <= age <= 25),
        "sessions_held": len(held),
        "sessions_cancelled": sessions.filter(status=Session.Status.CANCELLED).count(),
        "participants": enrolments.count(),
        "people_trained": enrolments.values("member_id").distinct().count(),
        "passed": enrolments.filter(result=Enrolment.Result.PASSED).count(),
        "training_hours": _hours(sum((h for _pk, h in held), Decimal(0))),
        "certificates_issued": certificates.filter(issued_on__year=year).count(),
        "certificates_valid": sum(
            _valid_on(*row, date(year, 12, 31))
            for row in certificates.filter(issued_on__lte=date(year, 12, 31)).values_list(
                "expires_on", "status", "revoked_at"
            )
        ),
        "instructors": Session.instructors.through.objects.filter(session_id__in=held_ids)
        .values("instructorprofile_id")
        .distinct()
        .count(),
        "exercises_held": exercises.count(),
        "exercise_participants": ExerciseParticipation.objects.filter(
            exercise__in=exercises, attended=True
        ).count(),
        "reviews_done": exercises.filter(review__isnull=False).count(),
        "actions_open": actions.exclude(status=CorrectiveAction.Status.DONE).count(),
        "actions_done": actions.filter(status=CorrectiveAction.Status.DONE).count(),
    }


def _valid_on(expires_on, status, revoked_at, day: date) -> bool:
    """A certificate issued by `day` is valid then unless expired or revoked by then."""
    revoked = status == Certificate.Status.REVOKED and (
        revoked_at is None or _local_date(revoked_at) <= day
    )
    return not revoked and (expires_on is None or expires_on >= day)


# The comparison's rows, in order (gettext_lazy: translated when the report is collected).
FIGURE_LABELS = [
    ("members", gettext_lazy("Members at the end of the year")),
    ("members_new", gettext_lazy("New members in the year")),
    ("members_under_18", gettext_lazy("Members under 18")),
    ("members_18_25", gettext_lazy("Members aged 18–25")),
    ("sessions_held", gettext_lazy("Training sessions held")),
    ("sessions_cancelled", gettext_lazy("Training sessions cancelled")),
    ("participants", gettext_lazy("Session participants")),
    ("people_trained", gettext_lazy("People trained")),
    ("passed", gettext_lazy("Participants who passed")),
    ("training_hours", gettext_lazy("Training hours delivered")),
    ("certificates_issued", gettext_lazy("Certificates issued")),
    ("certificates_valid", gettext_lazy("Certificates valid at the end of the year")),
    ("instructors", gettext_lazy("Instructors who taught")),
    ("exercises_held", gettext_lazy("Exercises held")),
    ("exercise_participants", gettext_lazy("Exercise participants")),
    ("reviews_done", gettext_lazy("Exercises with an after-action review")),
    ("actions_open", gettext_lazy("Corrective actions still open")),
    ("actions_done", gettext_lazy("Corrective actions done")),
]


def _yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def report_collect(
    *, municipality: Municipality, year: int, language: str | None = None, today=None
) -> ReportData:
    """Everything the report shows for one gmina and one year, in `language`.

    Reads only rows of that gmina. Numbers are hand-checked in tests/dashboards/test_reports.py.
    """
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        return _collect(municipality, year, language, today or timezone.localdate())


def _collect(municipality: Municipality, year: int, language: str, today: date) -> ReportData:
    start, end = _year_bounds(year)
    year_end = date(year, 12, 31)
    memberships = _membership_rows(municipality)
    figures = _figures(municipality, year, memberships)
    previous = _figures(municipality, year - 1, memberships)
    data = ReportData(
        municipality=municipality,
        year=year,
        prepared_on=today,
        language=language,
        figures=figures,
        previous=previous,
    )
    sections = data.sections

    # 1. Comparison with the previous year (the council's two-yearly report).
    sections.append(
        Section(
            key="summary",
            title=_("Key figures and the previous year"),
            header=[_("Indicator"), str(year - 1), str(year), _("Change")],
            rows=[
                [str(label), previous[key], figures[key], figures[key] - previous[key]]
                for key, label in FIGURE_LABELS
            ],
            note=_(
                "Members are counted once however many clubs they belong to; ages are "
                "reached in the year."
            ),
        )
    )

    # 2. Clubs and their members.
    at_end, joined = _member_year_end(memberships, year)
    clubs = list(Club.objects.filter(municipality=municipality).order_by("name"))
    held_sessions = list(
        Session.objects.filter(
            club__municipality=municipality,
            status=Session.Status.COMPLETED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("course__pillar", "club")
        .prefetch_related("instructors__user")
        .order_by("starts_at", "pk")
    )
    exercises = list(
        Exercise.objects.filter(municipality=municipality, starts_at__gte=start, starts_at__lt=end)
        .select_related("club", "threat", "review")
        .order_by("starts_at", "pk")
    )
    held_exercises = [e for e in exercises if e.status == Exercise.Status.HELD]
    sessions_per_club = Counter(s.club_id for s in held_sessions)
    exercises_per_club = Counter(e.club_id for e in held_exercises)
    sections.append(
        Section(
            key="clubs",
            title=_("Clubs"),
            header=[
                _("Club"),
                _("Locality"),
                _("Status"),
                _("Founded"),
                _("Members at the end of the year"),
                _("New members"),
                _("Sessions held"),
                _("Exercises held"),
            ],
            rows=[
                [
                    club.name,
                    club.locality,
                    club.get_status_display(),
                    club.founded_on,
                    len(at_end.get(club.pk, ())),
                    len(joined.get(club.pk, ())),
                    sessions_per_club[club.pk],
                    exercises_per_club[club.pk],
                ]
                for club in clubs
            ],
            note=_("Status today; members and activity in the year."),
        )
    )

    # 3. Members by age at the end of the year.
    members = _union(at_end)
    birth_years = {r["member_id"]: r["member__birth_year"] for r in memberships}
    bands = Counter()
    for member_id in members:
        born = birth_years.get(member_id)
        age = year - born if born else None
        if age is None:
            bands["unknown"] += 1
        elif age < 18:
            bands["under_18"] += 1
        elif age <= 25:
            bands["18_25"] += 1
        else:
            bands["over_25"] += 1
    sections.append(
        Section(
            key="members",
            title=_("Members by age"),
            header=[_("Age"), _("Members at the end of the year")],
            rows=[
                [_("under 18"), bands["under_18"]],
                [_("18–25"), bands["18_25"]],
                [_("over 25"), bands["over_25"]],
                [_("not known"), bands["unknown"]],
                [_("Total"), len(members)],
            ],
        )
    )

    # 4. Training: per pillar and per course.
    enrolments = list(
        Enrolment.objects.filter(
            session__in=[s.pk for s in held_sessions], status=Enrolment.Status.ENROLLED
        ).values_list("session_id", "result")
    )
    per_session = defaultdict(lambda: [0, 0])
    for session_id, result in enrolments:
        per_session[session_id][0] += 1
        per_session[session_id][1] += result == Enrolment.Result.PASSED

    def training_rows(key_of, label_of) -> list[list]:
        """Rows of held sessions grouped by key_of, in key order."""
        totals: dict = {}
        for session in held_sessions:
            row = totals.setdefault(key_of(session), [label_of(session), 0, 0, 0, Decimal(0)])
            row[1] += 1
            row[2] += per_session[session.pk][0]
            row[3] += per_session[session.pk][1]
            row[4] += session.course.hours
        return [[*totals[k][:4], _hours(totals[k][4])] for k in sorted(totals)]

    counted = [_("Sessions held"), _("Participants"), _("Passed"), _("Hours")]
    cross_pillar_last = 99
    by_pillar = training_rows(
        lambda s: s.course.pillar.number if s.course.pillar else cross_pillar_last,
        lambda s: _pillar_label(s.course.pillar),
    )
    sections.append(
        Section(
            key="training_pillars",
            title=_("Training by pillar"),
            header=[_("Pillar"), *counted],
            rows=by_pillar,
            note=_("Completed sessions that started in the year; hours are the course's hours."),
        )
    )
    sections.append(
        Section(
            key="training_courses",
            title=_("Training by course"),
            header=[_("Code"), _("Course"), _("Pillar"), *counted],
            rows=[
                [*label, *numbers]
                for label, *numbers in training_rows(
                    lambda s: s.course.code,
                    lambda s: (
                        s.course.code,
                        s.course.display_title,
                        _pillar_label(s.course.pillar),
                    ),
                )
            ],
        )
    )

    # 5. Certificates per pillar: issued in the year, valid at its end, expiring next year.
    certificates = list(
        Certificate.objects.filter(
            club__municipality=municipality, issued_on__lte=year_end
        ).values_list("pillar__number", "issued_on", "expires_on", "status", "revoked_at")
    )
    pillar_names = {}
    for session in held_sessions:
        pillar = session.course.pillar
        pillar_names[pillar.number if pillar else cross_pillar_last] = _pillar_label(pillar)
    cert_rows: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for number, issued_on, expires_on, status, revoked_at in certificates:
        key = number or cross_pillar_last
        if issued_on.year == year:
            cert_rows[key][0] += 1
        if _valid_on(expires_on, status, revoked_at, year_end):
            cert_rows[key][1] += 1
            if expires_on and expires_on.year == year + 1:
                cert_rows[key][2] += 1
    if cert_rows:
        for pillar in Pillar.objects.filter(number__in=list(cert_rows)):
            pillar_names[pillar.number] = _pillar_label(pillar)
        pillar_names.setdefault(cross_pillar_last, _pillar_label(None))
    sections.append(
        Section(
            key="certificates",
            title=_("Certificates by pillar"),
            header=[
                _("Pillar"),
                _("Issued in the year"),
                _("Valid at the end of the year"),
                _("Expiring next year"),
            ],
            rows=[[pillar_names[k], *cert_rows[k]] for k in sorted(cert_rows)],
            note=_("Certificates expiring next year show where refresher training is needed."),
        )
    )

    # 6. Instructors who taught in the gmina's clubs in the year.
    taught: dict[int, list] = {}
    for session in held_sessions:
        for instructor in session.instructors.all():
            row = taught.setdefault(instructor.pk, [str(instructor), 0, set()])
            row[1] += 1
            row[2].add(session.club_id)
    qualified: dict[int, set[str]] = defaultdict(set)
    for qualification in (
        InstructorQualification.objects.filter(
            instructor_id__in=list(taught), verified_at__isnull=False
        )
        .exclude(valid_until__lt=year_end)
        .select_related("pillar", "course__pillar")
    ):
        pillar = qualification.pillar or qualification.course.pillar
        qualified[qualification.instructor_id].add(_pillar_label(pillar))
    sections.append(
        Section(
            key="instructors",
            title=_("Instructors"),
            header=[
                _("Instructor"),
                _("Sessions taught"),
                _("Clubs"),
                _("Qualified in (valid at the end of the year)"),
            ],
            rows=sorted(
                [
                    [name, count, len(club_ids), ", ".join(sorted(qualified[pk]))]
                    for pk, (name, count, club_ids) in taught.items()
                ],
                key=lambda row: row[0],
            ),
        )
    )

    # 7. Exercises held, with their review and corrective actions.
    action_counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for exercise_id, status in CorrectiveAction.objects.filter(
        review__exercise__in=[e.pk for e in held_exercises]
    ).values_list("review__exercise_id", "status"):
        action_counts[exercise_id][status == CorrectiveAction.Status.DONE] += 1
    attended = Counter(
        ExerciseParticipation.objects.filter(
            exercise__in=[e.pk for e in held_exercises], attended=True
        ).values_list("exercise_id", flat=True)
    )

    sections.append(
        Section(
            key="exercises",
            title=_("Exercises held"),
            header=[
                _("Date"),
                _("Exercise"),
                _("Organised by"),
                _("Threat"),
                _("Participants"),
                _("After-action review"),
                _("Actions open"),
                _("Actions done"),
            ],
            rows=[
                [
                    _local_date(e.starts_at),
                    e.title,
                    e.club.name if e.club else _("the gmina"),
                    e.threat.title if e.threat else "",
                    attended[e.pk],
                    _yes_no(hasattr(e, "review")),
                    action_counts[e.pk][0],
                    action_counts[e.pk][1],
                ]
                for e in held_exercises
            ],
            note=_("Participants: people recorded as having taken part."),
        )
    )

    # 8. The threat register.
    exercises_per_threat = Counter(e.threat_id for e in held_exercises if e.threat_id)
    threats = list(Threat.objects.filter(municipality=municipality))
    level_names = {
        "critical": _("critical"),
        "high": _("high"),
        "medium": _("medium"),
        "low": _("low"),
    }
    sections.append(
        Section(
            key="threats",
            title=_("Threat register"),
            header=[
                _("Threat"),
                _("Kind"),
                _("Likelihood"),
                _("Impact"),
                _("Risk level"),
                _("Last reviewed"),
                _("Exercises in the year"),
            ],
            rows=[
                [
                    t.title,
                    t.get_kind_display(),
                    t.likelihood,
                    t.impact,
                    level_names[t.risk_level],
                    t.reviewed_on,
                    exercises_per_threat[t.pk],
                ]
                for t in threats
            ],
            note=_("The register as it stands today, highest risk first."),
        )
    )

    # 9. Partners in the gmina, with the clubs they work with.
    links = defaultdict(lambda: [0, 0])
    for partner_id, expires_on, signed_on in PartnerLink.objects.filter(
        club__municipality=municipality
    ).values_list("partner_id", "agreement_expires_on", "agreement_signed_on"):
        links[partner_id][0] += 1
        if signed_on and signed_on <= year_end and (expires_on is None or expires_on >= year_end):
            links[partner_id][1] += 1
    partners = list(Partner.objects.filter(municipality=municipality).order_by("name"))
    sections.append(
        Section(
            key="partners",
            title=_("Partners"),
            header=[
                _("Partner"),
                _("Kind"),
                _("KSRG"),
                _("Clubs"),
                _("Agreements in force at the end of the year"),
            ],
            rows=[
                [
                    p.name,
                    p.get_kind_display(),
                    _yes_no(p.is_ksrg),
                    links[p.pk][0],
                    links[p.pk][1],
                ]
                for p in partners
            ],
        )
    )

    # 10. Plans for next year: sessions and exercises planned, corrective actions due.
    next_start, next_end = _year_bounds(year + 1)
    plans: list[list] = []
    for session in (
        Session.objects.filter(
            club__municipality=municipality,
            status=Session.Status.PLANNED,
            starts_at__gte=next_start,
            starts_at__lt=next_end,
        )
        .select_related("course", "club")
        .order_by("starts_at", "pk")
    ):
        plans.append(
            [
                _local_date(session.starts_at),
                _("training session"),
                f"{session.course.code} {session.course.display_title}",
                session.club.name,
            ]
        )
    for exercise in (
        Exercise.objects.filter(
            municipality=municipality,
            status=Exercise.Status.PLANNED,
            starts_at__gte=next_start,
            starts_at__lt=next_end,
        )
        .select_related("club")
        .order_by("starts_at", "pk")
    ):
        plans.append(
            [
                _local_date(exercise.starts_at),
                _("exercise"),
                exercise.title,
                exercise.club.name if exercise.club else _("the gmina"),
            ]
        )
    for action in (
        CorrectiveAction.objects.filter(review__exercise__municipality=municipality)
        .exclude(status=CorrectiveAction.Status.DONE)
        .filter(due_on__lt=date(year + 2, 1, 1))
        .select_related("review__exercise__club")
        .order_by("due_on", "pk")
    ):
        club = action.review.exercise.club
        plans.append(
            [
                action.due_on,
                _("corrective action"),
                action.description[:200],
                club.name if club else _("the gmina"),
            ]
        )
    plans.sort(key=lambda row: (row[0], row[1]))
    sections.append(
        Section(
            key="plans",
            title=_("Plans for %(year)s") % {"year": year + 1},
            header=[_("Date"), _("What"), _("Title"), _("Club")],
            rows=plans,
            note=_(
                "Sessions and exercises planned for next year, and corrective actions not done "
                "yet that are due by its end."
            ),
        )
    )
    return data


# --- Rendering -------------------------------------------------------------------------


def _get_shared() -> dict:
    """The report's stylesheet and template with the process's one font configuration
    and static-only fetcher (certificates.services.rendering.pdf_kit)."""
    return rendering.pdf_kit(PDF_TEMPLATE, STYLESHEET)


def _display(value, language: str) -> object:
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if language == "pl" else text
    if value is None:
        return ""
    return value


def report_pdf_bytes(data: ReportData) -> bytes:
    """The report as a PDF (A4): a title page, one section per table, page numbers."""
    return report_document(data).write_pdf()


def report_document(data: ReportData):
    """The report laid out on A4 pages (a weasyprint Document; tests check its boxes)."""
    from weasyprint import HTML

    shared = _get_shared()
    with translation.override(data.language):
        sections = [
            {
                "key": s.key,
                "title": s.title,
                "header": [
                    {"value": h, "num": any(isinstance(row[i], int | float) for row in s.rows)}
                    for i, h in enumerate(s.header)
                ],
                "note": s.note,
                "rows": [
                    [
                        {"value": _display(v, data.language), "num": isinstance(v, int | float)}
                        for v in row
                    ]
                    for row in s.rows
                ],
            }
            for s in data.sections
        ]
        html = shared["template"].render(
            {
                "data": data,
                "municipality": data.municipality,
                "powiat": data.municipality.powiat,
                "voivodeship": data.municipality.powiat.voivodeship,
                "sections": sections,
                "language": data.language,
            }
        )
    return HTML(
        string=html,
        base_url=rendering.static_root().as_uri() + "/",
        url_fetcher=shared["url_fetcher"],
    ).render(stylesheets=[shared["css"]], font_config=shared["font_config"])


SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_title(number: int, title: str) -> str:
    # Excel allows 31 characters and none of []:*?/\ in a sheet name.
    return f"{number}. {title}".translate(SHEET_FORBIDDEN)[:31]


def report_xlsx_bytes(data: ReportData) -> bytes:
    """The report as a workbook: one sheet per section, every text cell formula-safe."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    with translation.override(data.language):
        for number, section in enumerate(data.sections, start=1):
            sheet = workbook.create_sheet(_sheet_title(number, section.title))
            sheet.append([safe_cell(section.title)])
            sheet.append([safe_cell(f"{data.municipality.name} ({data.municipality.code})")])
            sheet.append([safe_cell(data.year)])
            sheet.append([])
            sheet.append([safe_cell(h) for h in section.header])
            for row in section.rows:
                sheet.append([safe_cell(v) for v in row])
            if section.note:
                sheet.append([])
                sheet.append([safe_cell(section.note)])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _language_of(report: GminaReport) -> str:
    user = report.requested_by
    languages = {code for code, _name in settings.LANGUAGES}
    language = getattr(user, "language", "") if user else ""
    return language if language in languages else settings.LANGUAGE_CODE


def _filename(report: GminaReport, extension: str) -> str:
    return f"raport-{report.municipality.code}-{report.year}.{extension}"


def _store(report: GminaReport, field_name: str, content: bytes, extension: str) -> None:
    # Storage adds a suffix to a name already taken: clear the current file and anything
    # left under the target name (say, by a render whose transaction rolled back).
    file = getattr(report, field_name)
    if file:
        file.delete(save=False)
    model_field = GminaReport._meta.get_field(field_name)
    name = model_field.generate_filename(report, _filename(report, extension))
    if model_field.storage.exists(name):
        model_field.storage.delete(name)
    file.save(_filename(report, extension), ContentFile(content), save=False)


@transaction.atomic
def report_render(*, report: GminaReport) -> None:
    """Collect, render the PDF and the XLSX and store both, replacing earlier files.

    Sets status done (or failed with `error` on a permanent error, e.g. a template bug)
    and counts the attempt. OSError (disk, storage) is raised for the caller to retry.
    Rendering the same report again leaves one file of each kind.
    """
    report.attempts += 1
    try:
        data = report_collect(
            municipality=report.municipality, year=report.year, language=_language_of(report)
        )
        pdf = report_pdf_bytes(data)
        xlsx = report_xlsx_bytes(data)
    except OSError:
        raise
    except Exception as exc:  # anything else fails again the same way: stop here
        logger.exception("Rendering report %s failed", report.pk)
        report.status = GminaReport.Status.FAILED
        report.error = f"{type(exc).__name__}: {exc}"[:500]
        report.save(update_fields=["status", "error", "attempts"])
        return
    rendering._test_delay()  # the worker tests' hook (only with DEBUG on)
    _store(report, "pdf", pdf, "pdf")
    _store(report, "xlsx", xlsx, "xlsx")
    report.status = GminaReport.Status.DONE
    report.rendered_at = timezone.now()
    report.error = ""
    report.save(update_fields=["pdf", "xlsx", "status", "rendered_at", "error", "attempts"])


def report_render_claimed(*, report_id: int) -> bool:
    """Render the report if it is still pending and nobody else is on it; True if this
    call rendered it. Safe to run twice, even at the same time.

    The row is claimed with SELECT … FOR UPDATE SKIP LOCKED and stays locked until both
    files are stored: a second copy of the task finds it locked and stops, or finds it
    done once the first commits. A worker that dies mid-render drops its connection, the
    lock goes, the status is still pending, and the redelivered task or the reconciler
    renders it again.
    """
    with transaction.atomic():
        report = (
            GminaReport.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("municipality__powiat__voivodeship", "requested_by")
            .filter(pk=report_id)
            .first()
        )
        if report is None or report.status != GminaReport.Status.PENDING:
            return False  # gone, held by another worker right now, done or failed
        logger.info("Rendering report %s (%s %s)", report.pk, report.municipality, report.year)
        report_render(report=report)
        return report.status == GminaReport.Status.DONE


def report_reconcile(*, limit: int = 100) -> int:
    """Re-queue reports pending longer than STALE_AFTER; returns how many. Safe to run
    twice, even at once. A re-queued report gets a new requested_at, so the next run
    leaves it alone for another stale period."""
    from dashboards.report_tasks import report_render_task  # the tasks import this module

    now = timezone.now()
    with transaction.atomic():
        # SKIP LOCKED: a report a worker is rendering right now is not stale.
        pks = list(
            GminaReport.objects.select_for_update(skip_locked=True)
            .filter(status=GminaReport.Status.PENDING, requested_at__lt=now - STALE_AFTER)
            .order_by("requested_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if pks:
            GminaReport.objects.filter(pk__in=pks).update(requested_at=now)
            for pk in pks:
                enqueue_on_commit(report_render_task, pk)
    if pks:
        logger.warning("Re-queued %d report(s) left pending too long", len(pks))
    return len(pks)


# --- Requesting --------------------------------------------------------------------------


def report_years(municipality: Municipality, today: date | None = None) -> list[int]:
    """Years a report can be asked for: from the gmina's first activity to this year,
    newest first. First activity: a club founded or registered, a session or an exercise."""
    this_year = (today or timezone.localdate()).year

    def earliest(queryset, field_name):
        return Subquery(
            queryset.filter(**{f"{field_name}__isnull": False})
            .order_by(field_name)
            .values(field_name)[:1]
        )

    clubs = Club.objects.filter(municipality=OuterRef("pk"))
    row = (
        Municipality.objects.filter(pk=municipality.pk)
        .annotate(
            founded=earliest(clubs, "founded_on"),
            created=earliest(clubs, "created_at"),
            session=earliest(
                Session.objects.filter(club__municipality=OuterRef("pk")), "starts_at"
            ),
            exercise=earliest(Exercise.objects.filter(municipality=OuterRef("pk")), "starts_at"),
        )
        .values("founded", "created", "session", "exercise")
        .get()
    )  # one query for the four "firsts"
    firsts = [row["founded"], *(_local_date(row[k]) for k in ("created", "session", "exercise"))]
    first = min((d.year for d in firsts if d), default=this_year)
    return list(range(this_year, min(first, this_year) - 1, -1))


@transaction.atomic
def report_request(*, municipality: Municipality, year: int, requested_by) -> GminaReport:
    """Ask for the gmina's report of `year`: one row per gmina and year, reset to pending
    and queued after commit. Asking again regenerates it; the old files stay until the
    new ones replace them. Safe to run twice."""
    if year > timezone.localdate().year:
        raise ValidationError(_("A report can only cover a year that has begun."))
    report, _created = GminaReport.objects.select_for_update().get_or_create(
        municipality=municipality,
        year=year,
        defaults={"requested_by": requested_by, "requested_at": timezone.now()},
    )
    report.status = GminaReport.Status.PENDING
    report.requested_by = requested_by
    report.requested_at = timezone.now()
    report.attempts = 0
    report.error = ""
    report.save(update_fields=["status", "requested_by", "requested_at", "attempts", "error"])

    from dashboards.report_tasks import report_render_task  # the tasks import this module

    enqueue_on_commit(report_render_task, report.pk)
    return report


def report_list_for(municipality: Municipality, user) -> list[GminaReport]:
    """The gmina's reports the user may see, newest year first."""
    return list(
        GminaReport.objects.visible_to(user)
        .filter(municipality=municipality)
        .select_related("requested_by")
        .order_by("-year")
    )
