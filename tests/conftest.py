"""Fixtures named after the people in them. `world` is one club with one user per role,
plus an outsider who leads a club in another gmina."""

from dataclasses import dataclass, field
from pathlib import Path as _Path  # TEMP until helpers land tests.worker/tests.browser

import pytest

from clubs.models import Invitation
from kos_portal.roles import Role
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
    club.partner_links.create(partner=partner, role="siedziba")

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
    return World(
        club=club,
        other_club=other_club,
        municipality=municipality,
        other_municipality=other_municipality,
        users=users,
        objects={"member": member, "invitation": invitation, "partner": partner},
        kwargs={
            "club_pk": club.pk,
            "invitation_pk": invitation.pk,
            "token": invitation.token,
            "member_pk": member.pk,
            # allauth's emailed links, with keys that match nothing
            "key": "no-such-key",
            "uidb36": "1",
        },
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing with PBKDF2 would dominate the suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
