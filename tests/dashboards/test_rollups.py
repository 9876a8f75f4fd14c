"""Rollups (dashboards.services.rollups) against numbers computed by hand.

The `country` fixture is a small hand-made country: two voivodeships, one powiat each,
five gminas (one no longer current), five clubs. Every expected number below is a literal,
with the people or rows it counts in the comment. T is today in Europe/Warsaw.
"""

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates.models import Certificate
from clubs.models import Club, Partner, Pillar
from dashboards import tasks
from dashboards.models import (
    AreaMonthStat,
    AreaPartnerStat,
    AreaPillarStat,
    AreaStat,
    ClubPillarStat,
    ClubStat,
    RollupRun,
)
from dashboards.selectors_freshness import latest_run
from dashboards.services import rollups
from dashboards.services.rollups import _birth_cutoff, club_pillar_counts, rollups_refresh
from kos_portal.roles import Role
from members.models import Member, Membership
from tests import factories
from training.models import Attendance, Session
from training.selectors_history import pillar_status_for_members


def years_ago(years: int, today: date) -> date:
    """A birth date making someone `years` old today (ten days past the birthday)."""
    day = today - timedelta(days=10)
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


@dataclass
class Country:
    today: date
    clubs: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)


def _attend(session, enrolment, present: bool) -> None:
    Attendance.objects.create(
        meeting=session.meetings.get(), enrolment=enrolment, club=session.club, present=present
    )


def build_country(prefix: str = "") -> Country:
    """The hand-made country. With a `prefix` ("1".."9"), a second disjoint copy (other
    codes) for the query-count test."""
    today = timezone.localdate()
    now = timezone.now()
    c = Country(today=today)
    woj = {"A": "02", "B": "04"} if not prefix else {"A": f"1{prefix}", "B": f"2{prefix}"}
    voivodeship_a = factories.VoivodeshipFactory(code=woj["A"], name="dolnośląskie")
    voivodeship_b = factories.VoivodeshipFactory(code=woj["B"], name="kujawsko-pomorskie")
    powiat_a1 = factories.PowiatFactory(voivodeship=voivodeship_a, code=f"{woj['A']}01")
    powiat_b1 = factories.PowiatFactory(voivodeship=voivodeship_b, code=f"{woj['B']}01")

    def gmina(powiat, number, population, is_current=True):
        return factories.MunicipalityFactory(
            powiat=powiat,
            code=f"{powiat.code}{number}2",
            population=population,
            is_current=is_current,
        )

    g1 = gmina(powiat_a1, "01", 10_000)
    g2 = gmina(powiat_a1, "02", None)  # population unknown
    g3 = gmina(powiat_b1, "01", 5_000)
    gmina(powiat_b1, "02", 2_000)  # G4: no clubs at all
    gmina(powiat_b1, "03", 3_000, is_current=False)  # G5: gone from the register, no row

    active, closed, proposed = Club.Status.ACTIVE, Club.Status.CLOSED, Club.Status.PROPOSED
    c1 = factories.ClubFactory(name="C1", municipality=g1, status=active)
    c2 = factories.ClubFactory(name="C2", municipality=g2, status=active)  # no leader
    c3 = factories.ClubFactory(name="C3", municipality=g3, status=active)
    c4 = factories.ClubFactory(name="C4", municipality=g3, status=closed)
    c5 = factories.ClubFactory(name="C5", municipality=g2, status=proposed)
    c.clubs = {"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5}

    # Leaders: C1's first leader signed in yesterday, its co-leader never (still fine);
    # C3's leader last signed in 100 days ago (lapsing); C2 has none (lapsing).
    leader_1 = factories.leader_of(c1)
    leader_1.last_login = now - timedelta(days=1)
    leader_1.save(update_fields=["last_login"])
    factories.leader_of(c1)
    leader_3 = factories.leader_of(c3)
    leader_3.last_login = now - timedelta(days=100)
    leader_3.save(update_fields=["last_login"])
    gone = factories.leader_of(c2)  # an ended assignment does not count
    gone.assignments.update(ended_at=now - timedelta(days=5))

    # People. M2 is in two clubs of powiat A1 (C1 in G1, C2 in G2).
    def person(name, birth_date=None, birth_year=None):
        return factories.MemberFactory(
            first_name=name, birth_date=birth_date, birth_year=birth_year
        )

    m1 = person("M1", years_ago(16, today))  # a minor
    m2 = person("M2", years_ago(20, today))  # 20 years old
    m3 = person("M3", years_ago(40, today))
    m4 = person("M4", birth_year=today.year - 22)  # no date of birth: 22 by the year
    m5 = person("M5", years_ago(19, today))  # left the club: not counted
    m6 = person("M6", years_ago(30, today))
    c.members = {"M1": m1, "M2": m2, "M3": m3, "M4": m4, "M5": m5, "M6": m6}
    for member, club, status in [
        (m1, c1, Membership.Status.ACTIVE),
        (m2, c1, Membership.Status.ACTIVE),
        (m2, c2, Membership.Status.ACTIVE),
        (m3, c1, Membership.Status.ACTIVE),
        (m4, c3, Membership.Status.ACTIVE),
        (m5, c1, Membership.Status.LEFT),
        (m6, c3, Membership.Status.ACTIVE),
    ]:
        factories.MembershipFactory(member=member, club=club, status=status)

    # Courses.
    first_aid, drones, cyber = (
        Pillar.objects.get(code=code) for code in ("first-aid", "drones", "cyber")
    )
    fa12 = factories.CourseFactory(pillar=first_aid, validity_months=12)
    fa36 = factories.CourseFactory(pillar=first_aid, validity_months=36)
    dr36 = factories.CourseFactory(pillar=drones, validity_months=36)
    cy0 = factories.CourseFactory(pillar=cyber, validity_months=None)  # never expires
    zpos = factories.CourseFactory(pillar=None, validity_months=36)  # cross-pillar

    completed, planned = Session.Status.COMPLETED, Session.Status.PLANNED

    def session(club, course, days, status):
        return factories.session_with_meeting(
            club=club, course=course, starts_in_days=days, status=status
        )

    s1 = session(c1, fa12, -300, completed)
    s2 = session(c1, fa12, -400, completed)
    s3 = session(c1, zpos, -10, completed)
    s4 = session(c1, fa36, 7, planned)
    s5 = session(c1, cy0, -5, Session.Status.CANCELLED)
    s6 = session(c2, dr36, -60, completed)
    s7 = session(c3, cy0, -200, completed)
    s9 = factories.SessionFactory(club=c2, course=fa36, status=planned)  # no date yet
    s10 = session(c1, fa36, -3, planned)  # planned, already started, results not in
    c.sessions = {"S1": s1, "S3": s3, "S4": s4, "S6": s6, "S7": s7, "S9": s9, "S10": s10}

    def enrol(session, member, **kwargs):
        return factories.EnrolmentFactory(session=session, member=member, **kwargs)

    def passed(session, member):
        return enrol(
            session,
            member,
            result="passed",
            completed_on=timezone.localdate(session.starts_at),
        )

    def certificate(enrolment, expires_on, status=Certificate.Status.VALID):
        return factories.CertificateFactory(
            enrolment=enrolment,
            issued_on=enrolment.completed_on,
            expires_on=expires_on,
            status=status,
        )

    e_m2_s1 = passed(s1, m2)
    certificate(e_m2_s1, today + timedelta(days=30))  # K1: expiring in 30 days
    e_m3_s2 = passed(s2, m3)
    certificate(e_m3_s2, today - timedelta(days=35))  # K2: expired
    e_m1_s3 = passed(s3, m1)
    certificate(e_m1_s3, today + timedelta(days=1000))  # K5: ZPOS, no pillar
    e_m3_s3 = passed(s3, m3)
    certificate(e_m3_s3, today + timedelta(days=1000), Certificate.Status.REVOKED)  # K3
    e_m6_s7 = passed(s7, m6)
    certificate(e_m6_s7, None)  # K4: cyber, never expires
    e_m2_s6 = passed(s6, m2)
    certificate(e_m2_s6, today + timedelta(days=1000))  # K6: drones, from C2
    enrol(s4, m1)  # planned session: in progress
    enrol(s4, m6, status="waitlisted")  # M6 (C3) on C1's waiting list: in progress
    enrol(s5, m3)  # cancelled session: ignored
    e_m4_s7 = enrol(s7, m4, result="failed")  # took part, failed: in progress

    # Attendance: S2's (400 days ago) is outside the 365-day window.
    _attend(s1, e_m2_s1, True)
    _attend(s2, e_m3_s2, True)
    _attend(s3, e_m1_s3, True)
    _attend(s3, e_m3_s3, False)
    _attend(s7, e_m6_s7, True)
    _attend(s7, e_m4_s7, False)

    # Partners: P1 (OSP of G3) linked to C1 and C3; P2 (school of G1) to C1; P3 (NGO) to
    # the closed C4 only (left out of partner kinds).
    p1 = factories.PartnerFactory(municipality=g3, kind=Partner.Kind.OSP)
    p2 = factories.PartnerFactory(municipality=g1, kind=Partner.Kind.SCHOOL)
    p3 = factories.PartnerFactory(municipality=g3, kind=Partner.Kind.NGO)
    c1.partner_links.create(partner=p1)
    c1.partner_links.create(partner=p2, agreement_expires_on=today + timedelta(days=200))
    c3.partner_links.create(partner=p1, agreement_expires_on=today + timedelta(days=10))
    c4.partner_links.create(partner=p3, agreement_expires_on=today + timedelta(days=5))

    # Instructors: I1 teaches in C1 and C2, I2 in C3; I3's assignment in C1 has ended.
    i1 = factories.instructor_of(c1)
    factories.AssignmentFactory(user=i1, role=Role.INSTRUCTOR, club=c2)
    i2 = factories.instructor_of(c3)
    i3 = factories.instructor_of(c1)
    i3.assignments.update(ended_at=now)
    p_i1 = factories.InstructorProfileFactory(user=i1)
    p_i2 = factories.InstructorProfileFactory(user=i2)
    p_i3 = factories.InstructorProfileFactory(user=i3)
    qualification = factories.InstructorQualificationFactory
    qualification(instructor=p_i1, pillar=first_aid, valid_until=today + timedelta(days=30))
    qualification(instructor=p_i1, pillar=drones, valid_until=None)
    qualification(instructor=p_i1, pillar=cyber, verified_at=None)  # not verified
    qualification(instructor=p_i2, pillar=first_aid, valid_until=today - timedelta(days=1))
    # A course qualification counts for the course's pillar.
    qualification(instructor=p_i2, pillar=None, course=cy0, valid_until=today + timedelta(days=60))
    qualification(instructor=p_i3, pillar=first_aid)  # ended assignment: not counted
    return c


@pytest.fixture
def country(db) -> Country:
    return build_country()


NUMBERS = [
    "gminas",
    "gminas_with_active_club",
    "clubs_proposed",
    "clubs_active",
    "clubs_suspended",
    "clubs_closed",
    "population_known",
    "certified_in_known_population",
    "members_active",
    "members_under_18",
    "members_18_25",
    "members_certified_valid",
    "members_certified_ever",
    "sessions_held",
    "sessions_planned",
    "certificates_issued",
    "certificates_valid",
    "certificates_expiring_90",
    "instructors",
]
# Certificates (not revoked): K1 M2 C1/G1 first aid expiring; K2 M3 C1/G1 first aid
# expired; K5 M1 C1/G1 ZPOS valid; K6 M2 C2/G2 drones valid; K4 M6 C3/G3 cyber valid.
# Active members: C1 {M1 16, M2 20, M3 40}, C2 {M2}, C3 {M4 ~22, M6 30}.
EXPECTED_AREAS = {
    # level, code: gminas, with active club, proposed, active, suspended, closed,
    #   population, certified in known population, members, <18, 18-25, certified valid,
    #   certified ever, held, planned, issued, valid, expiring, instructors
    ("country", ""): [4, 3, 1, 3, 0, 1, 17_000, 3, 5, 1, 2, 3, 4, 5, 2, 5, 4, 1, 2],
    # G1+G2; population 10,000 (G2 unknown); certified in known population: M1, M2 (G1);
    # members M1, M2 (once), M3; held S1 S2 S3 S6; planned S4 S9; instructor I1 once.
    ("voivodeship", "02"): [2, 2, 1, 2, 0, 0, 10_000, 2, 3, 1, 1, 2, 3, 4, 2, 4, 3, 1, 1],
    ("powiat", "0201"): [2, 2, 1, 2, 0, 0, 10_000, 2, 3, 1, 1, 2, 3, 4, 2, 4, 3, 1, 1],
    ("gmina", "0201012"): [1, 1, 0, 1, 0, 0, 10_000, 2, 3, 1, 1, 2, 3, 3, 1, 3, 2, 1, 1],
    ("gmina", "0201022"): [1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1],
    # G3 + G4 (G5 is not current); members M4, M6; K4; held S7; instructor I2.
    ("voivodeship", "04"): [2, 1, 0, 1, 0, 1, 7_000, 1, 2, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1],
    ("powiat", "0401"): [2, 1, 0, 1, 0, 1, 7_000, 1, 2, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1],
    ("gmina", "0401012"): [1, 1, 0, 1, 0, 1, 5_000, 1, 2, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1],
    ("gmina", "0401022"): [1, 0, 0, 0, 0, 0, 2_000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
}


def area(level: str, code: str) -> AreaStat:
    return AreaStat.objects.get(level=level, code=code)


def test_refresh_writes_one_row_per_area_with_hand_computed_numbers(country):
    rollups_refresh()
    assert set(AreaStat.objects.values_list("level", "code")) == set(EXPECTED_AREAS)
    for (level, code), expected in EXPECTED_AREAS.items():
        stat = area(level, code)
        assert [getattr(stat, name) for name in NUMBERS] == expected, (level, code)


def test_area_rows_name_their_units_and_the_units_above(country):
    rollups_refresh()
    g1 = area("gmina", "0201012")
    assert (g1.voivodeship.code, g1.powiat.code, g1.municipality.code) == (
        "02",
        "0201",
        "0201012",
    )
    powiat = area("powiat", "0401")
    assert (powiat.voivodeship.code, powiat.powiat.code, powiat.municipality) == (
        "04",
        "0401",
        None,
    )
    poland = area("country", "")
    assert (poland.voivodeship, poland.powiat, poland.municipality) == (None, None, None)
    assert area("voivodeship", "02").name == "dolnośląskie"


PILLAR_NUMBERS = [
    "members_certified_ever",
    "members_certified_valid",
    "certificates_expiring_90",
    "instructors_qualified",
    "qualifications_expiring_90",
]


def pillars_of(level: str, code: str) -> dict[str, list[int]]:
    return {
        row.pillar.code: [getattr(row, name) for name in PILLAR_NUMBERS]
        for row in AreaPillarStat.objects.filter(area__level=level, area__code=code)
    }


def test_pillar_rows_count_certified_members_and_qualified_instructors(country):
    rollups_refresh()
    zero = [0, 0, 0, 0, 0]
    # First aid: K1 (M2, expiring) and K2 (M3, expired): ever 2, valid 1, expiring 1.
    # I1's first-aid qualification ends in 30 days; I2's ended yesterday. Drones: K6 (M2),
    # I1 without expiry. Cyber: K4 (M6); I2 through the course qualification (60 days);
    # I1's cyber qualification isn't verified. ZPOS (K5) has no pillar row.
    assert pillars_of("country", "") == {
        "first-aid": [2, 1, 1, 1, 1],
        "shooting": zero,
        "drones": [1, 1, 0, 1, 0],
        "cyber": [1, 1, 0, 1, 1],
        "communication": zero,
    }
    # I1 teaches in both gminas of the powiat: one instructor, one expiring qualification.
    assert pillars_of("powiat", "0201") == {
        "first-aid": [2, 1, 1, 1, 1],
        "shooting": zero,
        "drones": [1, 1, 0, 1, 0],
        "cyber": zero,
        "communication": zero,
    }
    assert pillars_of("gmina", "0201022")["first-aid"] == [0, 0, 0, 1, 1]  # I1 via C2
    assert pillars_of("gmina", "0201012")["drones"] == [0, 0, 0, 1, 0]  # K6 is C2's
    assert pillars_of("voivodeship", "04") == {
        "first-aid": zero,
        "shooting": zero,
        "drones": zero,
        "cyber": [1, 1, 0, 1, 1],
        "communication": zero,
    }
    assert list(pillars_of("gmina", "0401022").values()) == [zero] * 5  # G4: zeros


def month_of(day: date) -> date:
    return day.replace(day=1)


def test_month_rows_count_certificates_and_held_sessions_per_month(country):
    rollups_refresh()
    months = {
        month_of(timezone.localdate(country.sessions[name].starts_at))
        for name in ("S1", "S3", "S6", "S7")
    } | {month_of(country.today - timedelta(days=400))}
    rows = {
        (row.month, row.certificates_issued, row.sessions_held)
        for row in AreaMonthStat.objects.filter(area__level="country")
    }
    # Five months, 50+ days apart: each holds one held session and one certificate (K3,
    # revoked, shares S3's month with K5 and is not counted).
    assert rows == {(month, 1, 1) for month in months}
    g2 = AreaMonthStat.objects.filter(area__level="gmina", area__code="0201022")
    s6_month = month_of(timezone.localdate(country.sessions["S6"].starts_at))
    assert [(row.month, row.certificates_issued, row.sessions_held) for row in g2] == [
        (s6_month, 1, 1)
    ]


def kinds_of(level: str, code: str) -> dict[str, tuple[int, int]]:
    return {
        row.kind: (row.partners, row.clubs_with_kind)
        for row in AreaPartnerStat.objects.filter(area__level=level, area__code=code)
    }


def test_partner_rows_count_partners_and_clubs_per_kind(country):
    rollups_refresh()
    everything_zero = {kind: (0, 0) for kind in Partner.Kind.values}
    # P1 (OSP) is linked to C1 and C3: one partner, two clubs. P3 (NGO) only to closed C4.
    assert kinds_of("country", "") == {**everything_zero, "osp": (1, 2), "school": (1, 1)}
    assert kinds_of("voivodeship", "04") == {**everything_zero, "osp": (1, 1)}
    assert kinds_of("gmina", "0201022") == everything_zero  # C2, C5: clubs, no partners
    assert kinds_of("gmina", "0401022") == {}  # G4 has no clubs: no rows


CLUB_NUMBERS = [
    "members_active",
    "members_under_18",
    "members_18_25",
    "sessions_held",
    "sessions_planned",
    "attendance_recorded",
    "attendance_present",
    "certificates_valid",
    "certificates_expiring_90",
    "agreements_expiring_90",
    "no_session_90_days",
    "leader_lapsing",
    "agreements_expiring",
]


def test_club_rows_hold_numbers_and_health_signals(country):
    rollups_refresh()
    stats = {stat.club.name: stat for stat in ClubStat.objects.select_related("club")}
    numbers = {name: [getattr(stat, f) for f in CLUB_NUMBERS] for name, stat in stats.items()}
    # members, <18, 18-25, held, planned, attendance recorded/present (365 days),
    # certificates valid/expiring, agreements expiring, no session, leader lapsing, agreements
    assert numbers == {
        # M1 M2 M3; S1 S2 S3 held, S4 planned (S10 already started); attendance S1 + S3
        # (S2 is 400 days old); K1 K5 valid, K1 expiring; leader seen yesterday.
        "C1": [3, 1, 1, 3, 1, 3, 2, 2, 1, 0, False, False, False],
        # M2; S6 held; S9 planned without a date; K6; no leader.
        "C2": [1, 0, 1, 1, 1, 0, 0, 1, 0, 0, False, True, False],
        # M4 M6; S7 held 200 days ago (no session in 90 days); its leader away 100 days;
        # P1's agreement ends in 10 days.
        "C3": [2, 0, 1, 1, 0, 2, 1, 1, 0, 1, True, True, True],
        # Closed: no health signals but its own expiring agreement (P3, 5 days).
        "C4": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, False, False, True],
        "C5": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, False, False, False],
    }
    local = timezone.localdate
    s = country.sessions
    assert (stats["C1"].last_session_on, stats["C1"].next_session_on) == (
        local(s["S10"].starts_at),
        local(s["S4"].starts_at),
    )
    assert (stats["C2"].last_session_on, stats["C2"].next_session_on) == (
        local(s["S6"].starts_at),
        None,
    )
    assert (stats["C5"].last_session_on, stats["C5"].next_session_on) == (None, None)
    assert stats["C3"].municipality.code == "0401012"


def club_pillars(name: str) -> dict[str, list[int]]:
    return {
        row.pillar.code: [row.not_started, row.in_progress, row.certified, row.expiring]
        for row in ClubPillarStat.objects.filter(club_stat__club__name=name)
    }


def test_club_pillar_rows_count_active_members_per_status(country):
    rollups_refresh()
    # not started, in progress, certified, expiring
    assert club_pillars("C1") == {
        # M1 enrolled in planned S4; M3's pass (S2) has expired; M2's S1 pass (12 months,
        # 300 days ago) ends within 90 days.
        "first-aid": [0, 2, 0, 1],
        "shooting": [3, 0, 0, 0],
        "drones": [2, 0, 1, 0],  # M2 passed S6 in C2: status is the person's
        "cyber": [3, 0, 0, 0],  # M3's S5 was cancelled
        "communication": [3, 0, 0, 0],
    }
    assert club_pillars("C2") == {
        "first-aid": [0, 0, 0, 1],
        "shooting": [1, 0, 0, 0],
        "drones": [0, 0, 1, 0],
        "cyber": [1, 0, 0, 0],
        "communication": [1, 0, 0, 0],
    }
    assert club_pillars("C3") == {
        "first-aid": [1, 1, 0, 0],  # M6 waitlisted in C1's S4
        "shooting": [2, 0, 0, 0],
        "drones": [2, 0, 0, 0],
        "cyber": [0, 1, 1, 0],  # M6 passed (no expiry); M4 failed
        "communication": [2, 0, 0, 0],
    }
    assert club_pillars("C4") == {code: [0, 0, 0, 0] for code in club_pillars("C1")}


def test_sql_pillar_counts_agree_with_pillar_status_for_members(country):
    as_of = country.today
    sql = club_pillar_counts(as_of=as_of)
    codes = dict(Pillar.objects.values_list("code", "pk"))
    for club in Club.objects.all():
        ids = list(
            club.memberships.filter(status=Membership.Status.ACTIVE).values_list(
                "member_id", flat=True
            )
        )
        statuses = pillar_status_for_members(ids, today=as_of)
        for code, pillar_id in codes.items():
            python = Counter(person[code] for person in statuses.values())
            counts = sql.get((club.pk, pillar_id), {})
            for status in ("certified", "expiring", "in_progress"):
                assert counts.get(status, 0) == python[status], (club.name, code, status)


def test_ages_follow_age_on_at_the_birthday_and_on_29_february(db):
    club = factories.ClubFactory()
    as_of = date(2026, 3, 1)
    born = {
        "18 today": date(2008, 3, 1),
        "18 since 29 February": date(2008, 2, 29),  # a year passes on 1 March
        "17, 18 tomorrow": date(2008, 3, 2),
        "26 today": date(2000, 3, 1),
        "25, 26 tomorrow": date(2000, 3, 2),
    }
    for name, birth_date in born.items():
        factories.MembershipFactory(
            club=club, member__first_name=name, member__birth_date=birth_date
        )
    # Year only: 2026 - 2009 = 17 (<18); 2026 - 2001 = 25 (18-25).
    for year in (2009, 2001):
        member = Member.objects.create(first_name="Y", last_name="Y", birth_year=year)
        factories.MembershipFactory(club=club, member=member)
    rollups_refresh(as_of=as_of)
    stat = ClubStat.objects.get(club=club)
    assert (stat.members_active, stat.members_under_18, stat.members_18_25) == (7, 2, 4)
    assert _birth_cutoff(date(2028, 2, 29), 18) == date(2010, 2, 28)


def snapshot() -> dict:
    """Every rollup row without ids and timestamps."""

    def rows(model, exclude, order):
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
        return [tuple(r) for r in model.objects.order_by(*order).values_list(*names)]

    return {
        "areas": rows(AreaStat, {"id", "refreshed_at"}, ["level", "code"]),
        "pillars": rows(AreaPillarStat, {"id", "area_id"}, ["area__level", "area__code", "pillar"]),
        "months": rows(AreaMonthStat, {"id", "area_id"}, ["area__level", "area__code", "month"]),
        "partners": rows(AreaPartnerStat, {"id", "area_id"}, ["area__level", "area__code", "kind"]),
        "clubs": rows(ClubStat, {"id", "refreshed_at"}, ["club"]),
        "club_pillars": rows(ClubPillarStat, {"id", "club_stat_id"}, ["club_stat__club", "pillar"]),
    }


def test_running_twice_gives_identical_rows(country):
    rollups_refresh()
    first = snapshot()
    rollups_refresh()
    assert snapshot() == first
    assert RollupRun.objects.count() == 2
    assert AreaStat.objects.count() == len(EXPECTED_AREAS)


def test_a_failed_refresh_leaves_the_previous_rollups(country, monkeypatch):
    rollups_refresh()
    before = snapshot()
    run = latest_run()
    factories.MembershipFactory(club=country.clubs["C5"])  # new data, never written

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    # Fails after the old rows are deleted and the areas inserted: all of it rolls back.
    monkeypatch.setattr(ClubPillarStat.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        rollups_refresh()
    assert snapshot() == before
    assert latest_run() == run


def test_refresh_is_skipped_while_another_one_runs(country, monkeypatch):
    @contextmanager
    def busy():
        raise rollups.RollupBusy
        yield

    monkeypatch.setattr(rollups, "_refresh_lock", busy)
    assert tasks.rollups_refresh_task.delay().get() is None
    assert not RollupRun.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory lock is PostgreSQL's")
def test_advisory_lock_held_elsewhere_makes_the_refresh_busy(country):
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [rollups.ADVISORY_LOCK_KEY])
        with pytest.raises(rollups.RollupBusy):
            rollups_refresh()
    finally:
        other.close()


def test_task_refreshes_and_records_the_run(country):
    run_id = tasks.rollups_refresh_task.delay().get()
    run = RollupRun.objects.get(pk=run_id)
    assert run == latest_run()
    assert run.as_of == country.today
    assert run.finished_at >= run.started_at and run.duration_ms is not None
    assert AreaStat.objects.get(level="country").members_active == 5


@pytest.mark.django_db(transaction=True)
def test_refresh_outside_a_transaction_commits_one_consistent_snapshot():
    # Outermost call: on PostgreSQL the refresh runs as one REPEATABLE READ transaction.
    build_country()
    run = tasks.rollups_refresh_task.delay().get()
    assert RollupRun.objects.filter(pk=run).exists()
    assert [getattr(area("country", ""), name) for name in NUMBERS] == EXPECTED_AREAS[
        ("country", "")
    ]
    assert club_pillars("C1")["first-aid"] == [0, 2, 0, 1]


def test_only_the_last_50_runs_are_kept(db):
    started = timezone.now() - timedelta(days=1)
    RollupRun.objects.bulk_create(
        RollupRun(
            started_at=started + timedelta(minutes=i), finished_at=started, as_of=date.today()
        )
        for i in range(55)
    )
    run = rollups_refresh()
    assert RollupRun.objects.count() == 50
    assert latest_run() == run


def test_latest_run_is_one_query(db, django_assert_num_queries):
    rollups_refresh()
    with django_assert_num_queries(1):
        latest_run()


def test_refresh_query_count_does_not_grow_with_the_data(db):
    build_country()
    with CaptureQueriesContext(connection) as small:
        rollups_refresh()
    build_country(prefix="3")
    with CaptureQueriesContext(connection) as double:
        rollups_refresh()
    assert len(double) == len(small)
    assert AreaStat.objects.get(level="country").members_active == 10


def test_empty_database_gives_a_country_row_of_zeros(db):
    run = rollups_refresh()
    poland = AreaStat.objects.get()
    assert (poland.level, poland.code, poland.members_active, poland.clubs_active) == (
        "country",
        "",
        0,
        0,
    )
    assert AreaPillarStat.objects.filter(area=poland).count() == Pillar.objects.count()
    assert run.as_of == timezone.localdate()


def test_beat_runs_the_refresh_every_15_minutes(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["dashboards-rollups-refresh"]
    assert entry["task"] == "dashboards.tasks.rollups_refresh_task"
    assert entry["schedule"] == 15 * 60


def test_a_new_leader_who_has_not_signed_in_yet_is_not_lapsing(db):
    club = factories.ClubFactory(status=Club.Status.ACTIVE)
    leader = factories.leader_of(club)  # appointed now, never signed in
    rollups_refresh()
    assert club.stat.leader_lapsing is False

    # Appointed 100 days ago and still never signed in: lapsing.
    leader.assignments.update(created_at=timezone.now() - timedelta(days=100))
    rollups_refresh()
    club.refresh_from_db()
    assert club.stat.leader_lapsing is True
