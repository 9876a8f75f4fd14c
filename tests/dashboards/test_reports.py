"""The gmina's yearly report: numbers checked by hand, scoping, PDF and XLSX content, the
request flow, the idempotent task and the reconciler."""

import io
import re
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from certificates.models import Certificate
from clubs.models import Club, PartnerLink
from dashboards.models import GminaReport
from dashboards.report_tasks import report_render_task
from dashboards.services import reports
from members.models import Membership
from resilience.models import AfterActionReview, ExerciseParticipation
from tests import factories
from training.models import Enrolment, Session

YEAR = 2025


def at(year, month, day, hour=10):
    return timezone.make_aware(datetime(year, month, day, hour))


def pillar(number):
    from clubs.models import Pillar

    return Pillar.objects.get(number=number)


def join(member, club, joined_on, status=Membership.Status.ACTIVE, left_on=None):
    return factories.MembershipFactory(
        member=member, club=club, status=status, joined_on=joined_on, left_on=left_on
    )


def certificate(club, pillar_, issued_on, expires_on, **kwargs):
    # The certificate's own enrolment sits in an undated planned session: counted nowhere.
    holder_session = factories.SessionFactory(club=club)
    return factories.CertificateFactory(
        enrolment__session=holder_session,
        pillar=pillar_,
        issued_on=issued_on,
        expires_on=expires_on,
        **kwargs,
    )


def busy_gmina(name, prefix):
    """A gmina with two clubs and a year of activity; see the numbers in the tests."""
    gmina = factories.MunicipalityFactory(name=name)
    a = factories.ClubFactory(
        name=f"{prefix} Łęczyca-Ślęża", municipality=gmina, founded_on=date(2024, 3, 1)
    )
    b = factories.ClubFactory(
        name=f"{prefix} Bór", municipality=gmina, status=Club.Status.SUSPENDED
    )
    m = {
        1: factories.MemberFactory(birth_date=date(2010, 1, 1)),
        2: factories.MemberFactory(birth_date=date(2003, 1, 1)),
        3: factories.MemberFactory(birth_date=date(1980, 1, 1)),
        4: factories.MemberFactory(),
        5: factories.MemberFactory(),
        6: factories.MemberFactory(),
    }
    join(m[1], a, date(2024, 5, 1))
    join(m[2], a, date(2025, 2, 1))
    join(m[3], a, date(2023, 1, 10))
    join(m[3], b, date(2025, 6, 1))  # one person in two clubs
    join(m[4], a, date(2024, 1, 1), Membership.Status.LEFT, left_on=date(2025, 3, 1))
    join(m[5], b, None, Membership.Status.APPLICANT)
    join(m[6], a, date(2025, 12, 31))

    first_aid = factories.CourseFactory(code=f"{prefix}-KPP", pillar=pillar(1), hours=8)
    cyber = factories.CourseFactory(code=f"{prefix}-CYB", pillar=pillar(4), hours=4)
    general = factories.CourseFactory(code=f"{prefix}-ZPOS", pillar=None, hours=Decimal("2.5"))
    anna = factories.InstructorProfileFactory(
        user=factories.UserFactory(first_name="Anna", last_name=f"Nowak {prefix}")
    )
    piotr = factories.InstructorProfileFactory(
        user=factories.UserFactory(first_name="Piotr", last_name=f"Wiśniewski {prefix}")
    )
    factories.InstructorQualificationFactory(
        instructor=anna, pillar=pillar(1), valid_until=date(2027, 1, 1)
    )
    factories.InstructorQualificationFactory(
        instructor=piotr, pillar=pillar(4), valid_until=date(2025, 6, 30)
    )

    def session(club, course, starts_at, status=Session.Status.COMPLETED, instructors=()):
        s = factories.SessionFactory(club=club, course=course, starts_at=starts_at, status=status)
        s.instructors.add(*instructors)
        return s

    def enrol(s, member, result=Enrolment.Result.PENDING, status=Enrolment.Status.ENROLLED):
        return factories.EnrolmentFactory(session=s, member=member, result=result, status=status)

    s1 = session(a, first_aid, at(2025, 3, 10), instructors=[anna])
    enrol(s1, m[1], "passed")
    enrol(s1, m[2], "passed")
    enrol(s1, m[3], "failed")
    enrol(s1, m[4], status=Enrolment.Status.CANCELLED)
    s2 = session(b, cyber, at(2025, 6, 1), instructors=[anna, piotr])
    enrol(s2, m[3], "passed")
    s3 = session(a, general, at(2025, 9, 1), instructors=[piotr])
    enrol(s3, m[1], "passed")
    enrol(s3, m[6])
    session(a, first_aid, at(2025, 4, 1), Session.Status.CANCELLED)
    session(a, first_aid, at(2026, 2, 1), Session.Status.PLANNED)
    s6 = session(a, first_aid, at(2024, 5, 5))
    enrol(s6, m[1], "passed")

    certificate(a, pillar(1), date(2025, 3, 20), date(2026, 6, 30))
    certificate(a, pillar(1), date(2024, 5, 10), date(2027, 5, 10))
    certificate(
        b,
        pillar(4),
        date(2025, 6, 5),
        date(2028, 6, 5),
        status=Certificate.Status.REVOKED,
        revoked_at=at(2025, 10, 1),
    )
    certificate(a, pillar(1), date(2023, 1, 1), date(2025, 6, 30))
    certificate(a, None, date(2025, 9, 10), None)

    flood = factories.ThreatFactory(
        municipality=gmina, title=f"Powódź {prefix}", likelihood=3, impact=4
    )
    factories.ThreatFactory(
        municipality=gmina, kind="blackout", title=f"Blackout {prefix}", likelihood=5, impact=5
    )
    e1 = factories.ExerciseFactory(
        club=a, title=f"Ewakuacja szkoły {prefix}", threat=flood, status="held",
        starts_at=at(2025, 5, 15),
    )  # fmt: skip
    for member, attended in ((m[1], True), (m[2], True), (m[3], False)):
        ExerciseParticipation.objects.create(
            exercise=e1, member=member, role="participant", attended=attended
        )
    review = AfterActionReview.objects.create(
        exercise=e1, went_well="Ewakuacja", went_badly="Łączność", lessons="Radia"
    )
    review.actions.create(description="Kupić radiotelefony", due_on=date(2026, 1, 31))
    review.actions.create(description="Szkolenie z łączności", due_on=date(2025, 8, 1),
                          status="done")  # fmt: skip
    review.actions.create(description="Plan łączności", due_on=date(2025, 12, 1),
                          status="in_progress")  # fmt: skip
    e2 = factories.ExerciseFactory(
        club=None, municipality=gmina, title=f"Ćwiczenie gminne {prefix}", status="held",
        starts_at=at(2025, 10, 10),
    )  # fmt: skip
    ExerciseParticipation.objects.create(exercise=e2, member=m[3], role="rescuer", attended=True)
    factories.ExerciseFactory(club=a, title=f"Pożar lasu {prefix}", starts_at=at(2026, 4, 1))
    factories.ExerciseFactory(club=b, status="cancelled", starts_at=at(2025, 7, 1))
    e5 = factories.ExerciseFactory(club=a, status="held", starts_at=at(2024, 9, 1))
    ExerciseParticipation.objects.create(
        exercise=e5, member=m[1], role="participant", attended=True
    )
    AfterActionReview.objects.create(exercise=e5, went_well="-", went_badly="-", lessons="-")

    osp = factories.PartnerFactory(name=f"OSP {prefix}", municipality=gmina, is_ksrg=True)
    factories.PartnerFactory(name=f"Szkoła {prefix}", municipality=gmina, kind="school")
    PartnerLink.objects.create(
        club=a, partner=osp, agreement_signed_on=date(2025, 1, 15),
        agreement_expires_on=date(2027, 1, 14),
    )  # fmt: skip
    PartnerLink.objects.create(club=b, partner=osp)
    return gmina


@pytest.fixture
def zazolc(db):
    gmina = busy_gmina("Zażółć Gęślą", "KOS")
    busy_gmina("Sieradz", "OBCY")  # another gmina, as busy: never in Zażółć's report
    return gmina


@pytest.fixture
def data(zazolc):
    return reports.report_collect(
        municipality=zazolc, year=YEAR, language="en", today=date(2026, 1, 15)
    )


def test_the_key_figures_of_the_year_match_the_hand_count(data):
    assert data.figures == {
        "members": 4,  # m1, m2, m3 (two clubs, once) and m6; m4 left, m5 applies
        "members_new": 2,  # m2 and m6; m3 was already in a club
        "members_under_18": 1,  # m1 (15)
        "members_18_25": 1,  # m2 (22)
        "sessions_held": 3,
        "sessions_cancelled": 1,
        "participants": 6,  # 3 + 1 + 2; the cancelled enrolment does not count
        "people_trained": 4,
        "passed": 4,
        "training_hours": 14.5,  # 8 + 4 + 2.5
        "certificates_issued": 3,
        "certificates_valid": 3,  # c1, c2 and the one without expiry; c3 revoked, c4 expired
        "instructors": 2,
        "exercises_held": 2,
        "exercise_participants": 3,
        "reviews_done": 1,
        "actions_open": 2,  # open and in progress
        "actions_done": 1,
    }


def test_the_previous_year_is_counted_the_same_way(data):
    assert data.previous == {
        "members": 3,  # m1, m3, m4
        "members_new": 2,  # m1, m4
        "members_under_18": 1,
        "members_18_25": 0,
        "sessions_held": 1,
        "sessions_cancelled": 0,
        "participants": 1,
        "people_trained": 1,
        "passed": 1,
        "training_hours": 8,
        "certificates_issued": 1,
        "certificates_valid": 2,  # c2, and c4 until mid-2025
        "instructors": 0,
        "exercises_held": 1,
        "exercise_participants": 1,
        "reviews_done": 1,
        "actions_open": 0,
        "actions_done": 0,
    }


def test_the_summary_compares_the_two_years(data):
    rows = {row[0]: row[1:] for row in data.section("summary").rows}
    assert data.section("summary").header[1:3] == ["2024", "2025"]
    assert rows["Members at the end of the year"] == [3, 4, 1]
    assert rows["Training hours delivered"] == [8, 14.5, 6.5]
    assert rows["Exercises held"] == [1, 2, 1]


def test_clubs_show_status_members_and_activity(data):
    assert data.section("clubs").rows == [
        ["KOS Bór", "", "suspended", None, 1, 1, 1, 0],
        ["KOS Łęczyca-Ślęża", "", "active", date(2024, 3, 1), 4, 2, 2, 1],
    ]


def test_members_by_age(data):
    assert data.section("members").rows == [
        ["under 18", 1],
        ["18–25", 1],
        ["over 25", 1],
        ["not known", 1],
        ["Total", 4],
    ]


def test_training_per_pillar_and_per_course(data):
    assert data.section("training_pillars").rows == [
        ["1. First aid and rescue", 1, 3, 2, 8],
        ["4. Practical cybersecurity", 1, 1, 1, 4],
        ["cross-pillar", 1, 2, 1, 2.5],
    ]
    codes = [row[0] for row in data.section("training_courses").rows]
    assert codes == ["KOS-CYB", "KOS-KPP", "KOS-ZPOS"]
    assert data.section("training_courses").rows[1][2:] == ["1. First aid and rescue", 1, 3, 2, 8]


def test_certificates_per_pillar_issued_valid_and_expiring(data):
    assert data.section("certificates").rows == [
        ["1. First aid and rescue", 1, 2, 1],  # c1 expires in 2026: refresher needed
        ["4. Practical cybersecurity", 1, 0, 0],  # revoked in October
        ["cross-pillar", 1, 1, 0],  # no expiry
    ]


def test_instructors_with_sessions_and_qualifications_valid_at_year_end(data):
    assert data.section("instructors").rows == [
        ["Anna Nowak KOS", 2, 2, "1. First aid and rescue"],
        ["Piotr Wiśniewski KOS", 2, 2, ""],  # qualification lapsed in June
    ]


def test_exercises_with_participants_reviews_and_actions(data):
    assert data.section("exercises").rows == [
        [date(2025, 5, 15), "Ewakuacja szkoły KOS", "KOS Łęczyca-Ślęża", "Powódź KOS",
         2, "yes", 2, 1],
        [date(2025, 10, 10), "Ćwiczenie gminne KOS", "the gmina", "", 1, "no", 0, 0],
    ]  # fmt: skip


def test_threat_register_highest_risk_first(data):
    assert data.section("threats").rows == [
        ["Blackout KOS", "blackout", 5, 5, "critical", None, 0],
        ["Powódź KOS", "flood", 3, 4, "high", None, 1],
    ]


def test_partners_with_their_clubs_and_agreements(data):
    assert data.section("partners").rows == [
        ["OSP KOS", "volunteer fire brigade (OSP)", "yes", 2, 1],
        ["Szkoła KOS", "school", "no", 0, 0],
    ]


def test_plans_for_next_year(data):
    assert data.section("plans").title == "Plans for 2026"
    assert [row[:2] for row in data.section("plans").rows] == [
        [date(2025, 12, 1), "corrective action"],  # overdue, still to do
        [date(2026, 1, 31), "corrective action"],
        [date(2026, 2, 1), "training session"],
        [date(2026, 4, 1), "exercise"],
    ]
    assert data.section("plans").rows[3][2:] == ["Pożar lasu KOS", "KOS Łęczyca-Ślęża"]


def test_the_report_holds_nothing_of_another_gmina(data):
    text = repr([(s.title, s.rows) for s in data.sections])
    assert "KOS" in text
    assert "OBCY" not in text
    assert "Sieradz" not in text


def test_a_quiet_gmina_gets_a_report_of_zeros(db):
    gmina = factories.MunicipalityFactory(name="Cisza")
    data = reports.report_collect(municipality=gmina, year=YEAR, language="en")
    assert set(data.figures.values()) == {0}
    assert all(not s.rows for s in data.sections if s.key not in ("summary", "members"))


# --- PDF and XLSX ------------------------------------------------------------------------


def pdftotext(content: bytes) -> str:
    """The PDF's text by poppler's pdftotext, in reading order; pages split by form feeds."""
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def test_the_pdf_has_a_title_page_sections_polish_letters_and_page_numbers(data):
    text = pdftotext(reports.report_pdf_bytes(data))
    pages = text.split("\f")[:-1]
    assert len(pages) >= 3
    title = pages[0]
    assert "Yearly report on training and exercises" in title
    assert "Zażółć Gęślą" in title  # DejaVu draws every Polish letter
    assert "Year 2025" in title
    assert "Prepared on" in title
    body = "\n".join(pages[1:])
    for heading in ("1. Key figures and the previous year", "4. Training by pillar",
                    "8. Exercises held", "11. Plans for 2026"):  # fmt: skip
        assert heading in body
    assert "KOS Łęczyca-Ślęża" in body
    assert "Wiśniewski" in body
    for number, page in enumerate(pages, start=1):
        assert re.search(rf"\b{number}\s*/\s*{len(pages)}\s*$", page)


def test_the_pdf_is_in_the_requesters_language(zazolc):
    data = reports.report_collect(municipality=zazolc, year=YEAR, language="pl")
    text = pdftotext(reports.report_pdf_bytes(data))
    assert "Pierwsza pomoc i ratownictwo" in text  # pillar names in Polish
    assert "First aid and rescue" not in text


def _boxes(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _boxes(child)


@pytest.mark.parametrize("language", ["pl", "en"])
def test_every_table_of_the_pdf_stays_on_the_a4_page(zazolc, language):
    # The clubs table's 8 long Polish headings ran off the right edge of the page.
    data = reports.report_collect(municipality=zazolc, year=YEAR, language=language)
    document = reports.report_document(data)
    for page in document.pages:
        right_edge = page.width - page._page_box.margin_right
        overflowing = [
            box
            for box in _boxes(page._page_box)
            if getattr(box, "element_tag", None) in {"table", "th", "td"}
            and box.position_x + box.margin_width() > right_edge + 0.5
        ]
        assert not overflowing, [
            (b.element_tag, b.position_x, b.margin_width()) for b in overflowing
        ]


def test_the_xlsx_has_one_sheet_per_section_with_the_numbers(data):
    workbook = load_workbook(io.BytesIO(reports.report_xlsx_bytes(data)))
    assert len(workbook.sheetnames) == len(data.sections) == 11
    assert workbook.sheetnames[0] == "1. Key figures and the previous"
    summary = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert summary[4] == ("Indicator", "2024", "2025", "Change")
    assert summary[5] == ("Members at the end of the year", 3, 4, 1)
    pillars = list(workbook["4. Training by pillar"].iter_rows(values_only=True))
    assert pillars[5:8] == [
        ("1. First aid and rescue", 1, 3, 2, 8),
        ("4. Practical cybersecurity", 1, 1, 1, 4),
        ("cross-pillar", 1, 2, 1, 2.5),
    ]


def test_xlsx_cells_cannot_run_formulas(zazolc):
    Club.objects.filter(municipality=zazolc, status="suspended").update(name="=HYPERLINK(1)")
    data = reports.report_collect(municipality=zazolc, year=YEAR, language="en")
    workbook = load_workbook(io.BytesIO(reports.report_xlsx_bytes(data)))
    names = [row[0] for row in workbook["2. Clubs"].iter_rows(min_row=6, values_only=True)]
    assert "'=HYPERLINK(1)" in names


# --- Requesting, the task and the reconciler --------------------------------------------


@pytest.fixture
def coordinator(zazolc):
    return factories.coordinator_of(zazolc, language="en")


def stored(folder_year: int | None = None) -> list[str]:
    folder = f"reports/{folder_year or timezone.now().year}"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


def test_requesting_a_report_renders_it_after_commit(
    zazolc, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = reports.report_request(municipality=zazolc, year=YEAR, requested_by=coordinator)
        assert report.status == GminaReport.Status.PENDING
    assert len(callbacks) == 1
    report.refresh_from_db()
    assert report.status == GminaReport.Status.DONE, report.error
    assert report.attempts == 1
    code = zazolc.code
    assert stored() == [f"raport-{code}-{YEAR}.pdf", f"raport-{code}-{YEAR}.xlsx"]
    with report.pdf.open("rb") as pdf:
        assert "Zażółć Gęślą" in pdftotext(pdf.read())


def test_asking_again_regenerates_the_same_row_and_files(
    zazolc, coordinator, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            reports.report_request(municipality=zazolc, year=YEAR, requested_by=coordinator)
    report = GminaReport.objects.get()
    assert report.status == GminaReport.Status.DONE
    assert report.attempts == 1  # reset by the request, counted by the render
    assert len(stored()) == 2  # one PDF, one XLSX: no suffixed copies


def test_the_task_is_safe_to_run_twice(zazolc, coordinator):
    report = GminaReport.objects.create(
        municipality=zazolc, year=YEAR, requested_by=coordinator, requested_at=timezone.now()
    )
    report_render_task.delay(report.pk)
    report_render_task.delay(report.pk)
    report.refresh_from_db()
    assert report.status == GminaReport.Status.DONE
    assert report.attempts == 1
    assert len(stored()) == 2


def test_a_render_that_breaks_marks_the_report_failed(zazolc, coordinator, monkeypatch):
    report = GminaReport.objects.create(
        municipality=zazolc, year=YEAR, requested_by=coordinator, requested_at=timezone.now()
    )

    def broken(data):
        raise ValueError("template bug")

    monkeypatch.setattr(reports, "report_pdf_bytes", broken)
    report_render_task.delay(report.pk)
    report.refresh_from_db()
    assert report.status == GminaReport.Status.FAILED
    assert report.error == "ValueError: template bug"
    assert stored() == []


def test_the_reconciler_requeues_only_reports_stuck_in_pending(
    zazolc, coordinator, django_capture_on_commit_callbacks
):
    old = timezone.now() - reports.STALE_AFTER - timedelta(seconds=1)
    stuck = GminaReport.objects.create(
        municipality=zazolc, year=YEAR, requested_by=coordinator, requested_at=old
    )
    fresh = GminaReport.objects.create(
        municipality=zazolc, year=YEAR - 1, requested_by=coordinator, requested_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert reports.report_reconcile() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == GminaReport.Status.DONE
    assert fresh.status == GminaReport.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        assert reports.report_reconcile() == 0  # the fresh one is not stale yet


# --- Pages ---------------------------------------------------------------------------------


def test_years_run_from_the_first_activity_to_this_year(zazolc):
    # The first activity: the club founded in March 2024 (certificates do not count).
    assert reports.report_years(zazolc, today=date(2026, 11, 25)) == [2026, 2025, 2024]


def test_the_list_offers_last_year_by_default(client, zazolc, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("dashboards:report-list", args=[zazolc.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["year"].value() == timezone.localdate().year - 1
    assert [y for y, _label in form.fields["year"].choices][-1] == 2024


@pytest.mark.parametrize("posted", [{}, {"year": "1990"}, {"year": "abc"}])
def test_a_request_without_a_valid_year_shows_the_form_again(client, zazolc, coordinator, posted):
    client.force_login(coordinator)
    response = client.post(reverse("dashboards:report-list", args=[zazolc.pk]), posted)
    assert response.status_code == 200
    assert response.context["form"].errors["year"]
    assert not GminaReport.objects.exists()


def test_a_valid_request_queues_the_report_and_comes_back(
    client, zazolc, coordinator, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    url = reverse("dashboards:report-list", args=[zazolc.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"year": str(YEAR)}, follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "The report for 2025 is being prepared" in response.content.decode()
    report = GminaReport.objects.get(municipality=zazolc, year=YEAR)
    assert report.requested_by == coordinator

    page = client.get(url).content.decode()
    assert reverse("dashboards:report-pdf", args=[report.pk]) in page
    pdf = client.get(reverse("dashboards:report-pdf", args=[report.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert "Zażółć Gęślą" in pdftotext(b"".join(pdf.streaming_content))
    xlsx = client.get(reverse("dashboards:report-xlsx", args=[report.pk]))
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).sheetnames[1] == "2. Clubs"


@pytest.mark.django_db(transaction=True)
def test_a_report_ready_at_once_says_ready_not_refresh_in_a_minute(client, zazolc, coordinator):
    # Without a broker (make run) the report is rendered inside the request, at its commit.
    client.force_login(coordinator)
    url = reverse("dashboards:report-list", args=[zazolc.pk])
    page = client.post(url, {"year": str(YEAR)}, follow=True).content.decode()
    assert "The report for 2025 is ready." in page
    assert "being prepared" not in page
    assert 'hx-trigger="every 3s"' not in page


def test_the_table_reloads_itself_while_a_report_is_being_prepared(client, zazolc, coordinator):
    report = GminaReport.objects.create(
        municipality=zazolc, year=YEAR, requested_by=coordinator, requested_at=timezone.now()
    )
    client.force_login(coordinator)
    url = reverse("dashboards:report-list", args=[zazolc.pk])
    assert 'hx-trigger="every 3s"' in client.get(url).content.decode()

    report.status = GminaReport.Status.DONE
    report.save()
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="report-table"')
    assert "<h1>" not in fragment
    assert 'hx-trigger="every 3s"' not in fragment  # ready: it stops asking
    assert reverse("dashboards:report-pdf", args=[report.pk]) in fragment


def test_downloads_answer_404_until_the_report_is_ready(client, zazolc, coordinator):
    report = GminaReport.objects.create(
        municipality=zazolc, year=YEAR, requested_by=coordinator, requested_at=timezone.now()
    )
    client.force_login(coordinator)
    assert client.get(reverse("dashboards:report-pdf", args=[report.pk])).status_code == 404
    assert client.get(reverse("dashboards:report-xlsx", args=[report.pk])).status_code == 404


def test_another_gminas_coordinator_sees_neither_list_nor_files(client, zazolc, coordinator):
    report = GminaReport.objects.create(
        municipality=zazolc, year=YEAR, requested_by=coordinator, requested_at=timezone.now()
    )
    GminaReport.objects.filter(pk=report.pk).update(status="done")
    stranger = factories.coordinator_of(factories.MunicipalityFactory(name="Obca"))
    client.force_login(stranger)
    assert client.get(reverse("dashboards:report-list", args=[zazolc.pk])).status_code == 404
    assert client.get(reverse("dashboards:report-pdf", args=[report.pk])).status_code == 404


def test_the_list_page_costs_the_same_with_more_reports(
    client, zazolc, coordinator, django_assert_max_num_queries
):
    client.force_login(coordinator)
    url = reverse("dashboards:report-list", args=[zazolc.pk])
    GminaReport.objects.create(
        municipality=zazolc, year=2024, requested_by=coordinator, requested_at=timezone.now()
    )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for year in (2020, 2021, 2022, 2023):
        GminaReport.objects.create(
            municipality=zazolc, year=year, requested_by=coordinator, requested_at=timezone.now()
        )
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    assert len(five) == len(one) <= 12, "\n".join(q["sql"][:150] for q in five.captured_queries)


def test_beat_runs_the_reconciler_task(settings):
    from dashboards.report_tasks import report_reconcile_task

    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-report-reconcile"]
    assert entry["task"] == report_reconcile_task.name


def test_reports_and_certificates_share_the_process_font_configuration():
    from certificates.services import rendering

    report_kit, certificate_kit = reports._get_shared(), rendering._get_shared()
    assert report_kit["font_config"] is certificate_kit["font_config"]
    assert report_kit["url_fetcher"] is certificate_kit["url_fetcher"]
    assert report_kit["css"] is not certificate_kit["css"]
    assert reports._get_shared() is report_kit  # built once per process
