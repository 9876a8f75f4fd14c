"""factory_boy factories for the whole suite."""

from datetime import date, timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone
from factory.django import DjangoModelFactory

from clubs.models import Assignment, Club, Municipality, Partner, Powiat, Voivodeship
from kos_portal.models import User
from kos_portal.roles import Role
from members.models import Member, Membership

PASSWORD = "correct-horse-battery-staple"


class VoivodeshipFactory(DjangoModelFactory):
    class Meta:
        model = Voivodeship
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{(n % 16 + 1) * 2:02d}")
    name = factory.Sequence(lambda n: f"województwo {n}")


class PowiatFactory(DjangoModelFactory):
    class Meta:
        model = Powiat
        django_get_or_create = ("code",)

    voivodeship = factory.SubFactory(VoivodeshipFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.voivodeship.code}{n % 60 + 1:02d}")
    name = factory.Sequence(lambda n: f"powiat {n}")


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("code",)

    powiat = factory.SubFactory(PowiatFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.powiat.code}{n % 99 + 1:02d}2")
    name = factory.Sequence(lambda n: f"Gmina {n}")
    kind = Municipality.Kind.RURAL


class ClubFactory(DjangoModelFactory):
    class Meta:
        model = Club

    name = factory.Sequence(lambda n: f"Klub {n}")
    municipality = factory.SubFactory(MunicipalityFactory)
    status = Club.Status.ACTIVE


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"OSP {n}")
    kind = Partner.Kind.OSP
    municipality = factory.SubFactory(MunicipalityFactory)


class UserFactory(DjangoModelFactory):
    """A user who can sign in: password set and email verified."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@kos.example")
    language = "en"  # the suite asserts English source strings (see conftest)
    first_name = "Jan"
    last_name = "Kowalski"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = Assignment

    user = factory.SubFactory(UserFactory)
    role = Role.LEADER


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    first_name = "Zofia"
    last_name = factory.Sequence(lambda n: f"Żółkiewska-{n}")
    email = factory.Sequence(lambda n: f"member{n}@kos.example")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    member = factory.SubFactory(MemberFactory)
    club = factory.SubFactory(ClubFactory)
    status = Membership.Status.ACTIVE


def give_totp(user) -> None:
    """Set up TOTP for a user with a staff role, as the MFA rule requires."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())


def national_user(**kwargs) -> User:
    user = UserFactory(**kwargs)
    AssignmentFactory(user=user, role=Role.NATIONAL)
    give_totp(user)
    return user


def coordinator_of(municipality, **kwargs) -> User:
    user = UserFactory(**kwargs)
    AssignmentFactory(user=user, role=Role.COORDINATOR, municipality=municipality)
    give_totp(user)
    return user


def leader_of(club, **kwargs) -> User:
    user = UserFactory(**kwargs)
    AssignmentFactory(user=user, role=Role.LEADER, club=club)
    give_totp(user)
    return user


def instructor_of(club, **kwargs) -> User:
    user = UserFactory(**kwargs)
    AssignmentFactory(user=user, role=Role.INSTRUCTOR, club=club)
    give_totp(user)
    return user


def member_of(club, **kwargs) -> Member:
    """A member with a login of their own."""
    user = UserFactory(**kwargs)
    member = MemberFactory(user=user, first_name=user.first_name, email=user.email)
    MembershipFactory(member=member, club=club)
    return member


# --- Starter pack ---
# A tiny but genuine-looking PDF: the upload checks look at the first bytes.
PDF_BYTES = b"%PDF-1.4\n% KOS test document\n%%EOF\n"


class StarterDocumentFactory(DjangoModelFactory):
    class Meta:
        model = "clubs.StarterDocument"

    title = factory.Sequence(lambda n: f"Wzór dokumentu {n}")
    kind = "statute"
    language = "pl"
    is_published = True


class StarterDocumentVersionFactory(DjangoModelFactory):
    class Meta:
        model = "clubs.StarterDocumentVersion"

    document = factory.SubFactory(StarterDocumentFactory)
    version = factory.Sequence(lambda n: f"1.{n}")
    file = factory.django.FileField(filename="wzor.pdf", data=PDF_BYTES)


# --- Training ---------------------------------------------------------------------------


def _pillar(code: str = "first-aid"):
    from clubs.models import Pillar

    return Pillar.objects.get(code=code)


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = "training.Course"
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"KURS-{n:03d}")
    title = factory.Sequence(lambda n: f"Kurs pierwszej pomocy {n}")
    title_en = factory.Sequence(lambda n: f"First aid course {n}")
    pillar = factory.LazyFunction(_pillar)
    hours = 8
    validity_months = 36


class InstructorProfileFactory(DjangoModelFactory):
    class Meta:
        model = "training.InstructorProfile"

    user = factory.SubFactory(UserFactory)


class InstructorQualificationFactory(DjangoModelFactory):
    """A verified qualification for a pillar, valid for years."""

    class Meta:
        model = "training.InstructorQualification"

    instructor = factory.SubFactory(InstructorProfileFactory)
    pillar = factory.LazyFunction(_pillar)
    issuer = "Polski Czerwony Krzyż"
    number = factory.Sequence(lambda n: f"PCK/{n}")
    valid_until = factory.LazyFunction(lambda: date.today() + timedelta(days=3 * 365))
    verified_at = factory.LazyFunction(timezone.now)


class SessionFactory(DjangoModelFactory):
    """A planned session with one meeting a week from now (see `session_with_meeting`)."""

    class Meta:
        model = "training.Session"

    club = factory.SubFactory(ClubFactory)
    course = factory.SubFactory(CourseFactory)
    capacity = 12
    venue = "Remiza OSP"


def session_with_meeting(*, instructor=None, starts_in_days: int = 7, hours: int = 3, **kwargs):
    """A session with one meeting and, optionally, an instructor profile."""
    from training.models import Meeting

    session = SessionFactory(**kwargs)
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(
        days=starts_in_days
    )
    Meeting.objects.create(
        session=session,
        club=session.club,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
    )
    session.starts_at, session.ends_at = starts, starts + timedelta(hours=hours)
    session.save(update_fields=["starts_at", "ends_at"])
    if instructor is not None:
        session.instructors.add(instructor)
    return session


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = "training.Enrolment"

    session = factory.SubFactory(SessionFactory)
    club = factory.LazyAttribute(lambda o: o.session.club)
    member = factory.SubFactory(MemberFactory)


# --- Resilience: threats and exercises ----------------------------------------------------


class ThreatFactory(DjangoModelFactory):
    class Meta:
        model = "resilience.Threat"

    municipality = factory.SubFactory(MunicipalityFactory)
    kind = "flood"
    title = factory.Sequence(lambda n: f"Powódź {n}")
    likelihood = 3
    impact = 4
    review_due_on = factory.LazyFunction(lambda: date.today() + timedelta(days=90))


class ExerciseFactory(DjangoModelFactory):
    """A club exercise a week from now (pass club=None and a municipality for gmina-level)."""

    class Meta:
        model = "resilience.Exercise"

    club = factory.SubFactory(ClubFactory)
    municipality = factory.LazyAttribute(lambda o: o.club.municipality)
    title = factory.Sequence(lambda n: f"Ćwiczenie ewakuacyjne {n}")
    scenario = "Powódź: ewakuacja szkoły"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    place = "Szkoła Podstawowa nr 1"


# --- Certificates -----------------------------------------------------------------------


class CertificateFactory(DjangoModelFactory):
    """A valid certificate for a passed enrolment, written straight to the database (no
    number sequence, no rendering): for tests that need certificates to exist."""

    class Meta:
        model = "certificates.Certificate"

    enrolment = factory.SubFactory(
        EnrolmentFactory, result="passed", completed_on=factory.LazyFunction(date.today)
    )
    member = factory.LazyAttribute(lambda o: o.enrolment.member)
    session = factory.LazyAttribute(lambda o: o.enrolment.session)
    club = factory.LazyAttribute(lambda o: o.enrolment.session.club)
    course = factory.LazyAttribute(lambda o: o.enrolment.session.course)
    pillar = factory.LazyAttribute(lambda o: o.enrolment.session.course.pillar)
    number = factory.Sequence(lambda n: f"KOS/TEST/{n + 1:06d}")  # never a real number
    holder_name = factory.LazyAttribute(lambda o: f"{o.member.first_name} {o.member.last_name}")
    course_title = factory.LazyAttribute(lambda o: o.course.title)
    hours = factory.LazyAttribute(lambda o: o.course.hours)
    issued_on = factory.LazyFunction(date.today)
    expires_on = factory.LazyAttribute(lambda o: o.issued_on + timedelta(days=3 * 365))
