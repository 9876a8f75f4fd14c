"""The site's cache: Redis, shared by every web process, with a fallback when it is down.

What the cache holds here is rate-limit state (allauth's login and reset limits,
django-ratelimit's public forms) and nothing that must survive. With Redis down or hung,
a plain RedisCache raises on every call, and signing in answers 500. This backend answers
from a per-process memory cache instead, so limits still hold per process (weaker, but
never none), and tries Redis again after FALLBACK_SECONDS. docs/deployment.md.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

FALLBACK_SECONDS = 30  # how long to stay on the memory cache after Redis failed
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)


class FallbackRedisCache(RedisCache):
    """RedisCache that falls back to a per-process LocMemCache while Redis is unreachable."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._fallback = LocMemCache(
            "kos-redis-fallback",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": 10_000}},
        )
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _call(self, name: str, *args, **kwargs):
        if time.monotonic() >= self._down_until:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except REDIS_DOWN as error:
                with self._lock:
                    self._down_until = time.monotonic() + FALLBACK_SECONDS
                logger.error("Cache: Redis unreachable (%s); memory cache for now.", error)
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        return self._call("clear")
