"""Enrolling many people at once from the session page, and a training recorded after it
took place (issue #14, "Forms")."""

from datetime import datetime, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests import factories
from training.models import Enrolment, Session
from training.services.enrolment import enrolment_create, enrolment_create_many
from training.services.sessions import MeetingSlot, session_create


def club_member(world, name: str):
    return factories.MembershipFactory(
        club=world.club, member__first_name=name, member__last_name="Kowalska"
    ).member


def test_one_call_fills_the_places_then_the_waiting_list_and_names_each_refusal(world):
    session = world.objects["session"]
    Session.objects.filter(pk=session.pk).update(capacity=2)  # the world's member holds one
    ala, ola = club_member(world, "Ala"), club_member(world, "Ola")
    outsider = factories.MemberFactory(first_name="Ewa")  # not a member of the club
    outcomes = enrolment_create_many(
        session=session, members=[ala, outsider, ola], enrolled_by=world.users["leader"]
    )
    assert [o.member for o in outcomes] == [ala, outsider, ola]
    assert outcomes[0].enrolment.status == Enrolment.Status.ENROLLED
    assert outcomes[1].enrolment is None and "no active membership" in outcomes[1].refusal
    assert outcomes[2].enrolment.status == Enrolment.Status.WAITLISTED
    assert outcomes[2].enrolment.waitlist_position == 1
    assert not Enrolment.objects.filter(member=outsider).exists()


def test_a_leader_enrols_several_members_from_the_session_page(client, world):
    session = world.objects["session"]
    Session.objects.filter(pk=session.pk).update(capacity=2)
    ala, ola = club_member(world, "Ala"), club_member(world, "Ola")
    client.force_login(world.users["leader"])
    page = client.get(session.get_absolute_url()).content.decode()
    assert 'name="members"' in page and f'value="{ala.pk}"' in page
    url = reverse("training:session-enrol", kwargs={"session_pk": session.pk})
    response = client.post(url, {"members": [ala.pk, ola.pk]})
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [
        f"{ala.display_name} is enrolled.",
        f"The session is full; {ola.display_name} is number 1 on the waiting list.",
    ]


def test_choosing_nobody_enrols_nobody_and_says_so(client, world):
    session = world.objects["session"]
    client.force_login(world.users["leader"])
    url = reverse("training:session-enrol", kwargs={"session_pk": session.pk})
    response = client.post(url, {})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Choose members of the club who are not enrolled yet."
    ]
    assert session.enrolments.count() == 1


# --- A training that already happened ---------------------------------------------------


def _past_slot(days_ago: int = 3) -> MeetingSlot:
    day = timezone.localdate() - timedelta(days=days_ago)
    starts = timezone.make_aware(datetime.combine(day, datetime.min.time())).replace(hour=10)
    return MeetingSlot(starts_at=starts, ends_at=starts + timedelta(hours=3))


def _record_afterwards(world, slots, **extra) -> Session:
    return session_create(
        club=world.club,
        course=world.objects["course"],
        capacity=10,
        visibility=Session.Visibility.MEMBERS,
        instructors=[world.objects["instructor_profile"]],
        meetings=slots,
        venue="Remiza OSP",
        created_by=world.users["leader"],
        **extra,
    )


def test_a_training_held_last_week_is_recorded_and_staff_enrol_its_participants(world):
    with pytest.raises(ValidationError, match="in the past"):
        _record_afterwards(world, [_past_slot()])
    session = _record_afterwards(world, [_past_slot()], recorded_afterwards=True)
    assert session.recorded_afterwards
    ala = club_member(world, "Ala")
    enrolment = enrolment_create(session=session, member=ala, enrolled_by=world.users["leader"])
    assert enrolment.status == Enrolment.Status.ENROLLED


def test_nobody_enrols_themselves_in_a_training_recorded_afterwards(world):
    session = _record_afterwards(world, [_past_slot()], recorded_afterwards=True)
    member = world.objects["member"]
    with pytest.raises(ValidationError, match="already started"):
        enrolment_create(session=session, member=member, enrolled_by=member.user)


def test_a_training_recorded_afterwards_must_be_over(world):
    running = MeetingSlot(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=1)
    )
    with pytest.raises(ValidationError, match="must be over"):
        _record_afterwards(world, [running], recorded_afterwards=True)
    assert Session.objects.count() == 1


def test_the_page_records_a_past_training_and_leads_to_enrolment_and_results(client, world):
    client.force_login(world.users["leader"])
    day = (timezone.localdate() - timedelta(days=3)).isoformat()
    data = {
        "course": world.objects["course"].pk,
        "venue": "Remiza OSP",
        "capacity": "12",
        "visibility": "members",
        "instructors": [world.objects["instructor_profile"].pk],
        "recorded_afterwards": "on",
        "meetings-TOTAL_FORMS": "1",
        "meetings-INITIAL_FORMS": "0",
        "meetings-0-day": day,
        "meetings-0-starts": "10:00",
        "meetings-0-ends": "13:00",
    }
    url = reverse("training:session-create", kwargs={"club_pk": world.club.pk})
    response = client.post(url, data)
    session = Session.objects.get(recorded_afterwards=True)
    assert response.status_code == 302
    page = client.get(session.get_absolute_url()).content.decode()
    assert "recorded after it took place" in page
    assert 'name="members"' in page  # participants can still be enrolled
    assert reverse("training:session-results", kwargs={"session_pk": session.pk}) in page
