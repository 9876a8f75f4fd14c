"""Retention: people who left every club more than N years ago are anonymised, daily."""

from datetime import date

import pytest
import time_machine
from django.conf import settings

from members.models import Member, Membership, PersonalDataAccess
from members.services.erasure import members_retention_anonymise, retention_candidates
from tests import factories

TODAY = date(2031, 6, 15)  # with 5 years' retention, leaving before 2026-06-15 counts


def person(world, *memberships, user=None, **fields):
    """A member with memberships given as (club, status, left_on)."""
    member = factories.MemberFactory(user=user, birth_date=date(1980, 1, 1), **fields)
    for club, status, left_on in memberships:
        factories.MembershipFactory(member=member, club=club, status=status, left_on=left_on)
    return member


@pytest.fixture
def people(world):
    long_gone = date(2026, 6, 1)
    recently = date(2027, 1, 1)
    return {
        "gone": person(world, (world.club, "left", long_gone)),
        "gone_from_both": person(
            world, (world.club, "left", long_gone), (world.other_club, "left", date(2020, 1, 1))
        ),
        "left_recently": person(world, (world.club, "left", recently)),
        "still_elsewhere": person(
            world, (world.club, "left", long_gone), (world.other_club, "active", None)
        ),
        "suspended": person(world, (world.club, "suspended", None)),
        "left_without_date": person(world, (world.club, "left", None)),
        "staff": person(
            world, (world.club, "left", long_gone), user=factories.leader_of(world.other_club)
        ),
        "no_memberships": person(world),
    }


def test_retention_picks_only_people_who_left_everywhere_long_ago(people):
    found = set(retention_candidates(today=TODAY).values_list("pk", flat=True))
    assert found == {people["gone"].pk, people["gone_from_both"].pk}


def test_the_retention_period_comes_from_settings(people, settings):
    settings.MEMBER_RETENTION_YEARS = 3
    found = set(retention_candidates(today=TODAY).values_list("pk", flat=True))
    assert people["left_recently"].pk in found


def test_retention_anonymises_the_right_people_and_is_idempotent(people):
    assert members_retention_anonymise(today=TODAY, batch_size=1) == 2
    erased = set(Member.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True))
    assert erased == {people["gone"].pk, people["gone_from_both"].pk}
    gone = Member.objects.get(pk=people["gone"].pk)
    assert (gone.first_name, gone.last_name, gone.email, gone.birth_date) == ("", "", "", None)
    assert gone.birth_year == 1980
    assert members_retention_anonymise(today=TODAY) == 0
    log = PersonalDataAccess.objects.filter(action=PersonalDataAccess.Action.ERASE)
    assert log.count() == 2
    assert all(entry.user is None and "retention" in entry.detail for entry in log)


def test_memberships_survive_retention(people):
    members_retention_anonymise(today=TODAY)
    assert Membership.objects.filter(member=people["gone_from_both"]).count() == 2


def test_the_daily_task_uses_todays_date(people):
    from members.tasks import members_retention_task

    with time_machine.travel(date(2031, 6, 15), tick=False):
        assert members_retention_task.delay().get() == 2
    with time_machine.travel(date(2031, 6, 16), tick=False):
        assert members_retention_task.delay().get() == 0


def test_the_task_is_scheduled_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["members-retention"]
    assert entry["task"] == "members.tasks.members_retention_task"
    assert entry["schedule"] == 24 * 60 * 60
