"""The access module: what each role sees and may do, decided in one place."""

import pytest
from django.core.exceptions import PermissionDenied
from django.template import Context, Template
from django.test import RequestFactory

from clubs.models import Club, Municipality, Partner
from kos_portal import access
from kos_portal.roles import Role
from members.models import Member, Membership
from tests import factories


def club_names(user, roles=None):
    return set(Club.objects.visible_to(user, roles).values_list("name", flat=True))


def test_national_staff_see_every_club(world):
    assert club_names(world.users["national"]) == {"KOS Złotokłos", "KOS Sieradz"}


def test_coordinator_sees_the_clubs_of_their_gmina_only(world):
    assert club_names(world.users["coordinator"]) == {"KOS Złotokłos"}


def test_coordinator_of_two_gminas_sees_both(world):
    coordinator = world.users["coordinator"]
    factories.AssignmentFactory(
        user=coordinator, role=Role.COORDINATOR, municipality=world.other_municipality
    )
    access.forget_scope(coordinator)
    assert club_names(coordinator) == {"KOS Złotokłos", "KOS Sieradz"}


def test_leader_and_instructor_see_their_own_club(world):
    assert club_names(world.users["leader"]) == {"KOS Złotokłos"}
    assert club_names(world.users["instructor"]) == {"KOS Złotokłos"}
    assert club_names(world.users["outsider"]) == {"KOS Sieradz"}


def test_a_member_without_a_role_sees_no_club_through_the_staff_scope(world):
    assert club_names(world.users["member"]) == set()


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert club_names(AnonymousUser()) == set()
    assert not Member.objects.visible_to(AnonymousUser()).exists()


def test_an_ended_assignment_gives_no_access(world):
    leader = world.users["leader"]
    from django.utils import timezone

    leader.assignments.update(ended_at=timezone.now())
    access.forget_scope(leader)
    assert club_names(leader) == set()


def test_a_person_with_two_roles_gets_both_scopes(world):
    outsider = world.users["outsider"]
    factories.AssignmentFactory(user=outsider, role=Role.INSTRUCTOR, club=world.club)
    access.forget_scope(outsider)
    assert club_names(outsider) == {"KOS Złotokłos", "KOS Sieradz"}
    # ...but instructing in a club does not give a leader's rights there
    assert not access.can(outsider, "clubs.change_club", world.club)
    assert access.can(outsider, "clubs.change_club", world.other_club)


def test_members_personal_data_is_scoped_to_the_club(world):
    member = world.objects["member"]
    stranger = factories.MembershipFactory(club=world.other_club).member
    visible = {
        role: set(Member.objects.visible_to(user).values_list("pk", flat=True))
        for role, user in world.users.items()
        if user is not None
    }
    assert visible["national"] >= {member.pk, stranger.pk}
    assert visible["coordinator"] == {member.pk}
    assert visible["leader"] == {member.pk}
    assert visible["outsider"] == {stranger.pk}
    # instructors see only the people enrolled in the sessions they teach
    assert visible["instructor"] == {member.pk}
    assert visible["member"] == {member.pk}  # themselves


def test_instructors_see_only_people_enrolled_in_their_own_sessions(world):
    instructor = world.users["instructor"]
    classmate = factories.MembershipFactory(club=world.club).member
    other_session = factories.session_with_meeting(club=world.club)  # someone else teaches
    factories.EnrolmentFactory(session=other_session, member=classmate)
    visible = set(Member.objects.visible_to(instructor).values_list("pk", flat=True))
    assert visible == {world.objects["member"].pk}
    other_session.instructors.add(world.objects["instructor_profile"])
    access.forget_scope(instructor)
    visible = set(Member.objects.visible_to(instructor).values_list("pk", flat=True))
    assert visible == {world.objects["member"].pk, classmate.pk}


def test_an_instructor_sees_only_the_sessions_they_teach(world):
    from training.models import Session

    mine = world.objects["session"]
    theirs = factories.session_with_meeting(club=world.club)
    assert set(Session.objects.visible_to(world.users["instructor"])) == {mine}
    assert set(Session.objects.visible_to(world.users["leader"])) == {mine, theirs}
    assert set(Session.objects.visible_to(world.users["member"])) == {mine}  # enrolled
    assert not Session.objects.visible_to(world.users["outsider"]).exists()


def test_a_member_of_two_clubs_is_visible_to_both_leaders_once(world):
    member = world.objects["member"]
    Membership.objects.create(member=member, club=world.other_club)
    outsider_view = Member.objects.visible_to(world.users["outsider"])
    assert list(outsider_view.values_list("pk", flat=True)) == [member.pk]


def test_gmina_data_is_shared_with_the_gminas_clubs(world):
    other_partner = factories.PartnerFactory(municipality=world.other_municipality)
    partner = world.objects["partner"]

    def partners(user):
        return set(
            access.scope_gmina_objects(Partner.objects.all(), user).values_list("pk", flat=True)
        )

    assert partners(world.users["leader"]) == {partner.pk}
    assert partners(world.users["coordinator"]) == {partner.pk}
    assert partners(world.users["outsider"]) == {other_partner.pk}
    assert partners(world.users["national"]) == {partner.pk, other_partner.pk}
    assert set(Municipality.objects.visible_to(world.users["leader"])) == {world.municipality}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("national", True),
        ("coordinator", True),
        ("leader", True),
        ("instructor", False),
        ("member", False),
        ("outsider", False),
    ],
)
def test_who_may_change_the_club(world, role, allowed):
    assert access.can(world.users[role], "clubs.change_club", world.club) is allowed
    assert world.users[role].has_perm("clubs.change_club", world.club) is allowed


def test_require_raises_permission_denied(world):
    with pytest.raises(PermissionDenied):
        access.require(world.users["instructor"], "clubs.change_club", world.club)
    access.require(world.users["leader"], "clubs.change_club", world.club)


def test_an_unknown_permission_is_never_granted(world):
    assert not access.can(world.users["national"], "clubs.launch_rockets", world.club)


def test_national_staff_hold_the_admins_model_permissions(world):
    assert world.users["national"].has_perm("clubs.add_voivodeship")
    assert not world.users["coordinator"].has_perm("clubs.add_voivodeship")


@pytest.mark.parametrize(
    ("role", "target", "expected"),
    [
        ("national", None, [Role.NATIONAL]),
        ("national", "municipality", [Role.COORDINATOR]),
        ("national", "club", [Role.LEADER, Role.INSTRUCTOR]),
        ("coordinator", None, []),
        ("coordinator", "municipality", []),
        ("coordinator", "club", [Role.LEADER, Role.INSTRUCTOR]),
        ("coordinator", "other_club", []),
        ("leader", "club", [Role.LEADER, Role.INSTRUCTOR]),
        ("leader", "other_club", []),
        ("instructor", "club", []),
        ("outsider", "club", []),
    ],
)
def test_who_may_invite_whom(world, role, target, expected):
    target_obj = getattr(world, target) if target else None
    assert access.invitable_roles(world.users[role], target_obj) == expected


def test_scope_is_read_with_one_query(world, django_assert_num_queries):
    leader = world.users["leader"]
    access.forget_scope(leader)
    with django_assert_num_queries(1):
        access.user_scope(leader)
        access.user_scope(leader)
        access.can(leader, "clubs.change_club", world.club)


def test_privileged_roles_must_set_up_mfa(world):
    coordinator = factories.UserFactory()
    factories.AssignmentFactory(
        user=coordinator, role=Role.COORDINATOR, municipality=world.municipality
    )
    assert access.mfa_missing(coordinator)
    assert not access.mfa_missing(world.users["coordinator"])  # has TOTP
    assert not access.mfa_missing(world.users["leader"])  # has TOTP
    assert not access.mfa_missing(world.users["member"])  # sees only themselves


def test_templates_ask_the_same_question(world):
    template = Template('{% can "clubs.change_club" club as allowed %}{{ allowed }}')
    for role, expected in [("leader", "True"), ("instructor", "False")]:
        request = RequestFactory().get("/")
        request.user = world.users[role]
        assert template.render(Context({"request": request, "club": world.club})) == expected


def test_club_pages_answer_404_outside_scope_and_403_for_a_refused_action(client, world):
    client.force_login(world.users["outsider"])
    assert client.get(world.club.get_absolute_url()).status_code == 404
    client.force_login(world.users["member"])
    assert client.get("/clubs/").status_code == 403


def test_gmina_level_rows_are_changed_by_coordinators_and_national_staff_only(world):
    from resilience.models import ProblemCase

    gmina_row = ProblemCase(municipality=world.municipality, club=None)
    club_row = ProblemCase(municipality=world.municipality, club=world.club)
    perm = "resilience.manage_cases"
    answers = {
        role: (
            access.can_on_gmina_or_club(world.users[role], perm, club_row),
            access.can_on_gmina_or_club(world.users[role], perm, gmina_row),
        )
        for role in ("national", "coordinator", "leader", "instructor", "outsider")
    }
    assert answers == {
        "national": (True, True),
        "coordinator": (True, True),
        "leader": (True, False),  # reads the gmina's rows, changes only the club's
        "instructor": (False, False),
        "outsider": (False, False),
    }
    assert access.can_on_gmina_or_club(world.users["coordinator"], perm, world.municipality)
    assert not access.can_on_gmina_or_club(world.users["leader"], perm, world.municipality)
