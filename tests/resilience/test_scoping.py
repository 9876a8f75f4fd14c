"""Who sees which threats, exercises, problem cases and surveys (scope_gmina_or_club_objects)."""

import pytest

from kos_portal.roles import Role
from resilience.models import Exercise, ProblemCase, Survey, Threat
from tests import factories


@pytest.fixture
def gmina_exercise(world):
    return factories.ExerciseFactory(club=None, municipality=world.municipality)


@pytest.fixture
def club_exercise(world):
    return factories.ExerciseFactory(club=world.club)


@pytest.fixture
def neighbour_club(world):
    """Another club in the same gmina as the world's club."""
    return factories.ClubFactory(name="KOS Tarczyn", municipality=world.municipality)


def visible(user, model=Exercise, roles=None):
    return set(model.objects.visible_to(user, roles))


@pytest.mark.parametrize("role", ["national", "coordinator", "leader", "instructor"])
def test_gmina_level_exercise_is_seen_by_national_coordinator_and_the_gminas_club_staff(
    world, gmina_exercise, role
):
    assert gmina_exercise in visible(world.users[role])


@pytest.mark.parametrize("role", ["anonymous", "member", "outsider"])
def test_gmina_level_exercise_is_hidden_from_members_outsiders_and_anonymous(
    world, gmina_exercise, role
):
    user = world.users[role]
    if user is None:
        from django.contrib.auth.models import AnonymousUser

        user = AnonymousUser()
    assert gmina_exercise not in visible(user)


@pytest.mark.parametrize("role", ["national", "coordinator", "leader", "instructor"])
def test_club_exercise_is_seen_by_national_the_gminas_coordinator_and_the_clubs_staff(
    world, club_exercise, role
):
    assert club_exercise in visible(world.users[role])


def test_club_exercise_is_hidden_from_another_club_in_the_same_gmina(
    world, club_exercise, neighbour_club
):
    neighbour_leader = factories.leader_of(neighbour_club)
    neighbour_instructor = factories.instructor_of(neighbour_club)

    assert club_exercise not in visible(neighbour_leader)
    assert club_exercise not in visible(neighbour_instructor)


def test_neighbouring_clubs_staff_still_see_the_gminas_own_exercises(
    world, gmina_exercise, neighbour_club
):
    assert gmina_exercise in visible(factories.leader_of(neighbour_club))


def test_club_exercise_is_hidden_from_the_outsider_and_another_gminas_coordinator(
    world, club_exercise
):
    other_coordinator = factories.coordinator_of(world.other_municipality)

    assert club_exercise not in visible(world.users["outsider"])
    assert club_exercise not in visible(other_coordinator)


def test_a_user_with_several_roles_gets_each_exercise_once(
    world, club_exercise, gmina_exercise, neighbour_club
):
    user = world.users["leader"]
    factories.AssignmentFactory(user=user, role=Role.LEADER, club=neighbour_club)
    factories.AssignmentFactory(user=user, role=Role.COORDINATOR, municipality=world.municipality)
    factories.ExerciseFactory(club=neighbour_club)

    rows = list(Exercise.objects.visible_to(user))

    assert len(rows) == len(set(rows)) == 4  # the world's own exercise, and these three


def test_roles_narrow_the_scope(world, club_exercise, gmina_exercise):
    leader = world.users["leader"]

    assert visible(leader, roles={Role.COORDINATOR, Role.NATIONAL}) == set()
    assert visible(world.users["coordinator"], roles={Role.COORDINATOR}) == {
        world.objects["exercise"],
        club_exercise,
        gmina_exercise,
    }


def test_problem_cases_and_surveys_follow_the_same_rule(world, neighbour_club):
    club_case = ProblemCase.objects.create(
        municipality=world.municipality, club=world.club, title="Wandalizm", diagnosis="..."
    )
    gmina_survey = Survey.objects.create(
        municipality=world.municipality, kind=Survey.Kind.PERIODIC, title="Puls 2026"
    )
    neighbour_leader = factories.leader_of(neighbour_club)

    assert club_case in visible(world.users["leader"], ProblemCase)
    assert club_case not in visible(neighbour_leader, ProblemCase)
    assert gmina_survey in visible(neighbour_leader, Survey)
    assert gmina_survey not in visible(world.users["outsider"], Survey)


def test_threats_stay_shared_with_every_club_of_the_gmina(world, neighbour_club):
    threat = factories.ThreatFactory(municipality=world.municipality)

    assert threat in visible(factories.leader_of(neighbour_club), Threat)
    assert threat in visible(world.users["instructor"], Threat)
    assert threat not in visible(world.users["outsider"], Threat)
    assert threat not in visible(world.users["member"], Threat)
