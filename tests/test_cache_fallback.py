"""Signing in with Redis down: the cache (allauth's rate limits) falls back to memory
instead of answering 500 (kos_portal/cache.py)."""

import os
import time

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests import factories

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def fallback_cache(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "kos_portal.cache.FallbackRedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"kos-test-{os.getpid()}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = fallback_cache(CLOSED_PORT)  # Django drops its cache connections
    caches["default"]._fallback.clear()
    yield
    caches["default"]._fallback.clear()


def test_signing_in_works_with_redis_down(client, db, redis_down):
    user = factories.UserFactory(email="anna@kos.example")
    started = time.monotonic()
    response = client.post(
        reverse("account_login"), {"login": "anna@kos.example", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    assert time.monotonic() - started < 5  # one short connect timeout, then memory


def test_failed_sign_ins_are_still_limited_with_redis_down(client, db, redis_down):
    factories.UserFactory(email="anna@kos.example")
    login = reverse("account_login")
    for _attempt in range(5):  # ACCOUNT_RATE_LIMITS login_failed: 5 per 5 minutes per key
        response = client.post(login, {"login": "anna@kos.example", "password": "wrong"})
        assert response.status_code in (200, 429)
    response = client.post(login, {"login": "anna@kos.example", "password": factories.PASSWORD})
    assert response.status_code in (200, 429)  # refused: the limit held, in memory
    assert "_auth_user_id" not in client.session


def test_the_cache_answers_from_memory_while_redis_is_down(redis_down):
    cache = caches["default"]
    assert cache.add("k", 1, 60) is True
    assert cache.incr("k") == 2
    assert cache.get("k") == 2
    assert cache.get_or_set("other", "v") == "v"


def test_the_cache_uses_redis_when_it_is_up(settings):
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        pytest.skip("needs Redis (set CELERY_BROKER_URL)")
    settings.CACHES = fallback_cache(url)
    cache = caches["default"]
    cache.set("shared", "yes", 30)
    assert cache._fallback.get("shared") is None  # not the memory fallback
    assert cache.get("shared") == "yes"
    cache.delete("shared")
