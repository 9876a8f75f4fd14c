"""`manage.py seed_scale` at a tiny scale: counts, integrity, uniqueness, refusal."""

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, F
from django.utils import timezone

from certificates.models import Certificate, CertificateNumberSequence
from clubs.map import VOIVODESHIPS
from clubs.models import Assignment, Club, Municipality, Partner, PartnerLink, Powiat, Voivodeship
from dashboards.scale import BENCH_USERS, ScaleOptions
from kos_portal.models import User
from kos_portal.roles import Role
from members.models import GuardianConsent, Member, Membership, PersonalDataAccess
from resilience.models import Exercise, Threat
from training.models import (
    Attendance,
    Enrolment,
    InstructorProfile,
    InstructorQualification,
    Meeting,
    Session,
)

SMALL = [
    "--clubs=6",
    "--members=300",
    "--enrolments=900",
    "--certificates=250",
    "--instructors=12",
    "--partners=40",
    "--seed=7",
]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    return seed(*SMALL)


def test_counts_match_the_options(seeded):
    assert Club.objects.count() == 6
    assert Member.objects.count() == 300
    assert Enrolment.objects.count() == 900
    assert Certificate.objects.count() == 250
    # The five bench users come on top of the generated people.
    assert InstructorProfile.objects.count() == 12 + 1
    assert Partner.objects.count() == 40
    assert PersonalDataAccess.objects.count() == 2 * 300  # follows the members
    # The real territorial structure, whatever the scale.
    assert Voivodeship.objects.count() == 16
    assert set(Voivodeship.objects.values_list("code", flat=True)) == set(VOIVODESHIPS)
    assert Powiat.objects.count() == 380
    assert Municipality.objects.count() == 2479
    assert "Seeded in" in seeded


def test_scale_option_scales_every_count():
    options = ScaleOptions.scaled(0.01)
    assert (options.clubs, options.members, options.enrolments, options.certificates) == (
        25,
        2_500,
        10_000,
        5_000,
    )
    assert ScaleOptions.scaled(0.01, clubs=3).clubs == 3


def test_territory_is_teryt_shaped_with_plausible_population(seeded):
    for powiat in Powiat.objects.all():
        assert re.fullmatch(r"\d{4}", powiat.code)
        assert powiat.code[:2] == powiat.voivodeship.code
    for gmina in Municipality.objects.select_related("powiat"):
        assert re.fullmatch(r"\d{6}[123]", gmina.code)
        assert gmina.code[:4] == gmina.powiat.code
        assert gmina.code[-1] == gmina.kind
    known = Municipality.objects.filter(population__isnull=False)
    unknown = Municipality.objects.filter(population__isnull=True).count()
    assert 0 < unknown < 2479 * 0.1
    total = sum(known.values_list("population", flat=True))
    assert 34_000_000 < total < 38_000_000


def test_referential_integrity_and_club_copies(seeded):
    # Every club-owned row carries its parent's club.
    assert not Enrolment.objects.exclude(club=F("session__club")).exists()
    assert not Meeting.objects.exclude(club=F("session__club")).exists()
    assert not Attendance.objects.exclude(club=F("enrolment__club")).exists()
    assert not Attendance.objects.exclude(meeting__session=F("enrolment__session")).exists()
    assert not Certificate.objects.exclude(club=F("enrolment__club")).exists()
    assert not Certificate.objects.exclude(member=F("enrolment__member")).exists()
    assert not Certificate.objects.exclude(session=F("enrolment__session")).exists()
    # Enrolled people are members of the club.
    assert not Enrolment.objects.exclude(member__memberships__club=F("club")).exists()
    # Certificates only for passes in completed sessions; numbers follow the sequence.
    assert not Certificate.objects.exclude(enrolment__result=Enrolment.Result.PASSED).exists()
    assert not Certificate.objects.exclude(session__status=Session.Status.COMPLETED).exists()
    passed = Enrolment.objects.filter(result=Enrolment.Result.PASSED).count()
    assert passed == 250
    # Exercises belong to their club's gmina; threats to gminas with a club.
    assert Exercise.objects.exists() and Threat.objects.exists()
    assert not Exercise.objects.exclude(municipality=F("club__municipality")).exists()
    assert not Threat.objects.exclude(municipality__clubs__isnull=False).exists()
    # Partner links stay within the partner's gmina.
    assert not PartnerLink.objects.exclude(partner__municipality=F("club__municipality")).exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


def test_certificates_unique_and_sequence_consistent(seeded):
    numbers = list(Certificate.objects.values_list("number", "issued_on"))
    assert len({n for n, _ in numbers}) == len(numbers) == 250
    per_year = Counter()
    for number, issued_on in numbers:
        match = re.fullmatch(r"KOS/(\d{4})/(\d{6})", number)
        assert match and int(match[1]) == issued_on.year
        per_year[issued_on.year] += 1
    sequences = dict(CertificateNumberSequence.objects.values_list("year", "last_number"))
    assert sequences == dict(per_year)
    codes = list(Certificate.objects.values_list("verification_code", flat=True))
    assert len(set(codes)) == len(codes)
    assert not Certificate.objects.exclude(render_status=Certificate.RenderStatus.DONE).exists()


def test_shape_of_the_people(seeded):
    # ~5% of people in two clubs; minors have a guardian's consent.
    two_clubs = Member.objects.annotate(n=Count("memberships")).filter(n=2).count()
    assert 0 < two_clubs <= 300 * 0.06
    today = timezone.localdate()
    adult_born_by = today.replace(year=today.year - 18)
    minors = Member.objects.filter(birth_date__gt=adult_born_by)
    assert minors.exists()
    # Every minor has a guardian's consent (a few may have come of age since it was given).
    assert not minors.filter(guardian_consents__isnull=True).exists()
    assert GuardianConsent.objects.count() >= minors.count()
    assert (
        Membership.objects.filter(
            status__in=[Membership.Status.LEFT, Membership.Status.SUSPENDED]
        ).exists()
        or Membership.objects.count() < 500
    )
    assert InstructorQualification.objects.count() >= 12


def test_bench_users_exist_with_their_roles(seeded):
    for email in BENCH_USERS.values():
        assert User.objects.get(email=email).check_password("kos-demo-2026")
        assert email in seeded
    assert Assignment.objects.filter(
        user__email=BENCH_USERS["national"], role=Role.NATIONAL
    ).exists()
    coordinator = Assignment.objects.get(user__email=BENCH_USERS["coordinator"])
    assert coordinator.role == Role.COORDINATOR
    most = Club.objects.values("municipality").annotate(n=Count("pk")).order_by("-n")[0]["n"]
    assert coordinator.municipality.clubs.count() == most
    leader = Assignment.objects.get(user__email=BENCH_USERS["leader"])
    assert leader.role == Role.LEADER
    assert Member.objects.filter(user__email=BENCH_USERS["member"]).exists()


def test_refuses_a_non_empty_database_without_yes(seeded):
    with pytest.raises(CommandError, match="--yes"):
        seed(*SMALL)
    assert Club.objects.count() == 6


def test_yes_wipes_and_reseeds_deterministically(seeded):
    first = list(Certificate.objects.order_by("number").values_list("number", "holder_name"))
    out = seed(*SMALL, "--yes")
    assert "Seeded in" in out
    again = list(Certificate.objects.order_by("number").values_list("number", "holder_name"))
    assert again == first
    assert Club.objects.count() == 6
    assert User.objects.filter(email__in=BENCH_USERS.values()).count() == 5


def test_bench_report_flags_differences_limits_and_slow_pages():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "pages.py"
    spec = importlib.util.spec_from_file_location("bench_pages", path)
    pages = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pages)
    row = {"page": "certificates", "role": "national", "status": 200, "page_number": 1}
    results = [
        {**row, "scale": "full", "p50_ms": 30.0, "p95_ms": 60.0, "queries": 13, "pages": 9},
        {**row, "scale": "1/100", "p50_ms": 10.0, "p95_ms": 12.0, "queries": 9, "pages": 1},
    ]
    lines = pages.report(results)
    assert "query counts differing between scales: 1" in lines
    assert "  certificates / national: {'full': 13, '1/100': 9}" in lines
    assert "pages over 12 queries: 1" in lines
    assert "pages with p95 over 50 ms: 1" in lines
    table = pages.markdown(results)
    assert table[2] == "| certificates | national | 30.0 | **60.0** | **13** | 10.0 | 12.0 | 9 |"
