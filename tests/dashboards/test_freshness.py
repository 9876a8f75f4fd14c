"""Dashboards follow the changes people make: a request that moves a number refreshes the
rollups after it commits (debounced with a broker), and nothing else does."""

import pytest
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import reverse

from clubs.models import Club, Pillar
from dashboards import freshness
from dashboards.models import AreaStat, ClubStat, RollupRun
from dashboards.services.rollups import rollups_refresh
from dashboards.tasks import rollups_refresh_task
from kos_portal.tasks import broker_backoff_reset
from tests import factories


def gmina_clubs(world) -> int:
    stat = AreaStat.objects.get(level=AreaStat.Level.GMINA, municipality=world.municipality)
    return stat.clubs_proposed + stat.clubs_active


def test_founding_a_club_shows_on_the_gmina_dashboard_at_once(
    client, world, django_capture_on_commit_callbacks
):
    rollups_refresh()
    before = gmina_clubs(world)
    client.force_login(world.users["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("clubs:club-create"),
            {
                "municipality": world.municipality.pk,
                "name": "KOS Żółkiewka",
                "pillars": [Pillar.objects.first().pk],
            },
        )
    assert response.status_code == 302
    assert Club.objects.filter(name="KOS Żółkiewka").exists()
    assert gmina_clubs(world) == before + 1


def test_a_member_added_in_a_request_counts_on_the_club_dashboard(
    rf, world, django_capture_on_commit_callbacks
):
    rollups_refresh()
    before = ClubStat.objects.get(club=world.club).members_active

    def view(request):
        factories.member_of(world.club)
        return HttpResponse()

    with django_capture_on_commit_callbacks(execute=True):
        freshness.RollupsFollowChangesMiddleware(view)(rf.post("/"))
    assert ClubStat.objects.get(club=world.club).members_active == before + 1


def test_a_request_that_changes_nothing_counted_refreshes_nothing(
    client, world, django_capture_on_commit_callbacks
):
    rollups_refresh()
    runs = RollupRun.objects.count()
    client.force_login(world.users["coordinator"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.get(reverse("clubs:club-list"))
    assert callbacks == []
    assert RollupRun.objects.count() == runs


@pytest.fixture
def with_broker(settings, monkeypatch):
    """Tasks published, not inline; apply_async records its calls (a unit test of the
    debounce: the real broker is exercised by the worker tests)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.ROLLUP_DEBOUNCE_SECONDS = 7
    cache.delete(freshness.PENDING_KEY)
    calls = []
    monkeypatch.setattr(rollups_refresh_task, "apply_async", lambda **kwargs: calls.append(kwargs))
    yield calls
    cache.delete(freshness.PENDING_KEY)


def test_many_changes_in_a_window_queue_one_refresh_a_debounce_later(with_broker):
    for _ in range(3):  # three changing requests within the window
        freshness._refresh_or_schedule()
    assert with_broker == [
        {"args": (), "kwargs": {"after_change": True}, "countdown": 7, "retry": False}
    ]

    freshness.pending_cleared()  # the task has started reading: the next change counts
    freshness._refresh_or_schedule()
    assert len(with_broker) == 2


def test_a_broker_outage_never_fails_the_request(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.delete(freshness.PENDING_KEY)

    def broker_down(**kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(rollups_refresh_task, "apply_async", broker_down)
    try:
        freshness._refresh_or_schedule()  # logs, does not raise
    finally:
        broker_backoff_reset()  # this process marked the broker down: not for other tests
    assert cache.get(freshness.PENDING_KEY) is None  # the next change tries again
