"""The club dashboard: rollup numbers, live lists, scoping, exports and the access log.

Rollup rows (ClubStat, ClubPillarStat) are written directly with hand-picked numbers; the
live lists (sessions, certificates, attendance) come from factories, with the expected
rows worked out by hand in each test.
"""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from clubs.models import Pillar
from dashboards.models import ClubPillarStat, ClubStat, RollupRun
from members.models import PersonalDataAccess
from tests import factories
from training.models import Attendance, Meeting, Session

# Per pillar (in pillar order): not started, in progress, certified, expiring. Each row sums
# to the 12 active members.
PILLAR_COUNTS = [(4, 3, 3, 2), (6, 2, 4, 0), (12, 0, 0, 0), (5, 5, 1, 1), (0, 0, 12, 0)]


def today():
    return timezone.localdate()


def club_url(club) -> str:
    return reverse("dashboards:club", kwargs={"club_pk": club.pk})


def export_url(club, table: str, fmt: str = "csv") -> str:
    url = reverse("dashboards:club-export", kwargs={"club_pk": club.pk, "table": table})
    return f"{url}?format={fmt}"


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def make_stat(club, **overrides) -> ClubStat:
    numbers = {
        "members_active": 12,
        "members_under_18": 3,
        "members_18_25": 4,
        "sessions_held": 5,
        "sessions_planned": 2,
        "last_session_on": today() - timedelta(days=10),
        "next_session_on": today() + timedelta(days=3),
        "attendance_recorded": 40,
        "attendance_present": 30,
        "certificates_valid": 9,
        "certificates_expiring_90": 2,
        "agreements_expiring_90": 0,
        "refreshed_at": timezone.now(),
    }
    numbers.update(overrides)
    stat = ClubStat.objects.create(club=club, municipality=club.municipality, **numbers)
    for pillar, counts in zip(Pillar.objects.order_by("number"), PILLAR_COUNTS, strict=True):
        ClubPillarStat.objects.create(
            club_stat=stat,
            pillar=pillar,
            not_started=counts[0],
            in_progress=counts[1],
            certified=counts[2],
            expiring=counts[3],
        )
    return stat


def completed_session(club, *, days_ago: int, marks: list[list[bool]], code: str) -> Session:
    """A completed session with one meeting per list in `marks`, each list giving the
    attendance of the same enrolled people (present or not)."""
    session = factories.session_with_meeting(club=club, starts_in_days=-days_ago, course__code=code)
    session.status = Session.Status.COMPLETED
    session.save(update_fields=["status"])
    meetings = [session.meetings.get()]
    for index in range(1, len(marks)):
        start = meetings[0].starts_at + timedelta(days=index)
        meetings.append(
            Meeting.objects.create(
                session=session, club=club, starts_at=start, ends_at=start + timedelta(hours=2)
            )
        )
    enrolments = [factories.EnrolmentFactory(session=session) for _ in marks[0]]
    for meeting, presence in zip(meetings, marks, strict=True):
        for enrolment, present in zip(enrolments, presence, strict=True):
            Attendance.objects.create(
                meeting=meeting, enrolment=enrolment, club=club, present=present
            )
    return session


def certificate(club, *, expires_in: int, member=None, **kwargs):
    """A certificate of `club` whose last valid day is `expires_in` days from today."""
    session = factories.SessionFactory(club=club)
    enrolment = factories.EnrolmentFactory(
        session=session,
        member=member or factories.MemberFactory(),
        result="passed",
        completed_on=today(),
    )
    return factories.CertificateFactory(
        enrolment=enrolment, expires_on=today() + timedelta(days=expires_in), **kwargs
    )


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["national", "coordinator", "leader"])
def test_club_staff_see_the_dashboard(client, world, role):
    client.force_login(world.users[role])
    response = client.get(club_url(world.club))
    assert response.status_code == 200
    assert "Dashboard: KOS Złotokłos" in response.content.decode()


def test_an_instructor_of_the_club_is_refused(client, world):
    client.force_login(world.users["instructor"])
    assert client.get(club_url(world.club)).status_code == 403
    assert client.get(export_url(world.club, "pillars")).status_code == 403


def test_a_leader_of_another_club_does_not_find_it(client, world):
    client.force_login(world.users["outsider"])
    assert client.get(club_url(world.club)).status_code == 404
    assert client.get(export_url(world.club, "expiring")).status_code == 404


def test_a_coordinator_of_another_gmina_does_not_find_it(client, world):
    client.force_login(factories.coordinator_of(world.other_municipality))
    assert client.get(club_url(world.club)).status_code == 404
    assert client.get(export_url(world.club, "pillars")).status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_a_member_does_not_find_it(client, world):
    client.force_login(world.users["member"])
    assert client.get(club_url(world.club)).status_code == 404


def test_the_club_page_links_to_the_dashboard_for_staff_only(client, world):
    url = club_url(world.club)
    detail = reverse("clubs:club-detail", kwargs={"club_pk": world.club.pk})
    client.force_login(world.users["leader"])
    assert f'href="{url}"' in client.get(detail).content.decode()
    client.force_login(world.users["instructor"])
    assert f'href="{url}"' not in client.get(detail).content.decode()


# --- Rollup numbers -------------------------------------------------------------------------


def test_key_numbers_come_from_the_club_rollup_row(client, world):
    make_stat(world.club)
    client.force_login(world.users["leader"])
    response = client.get(club_url(world.club))
    page = response.content.decode()
    stat = response.context["stat"]
    assert (stat.members_active, stat.members_under_18, stat.members_18_25) == (12, 3, 4)
    assert "<dt>Active members</dt><dd>12</dd>" in page
    assert "<dt>Active members under 18</dt><dd>3</dd>" in page
    assert "<dt>Active members aged 18–25</dt><dd>4</dd>" in page
    assert "<dt>Sessions held</dt><dd>5</dd>" in page
    assert "<dt>Sessions planned</dt><dd>2</dd>" in page
    assert "<dt>Valid certificates</dt><dd>9</dd>" in page
    assert "<dt>Certificates expiring in 90 days</dt><dd>2</dd>" in page
    # 30 present of 40 marks recorded over the last 365 days.
    assert response.context["attendance_rate"] == 75.0
    assert "<dt>Attendance rate, last 365 days</dt><dd>75.0%</dd>" in page
    assert "30 present of 40 attendance marks" in page
    assert "The numbers below were calculated by the data refresh at" in page


def test_members_per_pillar_status_are_a_stacked_chart_with_its_table(client, world):
    make_stat(world.club)
    client.force_login(world.users["coordinator"])
    response = client.get(club_url(world.club))
    chart = response.context["pillar_chart"]
    pillars = [p.name_en for p in Pillar.objects.order_by("number")]
    assert chart.header == [
        "Pillar",
        "Not started",
        "In progress",
        "Certified",
        "Expiring soon",
        "Total",
    ]
    assert chart.rows == [
        [name, *counts, 12] for name, counts in zip(pillars, PILLAR_COUNTS, strict=True)
    ]
    page = response.content.decode()
    assert 'class="dash-chart bar-chart"' in page
    assert f'href="{export_url(world.club, "pillars")}"' in page


def test_health_signals_are_explained_with_what_to_do(client, world):
    make_stat(
        world.club,
        no_session_90_days=True,
        last_session_on=today() - timedelta(days=120),
        leader_lapsing=True,
        agreements_expiring=True,
        agreements_expiring_90=2,
    )
    client.force_login(world.users["leader"])
    page = client.get(club_url(world.club)).content.decode()
    assert "No session has been held in the last 90 days (the last one was on" in page
    assert reverse("training:session-create", kwargs={"club_pk": world.club.pk}) in page
    assert "No leader of the club has signed in for 90 days" in page
    assert reverse("clubs:club-leaders", kwargs={"club_pk": world.club.pk}) in page
    assert "2 partner agreements expire within 90 days." in page
    assert "No health signals" not in page


def test_a_healthy_club_says_so(client, world):
    make_stat(world.club)
    client.force_login(world.users["leader"])
    page = client.get(club_url(world.club)).content.decode()
    assert "No health signals" in page
    assert 'class="health-flag"' not in page


def test_without_a_rollup_row_the_page_says_when_numbers_will_come(client, world):
    client.force_login(world.users["leader"])
    page = client.get(club_url(world.club)).content.decode()
    assert "This club's numbers have not been calculated yet." in page
    assert "No data refresh has run yet." in page
    RollupRun.objects.create(
        started_at=timezone.now(), finished_at=timezone.now(), duration_ms=10, as_of=today()
    )
    page = client.get(club_url(world.club)).content.decode()
    assert "The last data refresh, at" in page
    assert "did not include the club" in page
    # The live lists are still there.
    assert "Upcoming sessions" in page


# --- Live lists -----------------------------------------------------------------------------


def test_upcoming_sessions_are_the_next_planned_ones_soonest_first(client, world):
    club = world.club
    soon = factories.session_with_meeting(
        club=club,
        starts_in_days=3,
        course__code="SOON",
        venue_partner=world.objects["partner"],
        venue="sala na piętrze",
    )
    factories.EnrolmentFactory(session=soon)
    factories.EnrolmentFactory(session=soon)
    factories.EnrolmentFactory(session=soon, status="cancelled")
    # Not upcoming: started already, cancelled, or another club's.
    factories.session_with_meeting(club=club, starts_in_days=-2, course__code="PAST")
    cancelled = factories.session_with_meeting(club=club, starts_in_days=5, course__code="OFF")
    cancelled.status = Session.Status.CANCELLED
    cancelled.save(update_fields=["status"])
    factories.session_with_meeting(club=world.other_club, starts_in_days=4, course__code="OTH")
    client.force_login(world.users["leader"])
    response = client.get(club_url(club))
    upcoming = response.context["upcoming"]
    # The world's session (in 7 days, the world's member enrolled) comes after SOON.
    assert [s.course.code for s in upcoming] == ["SOON", "KPP-WORLD"]
    assert [s.places_taken for s in upcoming] == [2, 1]
    page = response.content.decode()
    assert f'href="{soon.get_absolute_url()}"' in page
    assert "2 of 12" in page
    assert "<td>OSP Złotokłos, sala na piętrze</td>" in page


def test_upcoming_sessions_stop_at_ten(client, world):
    for day in range(1, 13):
        factories.session_with_meeting(club=world.club, starts_in_days=day)
    client.force_login(world.users["national"])
    upcoming = client.get(club_url(world.club)).context["upcoming"]
    assert len(upcoming) == 10
    assert upcoming[0].starts_at < upcoming[-1].starts_at


def test_expiring_certificates_are_the_valid_ones_within_90_days(client, world):
    club = world.club
    member = factories.MembershipFactory(club=club, member__last_name="Abacka").member
    in_10 = certificate(club, expires_in=10, member=member, holder_name="Anna Abacka")
    in_90 = certificate(club, expires_in=90, holder_name="Bogdan Bobrowski")
    certificate(club, expires_in=91, holder_name="Too Late")
    certificate(club, expires_in=5, status="revoked", holder_name="Revoked Holder")
    certificate(club, expires_in=-1, holder_name="Expired Holder")
    certificate(world.other_club, expires_in=20, holder_name="Other Club")
    client.force_login(world.users["leader"])
    response = client.get(club_url(club))
    expiring = response.context["expiring"]
    assert [c.pk for c in expiring] == [in_10.pk, in_90.pk]
    assert [c.days_left for c in expiring] == [10, 90]
    page = response.content.decode()
    for name in ("Too Late", "Revoked Holder", "Expired Holder", "Other Club"):
        assert name not in page
    # The leader may open the club member's page; Bobrowski only took a course in the club.
    member_url = reverse("members:member-detail", kwargs={"member_pk": member.pk})
    assert f'<a href="{member_url}">Anna Abacka</a>' in page
    other_url = reverse("members:member-detail", kwargs={"member_pk": in_90.member_id})
    assert other_url not in page
    assert "Bogdan Bobrowski" in page


def test_national_staff_get_a_link_to_every_holder(client, world):
    in_90 = certificate(world.club, expires_in=90, holder_name="Bogdan Bobrowski")
    client.force_login(world.users["national"])
    page = client.get(club_url(world.club)).content.decode()
    url = reverse("members:member-detail", kwargs={"member_pk": in_90.member_id})
    assert f'<a href="{url}">Bogdan Bobrowski</a>' in page


def test_viewing_the_expiring_certificates_is_logged(client, world):
    certificate(world.club, expires_in=10)
    certificate(world.club, expires_in=20)
    client.force_login(world.users["coordinator"])
    client.get(club_url(world.club))
    entry = PersonalDataAccess.objects.get()
    assert entry.user == world.users["coordinator"]
    assert entry.user_email == "coordinator@kos.example"
    assert entry.action == PersonalDataAccess.Action.LIST
    assert entry.club == world.club
    assert entry.member_count == 2
    assert entry.detail == club_url(world.club)


def test_attendance_per_recent_completed_session(client, world):
    club = world.club
    # 2 meetings x 2 people: 3 of 4 marks present = 75.0 %.
    recent = completed_session(
        club, days_ago=10, marks=[[True, True], [True, False]], code="RECENT"
    )
    # 1 meeting x 3 people: 1 of 3 present = 33.3 %.
    completed_session(club, days_ago=40, marks=[[True, False, False]], code="OLDER")
    # Completed but no attendance recorded: listed, without a rate.
    completed_session(club, days_ago=60, marks=[[]], code="NOMARKS")
    completed_session(world.other_club, days_ago=5, marks=[[True]], code="OTHER")
    client.force_login(world.users["leader"])
    response = client.get(club_url(club))
    rows = response.context["attendance"]
    assert [(r.session.course.code, r.recorded, r.present, r.rate) for r in rows] == [
        ("RECENT", 4, 3, 75.0),
        ("OLDER", 3, 1, 33.3),
        ("NOMARKS", 0, 0, None),
    ]
    chart = response.context["attendance_chart"]
    assert [row[1] for row in chart.rows] == [75, 33.3]
    assert chart.header == ["Session", "Attendance rate (%)"]
    assert f'href="{recent.get_absolute_url()}"' in response.content.decode()


def test_attendance_lists_the_last_ten_completed_sessions(client, world):
    for days_ago in range(1, 13):
        completed_session(world.club, days_ago=days_ago, marks=[[True]], code=f"C{days_ago}")
    client.force_login(world.users["leader"])
    rows = client.get(club_url(world.club)).context["attendance"]
    assert [r.session.course.code for r in rows] == [f"C{d}" for d in range(1, 11)]


# --- Exports --------------------------------------------------------------------------------


def test_pillar_export_holds_the_rollup_numbers(client, world):
    make_stat(world.club)
    client.force_login(world.users["leader"])
    response = client.get(export_url(world.club, "pillars"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert rows[0] == [
        "Pillar",
        "Not started",
        "In progress",
        "Certified",
        "Expiring soon",
        "Active members",
    ]
    pillars = [p.name_en for p in Pillar.objects.order_by("number")]
    assert rows[1:] == [
        [name, *map(str, counts), "12"] for name, counts in zip(pillars, PILLAR_COUNTS, strict=True)
    ]
    assert not PersonalDataAccess.objects.exists()  # numbers only: nothing to log


def test_pillar_export_without_a_rollup_row_is_just_the_header(client, world):
    client.force_login(world.users["national"])
    rows = csv_rows(client.get(export_url(world.club, "pillars")))
    assert len(rows) == 1


def test_session_export_lists_the_upcoming_sessions(client, world):
    factories.session_with_meeting(club=world.club, starts_in_days=3, course__code="SOON")
    client.force_login(world.users["coordinator"])
    rows = csv_rows(client.get(export_url(world.club, "sessions")))
    assert rows[0] == ["Starts", "Course code", "Course", "Venue", "Places taken", "Capacity"]
    assert [(r[1], r[4], r[5]) for r in rows[1:]] == [("SOON", "0", "12"), ("KPP-WORLD", "1", "12")]


def test_attendance_export_adds_the_yearly_rate(client, world):
    make_stat(world.club)
    completed_session(world.club, days_ago=10, marks=[[True, True], [True, False]], code="R")
    client.force_login(world.users["leader"])
    rows = csv_rows(client.get(export_url(world.club, "attendance")))
    assert rows[0][3:] == ["Attendance marks", "Present", "Attendance rate (%)"]
    assert rows[1][1:] == ["R", rows[1][2], "4", "3", "75.0"]
    assert rows[2] == ["All sessions, last 365 days", "", "", "40", "30", "75.0"]


def test_expiring_export_is_logged_and_scoped_like_the_page(client, world):
    in_10 = certificate(world.club, expires_in=10, holder_name="=HYPERLINK(1)")
    certificate(world.club, expires_in=91, holder_name="Too Late")
    certificate(world.other_club, expires_in=10, holder_name="Other Club")
    client.force_login(world.users["leader"])
    response = client.get(export_url(world.club, "expiring", "xlsx"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Holder", "Course", "Certificate number", "Valid until", "Days left"]
    assert len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK(1)"  # formula-safe
    assert rows[1][2] == in_10.number
    assert rows[1][4] == 10
    entry = PersonalDataAccess.objects.get()
    assert (entry.action, entry.club, entry.member_count) == ("export", world.club, 1)
    assert entry.user == world.users["leader"]
    assert entry.detail.startswith("xlsx: ")


def test_unknown_table_or_format_is_not_found(client, world):
    client.force_login(world.users["national"])
    assert client.get(export_url(world.club, "members")).status_code == 404
    assert client.get(export_url(world.club, "pillars", "pdf")).status_code == 404


def test_posting_to_the_dashboard_is_not_allowed(client, world):
    client.force_login(world.users["leader"])
    assert client.post(club_url(world.club)).status_code == 405


# --- Query count ----------------------------------------------------------------------------


def grow_club(club, size: int) -> None:
    """`size` members each with a valid certificate expiring soon, `size` upcoming and
    completed sessions with attendance."""
    for index in range(size):
        membership = factories.MembershipFactory(club=club)
        certificate(club, expires_in=5 + index, member=membership.member)
        factories.session_with_meeting(club=club, starts_in_days=2 + index)
        completed_session(club, days_ago=3 + index, marks=[[True, False]], code=f"G{size}-{index}")


def page_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    # The session's idle timeout (privileged users) saves the session in a savepoint: the
    # test's own transaction. In production that is a plain autocommit UPDATE.
    return [
        q["sql"]
        for q in context.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


@pytest.mark.parametrize("role", ["national", "coordinator", "leader"])
def test_query_count_does_not_grow_with_the_club(client, world, role):
    make_stat(world.club)
    grow_club(world.club, 2)
    client.force_login(world.users[role])
    small = page_queries(client, club_url(world.club))
    grow_club(world.club, 15)
    large = page_queries(client, club_url(world.club))
    assert len(large) == len(small)
    assert len(large) <= 12
