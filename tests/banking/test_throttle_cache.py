"""The API tokens' throttle counters live in the "throttle" cache (settings, THROTTLE_CACHE_URL):
on Redis they are shared by every web process; with that Redis down a token request gets a
clear 503, never a 500, and the rest of the site does not depend on it."""

import os
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import Client

from pinghu_points.api_auth import TokenRateThrottle

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("CELERY_BROKER_URL", "")


def redis_throttle_cache(location, prefix):
    return {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }


def test_the_counters_have_their_own_cache_in_memory_by_default():
    assert type(caches["throttle"]).__name__ == "LocMemCache"
    assert caches["throttle"] is not caches["default"]


@pytest.mark.skipif(not REDIS_URL.startswith("redis://"), reason="needs Redis (CELERY_BROKER_URL)")
def test_on_redis_another_process_sees_the_same_count(tokens, api, settings, monkeypatch):
    prefix = f"pytest-{uuid.uuid4().hex[:8]}"
    settings.CACHES = redis_throttle_cache(REDIS_URL, prefix)
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/minute"})
    token, key = tokens["east"]
    try:
        assert [api("/api/v1/households/", key).status_code for _ in range(2)] == [200, 200]
        # A second web process: its own connection to the same Redis, nothing in memory.
        other = RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})
        history = other.get(TokenRateThrottle.cache_format % {"scope": "token", "ident": token.pk})
        assert len(history) == 2
        assert [api("/api/v1/households/", key).status_code for _ in range(2)] == [200, 429]
    finally:
        caches["throttle"].clear()


def test_with_the_counters_redis_down_a_token_request_is_503_json(tokens, settings, login, world):
    # Nothing listens on port 1: the connection is refused at once.
    settings.CACHES = redis_throttle_cache("redis://127.0.0.1:1/0", "down")
    _, key = tokens["east"]
    response = Client(raise_request_exception=False).get(
        "/api/v1/households/", headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    # Pages and session requests do not use the counters.
    assert login(world.staff_east).get("/api/v1/households/").status_code == 200
    assert login(world.staff_east).get("/villages/households/").status_code == 200
