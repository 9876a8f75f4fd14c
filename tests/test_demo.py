"""The demo that `make run` loads."""

import pytest
from django.core.management import call_command

from clubs.models import Assignment, Club, Municipality, Partner, Voivodeship
from kos_portal.demo import DEMO_PASSWORD, DEMO_USERS, demo_totp_code
from kos_portal.models import User
from members.models import Membership

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, Assignment, Club, Partner, Municipality, Voivodeship, Membership)
    }


def test_seed_demo_builds_the_piaseczno_pilot(capsys):
    call_command("seed_demo", force=True)
    club = Club.objects.get(name="KOS Złotokłos")
    assert club.status == Club.Status.ACTIVE
    assert club.municipality.name == "Piaseczno"
    assert club.municipality.powiat.name == "piaseczyński"
    assert club.municipality.powiat.voivodeship.name == "mazowieckie"
    # Piaseczno's population, from its row of the GUS BDL export: per 1,000 residents works.
    assert (club.municipality.population, club.municipality.population_year) == (86104, 2023)
    assert club.municipality.localities.get(sym="0006652").name == "Złotokłos"
    assert Voivodeship.objects.count() == 16
    assert set(club.partners.values_list("kind", flat=True)) == {"osp", "school"}
    assert club.partners.get(kind="osp").is_ksrg
    output = capsys.readouterr().out
    for demo in DEMO_USERS:
        assert demo.email in output
        assert User.objects.get(email=demo.email).check_password(DEMO_PASSWORD)
    assert DEMO_PASSWORD in output


def test_each_demo_user_holds_their_role():
    call_command("seed_demo", force=True)
    roles = dict(Assignment.objects.values_list("user__email", "role"))
    assert roles == {
        "krajowy@kos.example": "national",
        "koordynator@kos.example": "coordinator",
        "lider@kos.example": "leader",
        "instruktor@kos.example": "instructor",
    }
    member = User.objects.get(email="czlonek@kos.example").member
    assert member.memberships.get().club.name == "KOS Złotokłos"


def test_seed_demo_is_idempotent():
    call_command("seed_demo", force=True)
    first = counts()
    call_command("seed_demo", force=True)
    assert counts() == first


def test_seed_demo_refuses_with_debug_off(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_demo_totp_code_matches_allauths_check():
    from allauth.mfa.totp.internal.auth import validate_totp_code

    from kos_portal.demo import DEMO_TOTP_SECRET

    assert validate_totp_code(DEMO_TOTP_SECRET, demo_totp_code())


def test_every_demo_staff_user_has_the_demo_totp_and_the_member_none():
    from allauth.mfa.models import Authenticator

    from kos_portal.roles import PRIVILEGED_ROLES

    call_command("seed_demo", force=True)
    with_totp = set(
        Authenticator.objects.filter(type=Authenticator.Type.TOTP).values_list(
            "user__email", flat=True
        )
    )
    staff = {demo.email for demo in DEMO_USERS if demo.role in PRIVILEGED_ROLES}
    assert with_totp == staff
    assert "lider@kos.example" in staff and "instruktor@kos.example" in staff
    assert "czlonek@kos.example" not in staff
