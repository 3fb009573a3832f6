"""Redis, the rate-limit store, going away and coming back (security.md, Reliability R5).

The test starts its own redis-server (tests/servers.py) and stops, freezes and restarts it;
the shared Redis is never touched. What the README promises: sign-in goes on working, the
per-address limit falls back to each worker's memory (fail open, with the per-account lockout
in the database still holding), and Flask-Limiter goes back to Redis by itself once it
answers again: it looks 1, 2, 4, 8, 16 and 32 s after its last look, then every second again.
"""

from __future__ import annotations

import logging
import time
from types import SimpleNamespace

import flask_limiter._extension
import redis

from provider_portal.models import Role
from tests.auth.test_lockout import WRONG, attempt
from tests.helpers import PortalClient
from tests.servers import OwnRedis, own_redis

# A sign-in that waits on the store longer than this has not "gone on working".
PROMPT = 2.0


def _count_in_redis(server: OwnRedis, address: str) -> int:
    store = redis.Redis(unix_socket_path=str(server.socket), socket_timeout=2)
    keys = store.keys(f"*{address}*")
    assert len(keys) <= 1, keys
    return int(store.get(keys[0]) or 0) if keys else 0


def _limit_holds_in_memory(client: PortalClient, email: str, address: str) -> None:
    """Ten attempts answered promptly, the eleventh refused: counted without the store."""
    for _ in range(10):
        started = time.monotonic()
        assert attempt(client, email, WRONG, address).status_code == 200
        assert time.monotonic() - started < PROMPT
    assert attempt(client, email, WRONG, address).status_code == 429


def test_the_limit_falls_back_to_memory_and_returns_to_redis(
    app, make, other_portal, caplog, monkeypatch
):
    caplog.set_level(logging.INFO, logger="flask-limiter")
    user = make.user(Role.MANAGER)
    with own_redis() as server:
        portal = other_portal(RATELIMIT_STORAGE_URI=server.url)
        client = PortalClient(portal)
        for _ in range(3):
            assert attempt(client, user.email, WRONG, "192.0.2.80").status_code == 200
        assert _count_in_redis(server, "192.0.2.80") == 3

        server.stop()
        started = time.monotonic()
        assert PortalClient(portal).sign_in(user).status_code == 303
        assert time.monotonic() - started < PROMPT
        assert "falling back to in-memory storage" in caplog.text
        # Counting starts again in memory: the three in Redis are not carried over.
        _limit_holds_in_memory(client, user.email, "192.0.2.81")

        # Back, and empty (it keeps nothing on disk). Flask-Limiter looks again once its
        # back-off has passed: its clock is moved on 64 s rather than the test waiting.
        server.start()
        later = SimpleNamespace(time=lambda: time.time() + 64)
        monkeypatch.setattr(flask_limiter._extension, "time", later)
        assert attempt(client, user.email, WRONG, "192.0.2.82").status_code == 200
        assert "Rate limit storage recovered" in caplog.text
        assert attempt(client, user.email, WRONG, "192.0.2.82").status_code == 200
        assert _count_in_redis(server, "192.0.2.82") == 2


def test_a_frozen_redis_does_not_hold_up_sign_in(app, make, other_portal):
    """A Redis that accepts connections but never answers (as behind a network that drops
    packets) costs a sign-in half a second or two, not redis-py's 5 s timeout twice over."""
    user = make.user(Role.MANAGER)
    with own_redis() as server:
        portal = other_portal(RATELIMIT_STORAGE_URI=server.url)
        client = PortalClient(portal)
        assert attempt(client, user.email, WRONG, "192.0.2.90").status_code == 200
        server.pause()
        try:
            started = time.monotonic()
            assert PortalClient(portal).sign_in(user).status_code == 303
            assert time.monotonic() - started < PROMPT
            _limit_holds_in_memory(client, user.email, "192.0.2.91")
        finally:
            server.resume()
