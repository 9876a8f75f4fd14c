"""Bulk actions on a club's session list: tick sessions, then export or cancel them."""

import csv
import io

from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse

from tests import factories
from training.models import Session


def bulk_url(world) -> str:
    return reverse("training:session-bulk", kwargs={"club_pk": world.club.pk})


def _two(world) -> list[Session]:
    return [world.objects["session"], factories.session_with_meeting(club=world.club)]


def test_the_list_offers_checkboxes_to_those_who_schedule_only(client, world):
    url = reverse("training:session-list", kwargs={"club_pk": world.club.pk})
    for role, offered in (("leader", True), ("coordinator", True), ("instructor", False)):
        client.force_login(world.users[role])
        body = client.get(url).content.decode()
        assert ('form="session-bulk"' in body) is offered, role


def test_the_selected_sessions_are_exported_as_csv(client, world):
    chosen, _other = _two(world)
    client.force_login(world.users["leader"])
    response = client.post(bulk_url(world), {"sessions": [chosen.pk], "action": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;")  # ";" for Excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    assert rows[0][0] == "Course"
    assert [row[0] for row in rows[1:]] == ["KPP-WORLD"]
    assert rows[1][7] == "1"  # enrolled


def test_cancelling_the_selected_needs_a_reason_and_tells_each_session(
    client, world, django_capture_on_commit_callbacks
):
    first, second = _two(world)
    client.force_login(world.users["leader"])
    refused = client.post(bulk_url(world), {"sessions": [first.pk, second.pk], "action": "cancel"})
    assert [str(m) for m in get_messages(refused.wsgi_request)] == [
        "Give a reason: it is sent to the people enrolled."
    ]
    assert not Session.objects.filter(status=Session.Status.CANCELLED).exists()
    Session.objects.filter(pk=second.pk).update(status=Session.Status.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            bulk_url(world),
            {"sessions": [first.pk, second.pk], "action": "cancel", "reason": "Powódź"},
        )
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("is cancelled" in t and "KPP-WORLD" in t for t in texts)
    assert any("A completed session cannot be cancelled." in t for t in texts)
    assert Session.objects.get(pk=first.pk).status == Session.Status.CANCELLED
    assert Session.objects.get(pk=second.pk).status == Session.Status.COMPLETED
    assert [m.to for m in mail.outbox] == [[world.objects["member"].email]]


def test_sessions_of_another_club_cannot_be_selected(client, world):
    theirs = factories.session_with_meeting(club=world.other_club)
    client.force_login(world.users["leader"])
    response = client.post(
        bulk_url(world), {"sessions": [theirs.pk], "action": "cancel", "reason": "x"}
    )
    assert response.status_code == 302
    assert Session.objects.get(pk=theirs.pk).status == Session.Status.PLANNED


def test_an_instructor_may_not_use_the_bulk_actions(client, world):
    client.force_login(world.users["instructor"])
    response = client.post(
        bulk_url(world), {"sessions": [world.objects["session"].pk], "action": "csv"}
    )
    assert response.status_code == 403
