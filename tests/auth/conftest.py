"""Fixtures for sign-in tests: a second portal app with its own settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from config import Config, TestConfig
from provider_portal import create_app
from provider_portal.extensions import db, limiter


@pytest.fixture
def other_portal(app: Flask) -> Iterator[Callable[..., Flask]]:
    """other_portal(RATELIMIT_STORAGE_URI=..., base=TestConfig): another app on the suite's
    database and upload folder, with some settings changed.

    Flask-Limiter's limiter is one object for every app, and each new app points it at that
    app's store; afterwards it is pointed back at the suite app's store.
    """
    made: list[Flask] = []

    def build(base: type[Config] = TestConfig, **settings: Any) -> Flask:
        values = {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
            **settings,
        }
        config = type("OtherConfig", (base,), values)
        # Flask-Limiter keeps the first RATELIMIT_KEY_PREFIX it is given: forget it, so each
        # portal counts under its own.
        limiter._key_prefix = ""
        portal = create_app(config)
        made.append(portal)
        return portal

    yield build
    for portal in made:
        with portal.app_context():
            db.engine.dispose()
    # A store that was down must not leave the suite app's limiter on its memory fallback.
    limiter._storage_dead = False
    limiter._key_prefix = ""
    limiter.init_app(app)
    limiter.reset()
