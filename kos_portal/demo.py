"""The demo world that `make run` loads: Gmina Piaseczno, KOS Złotokłos, one user per role.

Safe to run twice: every row is found or created by a natural key.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.db import transaction

from clubs.models import Assignment, Club, Municipality, Partner, PartnerLink
from clubs.services.population import population_import
from clubs.services.starter_pack import starter_pack_seed_demo
from clubs.simc import simc_import
from clubs.teryt import teryt_import
from kos_portal.models import User
from kos_portal.roles import PRIVILEGED_ROLES, Role
from members.models import Member, Membership

DEMO_TERC = Path(__file__).resolve().parent.parent / "clubs" / "fixtures" / "terc_demo.csv"
# Piaseczno's row of the GUS BDL export of population by gmina (a demo figure).
DEMO_POPULATION = DEMO_TERC.with_name("population_demo.csv")
DEMO_SIMC = DEMO_TERC.with_name("simc_demo.csv")  # two rows of the GUS SIMC register
DEMO_PASSWORD = "kos-demo-2026"
# A fixed TOTP secret for the demo's staff (every role but the member), so a newcomer can
# sign in with `manage.py demo_totp` instead of an authenticator app. Demo data only.
DEMO_TOTP_SECRET = "KOSDEMOKOSDEMOKOSDEMOKOSDEMOKOS2"
PIASECZNO_TERYT = "1418043"  # woj. mazowieckie, powiat piaseczyński, urban-rural gmina


@dataclass(frozen=True)
class DemoUser:
    email: str
    first_name: str
    last_name: str
    role: str  # a Role value, or "member"


DEMO_USERS = [
    DemoUser("krajowy@kos.example", "Anna", "Krajewska", Role.NATIONAL),
    DemoUser("koordynator@kos.example", "Piotr", "Gminny", Role.COORDINATOR),
    DemoUser("lider@kos.example", "Katarzyna", "Złotowska", Role.LEADER),
    DemoUser("instruktor@kos.example", "Marek", "Ratowniczy", Role.INSTRUCTOR),
    DemoUser("czlonek@kos.example", "Zofia", "Żółkiewska", "member"),
]


@transaction.atomic
def demo_seed() -> list[tuple[DemoUser, bool]]:
    """Create (or find) the demo territory, club, partners and users.

    Returns each demo user with whether it needs a TOTP code to sign in.
    """
    if not Municipality.objects.filter(code=PIASECZNO_TERYT).exists():
        # Only on an empty register: over the full one, the demo excerpt would retire
        # every other gmina (the import refuses that without --confirm).
        teryt_import(path_or_file=DEMO_TERC)
    piaseczno = Municipality.objects.get(code=PIASECZNO_TERYT)
    if piaseczno.population is None:
        population_import(data=DEMO_POPULATION.read_bytes())
    if not piaseczno.localities.exists():
        simc_import(data=DEMO_SIMC.read_bytes())  # Złotokłos (SYM 0006652) and the town

    club, _ = Club.objects.get_or_create(
        name="KOS Złotokłos",
        municipality=piaseczno,
        defaults={
            "locality": "Złotokłos",
            "address": "ul. Strażacka 2, 05-504 Złotokłos",
            "status": Club.Status.ACTIVE,
            "founded_on": date(2025, 9, 1),
            "contact_email": "kos.zlotoklos@kos.example",
            "description": (
                "Pilotażowy Klub Odporności Społecznej przy OSP Złotokłos: pierwsza pomoc, "
                "drony, cyberbezpieczeństwo i komunikacja kryzysowa."
            ),
        },
    )
    partners = [
        (
            "OSP Złotokłos",
            Partner.Kind.OSP,
            "ul. Strażacka 2, 05-504 Złotokłos",
            True,
            "siedziba klubu, sprzęt ratowniczy",
        ),
        (
            "Szkoła Podstawowa im. Jana Pawła II w Złotokłosie",
            Partner.Kind.SCHOOL,
            "ul. Szkolna 4, 05-504 Złotokłos",
            False,
            "sala szkoleniowa",
        ),
    ]
    for name, kind, address, ksrg, role in partners:
        partner, _ = Partner.objects.get_or_create(
            municipality=piaseczno,
            kind=kind,
            name=name,
            defaults={"address": address, "is_ksrg": ksrg},
        )
        PartnerLink.objects.get_or_create(club=club, partner=partner, defaults={"role": role})

    result = []
    for demo in DEMO_USERS:
        user = _demo_user(demo)
        if demo.role == Role.NATIONAL:
            Assignment.objects.get_or_create(user=user, role=Role.NATIONAL, ended_at=None)
        elif demo.role == Role.COORDINATOR:
            Assignment.objects.get_or_create(
                user=user, role=Role.COORDINATOR, municipality=piaseczno, ended_at=None
            )
        elif demo.role in (Role.LEADER, Role.INSTRUCTOR):
            Assignment.objects.get_or_create(user=user, role=demo.role, club=club, ended_at=None)
        else:
            member, _ = Member.objects.get_or_create(
                user=user,
                defaults={
                    "first_name": demo.first_name,
                    "last_name": demo.last_name,
                    "birth_date": date(1990, 5, 17),
                    "email": demo.email,
                    "municipality": piaseczno,
                },
            )
            Membership.objects.get_or_create(
                member=member,
                club=club,
                defaults={"status": Membership.Status.ACTIVE, "joined_on": date(2025, 9, 15)},
            )
        needs_totp = demo.role in PRIVILEGED_ROLES
        if (
            needs_totp
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)
        result.append((demo, needs_totp))
    starter_pack_seed_demo(created_by=User.objects.filter(email=DEMO_USERS[0].email).first())
    # After the users: the demo instructor's profile and the coordinator's verifications.
    from training.demo import training_seed_demo

    training_seed_demo(club)
    # Must stay after training_seed_demo(club): the sessions need its courses and the
    # demo instructor's profile (without courses it creates nothing).
    from training.demo_sessions import training_seed_demo_sessions

    sessions = training_seed_demo_sessions(club)
    # The finished session's passes hold certificates; with no broker they render inline
    # when this transaction commits, with a worker the worker renders them.
    from certificates.demo import certificates_seed_demo

    certificates_seed_demo(sessions)
    return result


def _demo_user(demo: DemoUser) -> User:
    user = User.objects.filter(email=demo.email).first()
    if user is None:
        user = User.objects.create_user(
            email=demo.email,
            password=DEMO_PASSWORD,
            first_name=demo.first_name,
            last_name=demo.last_name,
        )
    EmailAddress.objects.update_or_create(
        user=user, email=demo.email, defaults={"verified": True, "primary": True}
    )
    return user


def demo_totp_code(at_counter: int | None = None) -> str:
    """The current TOTP code for the demo's privileged users."""
    import time

    from allauth.mfa import app_settings

    counter = at_counter if at_counter is not None else int(time.time()) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
