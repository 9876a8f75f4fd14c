"""The personal-data access log: written by every page that shows or exports personal
data, append-only, searchable by national staff only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import PersonalDataAccess
from members.services.access_log import personal_data_access_log
from tests import factories

Action = PersonalDataAccess.Action


def test_viewing_a_member_writes_a_view_row(client, world):
    member = world.objects["member"]
    client.force_login(world.users["leader"])
    client.get(reverse("members:member-detail", kwargs={"member_pk": member.pk}))
    row = PersonalDataAccess.objects.get()
    assert (row.user, row.user_email, row.action, row.member) == (
        world.users["leader"],
        "leader@kos.example",
        Action.VIEW,
        member,
    )


def test_listing_the_roster_writes_a_list_row_with_the_count(client, world):
    factories.MembershipFactory(club=world.club)
    client.force_login(world.users["coordinator"])
    client.get(reverse("members:roster", kwargs={"club_pk": world.club.pk}))
    row = PersonalDataAccess.objects.get()
    assert (row.action, row.club, row.member_count) == (Action.LIST, world.club, 2)


def test_exporting_writes_an_export_row(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:roster-export", kwargs={"club_pk": world.club.pk})
    response = client.get(url, {"format": "csv"})
    b"".join(response.streaming_content)
    row = PersonalDataAccess.objects.get()
    assert (row.action, row.club, row.member_count) == (Action.EXPORT, world.club, 1)
    assert row.detail.startswith("csv")


def test_a_refused_page_writes_nothing(client, world):
    client.force_login(world.users["outsider"])
    client.get(reverse("members:member-detail", kwargs={"member_pk": world.objects["member"].pk}))
    client.get(reverse("members:roster", kwargs={"club_pk": world.club.pk}))
    assert not PersonalDataAccess.objects.exists()


def test_log_rows_cannot_be_rewritten_or_deleted(world):
    row = personal_data_access_log(user=world.users["leader"], action=Action.VIEW)
    row.detail = "changed"
    with pytest.raises(ValueError, match="append-only"):
        row.save()
    with pytest.raises(ValueError, match="append-only"):
        row.delete()
    assert PersonalDataAccess.objects.get().detail == ""


def test_an_unknown_action_is_a_programming_error(world):
    with pytest.raises(ValueError):
        personal_data_access_log(user=world.users["leader"], action="peek")


def test_the_admin_cannot_change_or_delete_log_rows(client, world):
    row = personal_data_access_log(user=world.users["leader"], action=Action.VIEW)
    client.force_login(world.users["national"])
    assert client.get(reverse("admin:members_personaldataaccess_changelist")).status_code == 200
    delete = reverse("admin:members_personaldataaccess_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:members_personaldataaccess_add")).status_code == 403
    assert PersonalDataAccess.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("role", ["coordinator", "leader", "instructor", "member", "outsider"])
def test_only_national_staff_search_the_log(client, world, role):
    personal_data_access_log(user=world.users["leader"], action=Action.VIEW)
    client.force_login(world.users[role])
    assert client.get(reverse("members:access-log")).status_code == 403


def test_national_staff_filter_the_log_by_user_member_action_and_date(client, world):
    member = world.objects["member"]
    personal_data_access_log(user=world.users["leader"], action=Action.VIEW, member=member)
    personal_data_access_log(user=world.users["coordinator"], action=Action.EXPORT, member_count=3)
    old = personal_data_access_log(user=world.users["outsider"], action=Action.LIST)
    PersonalDataAccess.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=30))
    client.force_login(world.users["national"])
    url = reverse("members:access-log")

    def emails(**params):
        page = client.get(url, params).context["page"]
        return sorted(row.user_email for row in page)

    assert emails() == ["coordinator@kos.example", "leader@kos.example", "outsider@kos.example"]
    assert emails(user_email="LEADER@") == ["leader@kos.example"]
    assert emails(member=member.last_name.upper()) == ["leader@kos.example"]
    assert emails(action="export") == ["coordinator@kos.example"]
    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    assert emails(date_from=since) == ["coordinator@kos.example", "leader@kos.example"]
    until = (timezone.localdate() - timedelta(days=29)).isoformat()
    assert emails(date_to=until) == ["outsider@kos.example"]


def test_the_log_is_paginated(client, world):
    for _ in range(101):
        personal_data_access_log(user=world.users["leader"], action=Action.VIEW)
    client.force_login(world.users["national"])
    page = client.get(reverse("members:access-log")).context["page"]
    assert len(page.object_list) == 100
    assert page.has_next()


def test_the_access_log_is_in_national_staffs_navigation(client, world):
    client.force_login(world.users["national"])
    assert reverse("members:access-log") in client.get("/").content.decode()
    client.force_login(world.users["leader"])
    assert reverse("members:access-log") not in client.get("/").content.decode()


# --- #13: the log keeps filter names, never their values ---------------------------------


def test_a_roster_search_logs_the_filter_names_not_the_searched_name(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:roster", kwargs={"club_pk": world.club.pk})
    client.get(url, {"q": "Kowalska", "status": "active", "minors": ""})
    row = PersonalDataAccess.objects.get()
    assert "Kowalska" not in row.detail and "active" not in row.detail.split("[")[-1]
    assert row.detail.endswith("[filters: q, status]")


def test_a_roster_export_logs_the_filter_names_not_the_searched_email(client, world):
    client.force_login(world.users["leader"])
    url = reverse("members:roster-export", kwargs={"club_pk": world.club.pk})
    response = client.get(url, {"format": "csv", "q": "anna@example.pl"})
    b"".join(response.streaming_content)
    row = PersonalDataAccess.objects.get()
    assert "anna" not in row.detail and "example" not in row.detail
    assert row.detail == f"csv: {url} [filters: format, q]"


@pytest.mark.parametrize(
    "raw",
    [
        "/members/club/1/?q=Nowak&page=2",
        "csv: q=jan%40example.pl&status=active",
        "/x/?q=Zofia+Nowak",
    ],
)
def test_the_log_helper_removes_query_values_whatever_the_caller_passes(world, raw):
    row = personal_data_access_log(user=world.users["leader"], action=Action.LIST, detail=raw)
    for value in ("Nowak", "jan", "example", "Zofia", "active"):
        assert value not in row.detail
    assert "q" in row.detail


def test_the_migration_scrubs_search_values_from_old_rows(world):
    from importlib import import_module

    from django.apps import apps

    PersonalDataAccess.objects.bulk_create(  # bulk_create: as old code wrote them
        [
            PersonalDataAccess(
                user_email="x@kos.example", action=Action.LIST, detail="/m/?q=Nowak&page=2"
            )
        ]
    )
    migration = import_module("members.migrations.0007_access_log_detail_without_values")
    migration.scrub(apps, None)
    assert PersonalDataAccess.objects.get().detail == "/m/ [filters: page, q]"
