"""The per-address limit in its production store (Redis), and what happens when the store is
down: sign-in fails open to per-process counting, and the per-account lockout still holds."""

from __future__ import annotations

import logging
import os

import pytest
import redis

from provider_portal.models import Role
from tests.auth.test_lockout import WRONG, attempt, lock
from tests.helpers import TEST_PASSWORD, PortalClient

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client() -> redis.Redis:
    """A connection to the test Redis; the test is skipped without one, except on CI."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis not reachable at {REDIS_URL} ({error}); set TEST_REDIS_URL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}: CI needs it")
        pytest.skip(f"{message}: the Redis-backed rate limit test is skipped")
    return client


def test_sign_in_limit_counts_in_redis(app, make, other_portal, redis_client):
    prefix = f"portal-test-{os.getpid()}-{id(app)}"
    portal = other_portal(RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    user = make.user(Role.MANAGER)
    client = PortalClient(portal)
    try:
        # Guesses at an unknown account: the address is limited, not any account.
        for _ in range(10):
            assert attempt(client, "nobody@example.test", WRONG, "192.0.2.60").status_code == 200
        keys = redis_client.keys(f"*{prefix}*192.0.2.60*")
        assert len(keys) == 1, keys
        assert int(redis_client.get(keys[0])) == 10  # every worker reads the same count
        assert attempt(client, user.email, TEST_PASSWORD, "192.0.2.60").status_code == 429
        assert attempt(client, user.email, TEST_PASSWORD, "192.0.2.61").status_code == 303
    finally:
        for key in redis_client.keys(f"*{prefix}*"):
            redis_client.delete(key)


def test_sign_in_fails_open_when_the_store_is_down(app, make, other_portal, caplog, refused_port):
    portal = other_portal(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{refused_port}")
    caplog.set_level(logging.WARNING, logger="flask-limiter")
    user = make.user(Role.MANAGER)
    # People can still sign in with the store down...
    assert PortalClient(portal).sign_in(user).status_code == 303
    assert "falling back to in-memory storage" in caplog.text

    # ...the per-account lockout, kept in the database, still holds...
    victim = make.user(Role.MANAGER)
    client = PortalClient(portal)
    lock(victim, client)
    assert victim.locked_until is not None
    response = attempt(client, victim.email, TEST_PASSWORD, "198.51.100.99")
    assert response.status_code == 200
    assert "Enter a correct email address and password" in response.get_data(as_text=True)

    # ...and each worker keeps counting attempts per address in its own memory.
    for _ in range(10):
        assert attempt(client, user.email, WRONG, "192.0.2.70").status_code == 200
    assert attempt(client, user.email, WRONG, "192.0.2.70").status_code == 429


def test_the_account_limit_counts_in_redis_without_addresses(app, make, other_portal, redis_client):
    """Every worker shares the per-account count too, and the store holds a keyed hash of the
    email typed, never the email itself."""
    prefix = f"portal-test-account-{os.getpid()}-{id(app)}"
    portal = other_portal(
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        SIGN_IN_ACCOUNT_RATE_LIMIT="3 per minute",
    )
    user = make.user(Role.MANAGER)
    client = PortalClient(portal)
    try:
        for n in range(3):
            assert attempt(client, user.email, WRONG, f"192.0.2.{80 + n}").status_code == 200
        keys = [key.decode() for key in redis_client.keys(f"*{prefix}*account*")]
        assert len(keys) == 1, keys
        assert user.email not in keys[0] and "example" not in keys[0]
        assert attempt(client, user.email, TEST_PASSWORD, "192.0.2.90").status_code == 429
    finally:
        for key in redis_client.keys(f"*{prefix}*"):
            redis_client.delete(key)
