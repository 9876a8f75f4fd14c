"""Fixtures named after the people in them. `world` is one club with one user per role,
plus an outsider who leads a club in another gmina."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path as _Path  # TEMP until helpers land tests.worker/tests.browser

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from clubs.models import Invitation
from dashboards.models import GminaReport
from kos_portal.roles import Role
from members.models import LoginInvitation
from resilience.models import AfterActionReview, ProblemCase, Survey
from tests import factories

pytest_plugins = [
    f"tests.{name}"
    for name in ("worker", "browser")
    if (_Path(__file__).parent / f"{name}.py").exists()
]

ROLES = ["anonymous", "national", "coordinator", "leader", "instructor", "member", "outsider"]


@dataclass
class World:
    club: object
    other_club: object
    municipality: object
    other_municipality: object
    users: dict = field(default_factory=dict)
    kwargs: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)


@pytest.fixture
def world(db) -> World:
    municipality = factories.MunicipalityFactory(name="Piaseczno")
    other_municipality = factories.MunicipalityFactory(name="Sieradz")
    club = factories.ClubFactory(name="KOS Złotokłos", municipality=municipality)
    other_club = factories.ClubFactory(name="KOS Sieradz", municipality=other_municipality)
    partner = factories.PartnerFactory(name="OSP Złotokłos", municipality=municipality)
    partner_link = club.partner_links.create(
        partner=partner,
        role="siedziba",
        agreement_type="cooperation",
        agreement_signed_on=date(2025, 1, 15),
        agreement_expires_on=date(2027, 1, 14),
    )
    partner_link.agreement_document.save(
        "porozumienie.pdf", ContentFile(b"%PDF-1.4 agreement"), save=True
    )

    leader = factories.leader_of(club, email="leader@kos.example")
    member = factories.member_of(club, email="member@kos.example")
    users = {
        "anonymous": None,
        "national": factories.national_user(email="national@kos.example"),
        "coordinator": factories.coordinator_of(municipality, email="coordinator@kos.example"),
        "leader": leader,
        "instructor": factories.instructor_of(club, email="instructor@kos.example"),
        "member": member.user,
        "outsider": factories.leader_of(other_club, email="outsider@kos.example"),
    }
    invitation = Invitation.objects.create(
        email="new.instructor@kos.example", role=Role.INSTRUCTOR, club=club, invited_by=leader
    )
    # Logins for members and guardians: a pending login invitation (members:login-accept).
    login_invitation = LoginInvitation.objects.create(
        member=member, club=club, email="new.member@kos.example", invited_by=leader
    )
    starter_version = factories.StarterDocumentVersionFactory(
        document__title="Statut klubu (wzór)", version="1.0"
    )
    instructor_profile = factories.InstructorProfileFactory(user=users["instructor"])
    qualification = factories.InstructorQualificationFactory(instructor=instructor_profile)
    qualification.document.save("kpp.pdf", ContentFile(factories.PDF_BYTES), save=True)
    session = factories.session_with_meeting(
        club=club, instructor=instructor_profile, course__code="KPP-WORLD"
    )
    enrolment = factories.EnrolmentFactory(session=session, member=member)
    # Certificates: the world's member passed and holds a certificate with a stored PDF (a
    # stand-in file; real rendering is tested in tests/certificates).
    enrolment.result, enrolment.completed_on = "passed", date.today()
    enrolment.save(update_fields=["result", "completed_on"])
    certificate = factories.CertificateFactory(enrolment=enrolment, render_status="done")
    certificate.pdf.save("KOS-TEST.pdf", ContentFile(factories.PDF_BYTES), save=True)
    # Resilience: the gmina's threat, and a held club exercise with its review and action.
    threat = factories.ThreatFactory(municipality=municipality, owner=users["coordinator"])
    exercise = factories.ExerciseFactory(
        club=club,
        threat=threat,
        status="held",
        starts_at=timezone.now() - timedelta(days=3),
        created_by=leader,
    )
    review = AfterActionReview.objects.create(
        exercise=exercise, went_well="Ewakuacja", went_badly="Łączność", lessons="Radiotelefony"
    )
    corrective_action = review.actions.create(
        description="Szkolenie z łączności",
        owner=leader,
        due_on=date.today() + timedelta(days=30),
        suggested_course=session.course,
    )
    # Resilience: a club problem case naming the OSP as partner, with one indicator, and
    # an open periodic pulse survey of the club.
    problem_case = ProblemCase.objects.create(
        municipality=municipality, club=club, title="Wandalizm na przystankach", diagnosis="..."
    )
    case_action = problem_case.actions.create(description="Dyżury z policją", partner=partner)
    indicator = problem_case.indicators.create(name="Zgłoszenia", baseline=12, target=4)
    indicator.measurements.create(measured_on=date.today(), value=9)
    survey = Survey.objects.create(
        municipality=municipality, club=club, kind=Survey.Kind.PERIODIC, title="Puls KOS"
    )
    # Dashboards: the gmina's yearly report with stand-in files (rendering is tested in
    # tests/dashboards).
    report = GminaReport.objects.create(
        municipality=municipality,
        year=date.today().year - 1,
        status=GminaReport.Status.DONE,
        requested_by=users["coordinator"],
        requested_at=timezone.now(),
        rendered_at=timezone.now(),
    )
    report.pdf.save("raport.pdf", ContentFile(factories.PDF_BYTES), save=False)
    report.xlsx.save("raport.xlsx", ContentFile(b"PK\x03\x04 stand-in"), save=False)
    report.save()
    # Registers: a partner import running in a worker, started by national staff.
    from kos_portal.models import ImportJob

    import_job = ImportJob.objects.create(
        user=users["national"], purpose="clubs.partner-import", token="-", total=16000
    )
    # ...and a roster import of the world's club, started by its leader (a job is its
    # starter's own: anyone else gets 404).
    from members.services.roster_import import UPLOAD_SALT

    roster_job = ImportJob.objects.create(
        user=users["leader"], purpose=UPLOAD_SALT, token="-", total=5000,
        options={"club": club.pk},
    )  # fmt: skip
    return World(
        club=club,
        other_club=other_club,
        municipality=municipality,
        other_municipality=other_municipality,
        users=users,
        objects={
            "member": member,
            "invitation": invitation,
            "login_invitation": login_invitation,
            "partner": partner,
            "partner_link": partner_link,
            "starter_document": starter_version.document,
            "starter_version": starter_version,
            "course": session.course,
            "instructor_profile": instructor_profile,
            "qualification": qualification,
            "session": session,
            "enrolment": enrolment,
            "threat": threat,
            "exercise": exercise,
            "review": review,
            "corrective_action": corrective_action,
            "problem_case": problem_case,
            "case_action": case_action,
            "indicator": indicator,
            "survey": survey,
            "certificate": certificate,
            "report": report,
        },
        kwargs={
            "club_pk": club.pk,
            "partner_pk": partner.pk,
            "link_pk": partner_link.pk,
            "municipality_pk": municipality.pk,
            "invitation_pk": invitation.pk,
            "token": invitation.token,
            "login_token": login_invitation.token,
            "member_pk": member.pk,
            "membership_pk": member.memberships.get(club=club).pk,
            "document_pk": starter_version.document.pk,
            "version_pk": starter_version.pk,
            "course_pk": session.course.pk,
            "instructor_pk": instructor_profile.pk,
            "qualification_pk": qualification.pk,
            "session_pk": session.pk,
            "meeting_pk": session.meetings.get().pk,
            "enrolment_pk": enrolment.pk,
            "threat_pk": threat.pk,
            "exercise_pk": exercise.pk,
            "action_pk": corrective_action.pk,
            "case_pk": problem_case.pk,
            "case_action_pk": case_action.pk,
            "indicator_pk": indicator.pk,
            "survey_pk": survey.pk,
            "survey_token": survey.token,
            "ical_token": instructor_profile.ical_token,
            "certificate_pk": certificate.pk,
            "code": certificate.verification_code,
            "voivodeship_code": municipality.powiat.voivodeship.code,
            "powiat_code": municipality.powiat.code,
            "table": "pillars",  # every dashboard has a per-pillar table
            "report_pk": report.pk,
            "job_pk": import_job.pk,
            "roster_job_pk": roster_job.pk,
            # allauth's emailed links, with keys that match nothing
            "key": "no-such-key",
            "uidb36": "1",
            "pk": 999999,  # allauth's security keys: the world has none
        },
    )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files (starter pack, certificates) go to a temporary folder, never media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing with PBKDF2 would dominate the suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_unless_a_test_asks_for_polish(settings):
    """Tests assert the English source strings. Polish, the real default, is checked by
    tests that set LANGUAGE_CODE = "pl" themselves (test_translations, the browser tests)."""
    settings.LANGUAGE_CODE = "en"


# Fixed data that data migrations create. Transactional tests (browser, worker) end by
# flushing every table, which removes these rows too; later tests would then miss them.
_MIGRATION_DATA = [
    ("clubs", "0005_pillars", "create_pillars"),
    ("members", "0003_skills", "create_skills"),
]


@pytest.fixture(autouse=True)
def _data_from_migrations(request):
    """Put back the migrations' fixed rows (pillars, skills) if a flush removed them."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not uses_db:
        return
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    request.getfixturevalue("transactional_db" if transactional else "db")

    import importlib

    from django.apps import apps

    from clubs.models import Pillar

    if Pillar.objects.exists():
        return
    for app_label, migration, function in _MIGRATION_DATA:
        module = importlib.import_module(f"{app_label}.migrations.{migration}")
        getattr(module, function)(apps, None)
