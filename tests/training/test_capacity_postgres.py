"""Two people take the last place at the same moment: exactly one gets it.

Each thread has its own database connection, so the session row lock (select_for_update)
is what keeps them apart. SQLite serialises writers, so the race cannot happen there.
"""

import os
import threading

import pytest
from django.db import connection, connections

from tests import factories
from training.models import Enrolment, Session
from training.services.enrolment import enrolment_create


def _needs_postgresql() -> None:
    if connection.vendor == "postgresql":
        return
    if os.environ.get("CI"):
        pytest.fail("CI must run this test on PostgreSQL (set DATABASE_URL).")
    pytest.skip("needs PostgreSQL: SQLite serialises writers")


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_the_last_place_get_one_place_and_one_waitlist(world):
    _needs_postgresql()
    session = world.objects["session"]
    # The world's member already holds one place: one place is left.
    Session.objects.filter(pk=session.pk).update(capacity=2)
    people = [factories.MembershipFactory(club=world.club).member for _ in range(2)]
    barrier = threading.Barrier(len(people))
    results: list = []
    errors: list = []

    def take_place(member) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(
                enrolment_create(session=session, member=member, enrolled_by=None).status
            )
        except Exception as error:  # reported below, the thread must not die silently
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take_place, args=(member,)) for member in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [Enrolment.Status.ENROLLED, Enrolment.Status.WAITLISTED]
    assert session.enrolments.holding_a_place().count() == 2
    assert session.enrolments.get(status=Enrolment.Status.WAITLISTED).waitlist_position == 1
