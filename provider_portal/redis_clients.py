"""The Redis clients of this process: one per address and timeout, made on first use.

Each is keyed by the process id too: a client made before gunicorn forked its workers (or RQ
its job's child) holds a socket the other process must not share. Timeouts are short, so a
Redis that hangs rather than refuses holds a request for at most that long.
"""

from __future__ import annotations

import os

from redis import Redis

_clients: dict[tuple[int, str, float], Redis] = {}


def redis_client(url: str, timeout_seconds: float) -> Redis:
    """The client for the Redis at url, connecting and answering within timeout_seconds."""
    key = (os.getpid(), url, timeout_seconds)
    client = _clients.get(key)
    if client is None:
        client = Redis.from_url(
            url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds
        )
        _clients[key] = client
    return client
