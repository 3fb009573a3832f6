"""Fixtures for the account pages: rate-limit counts start empty in every test."""

from __future__ import annotations

import pytest
from flask import Flask

from provider_portal.extensions import limiter


@pytest.fixture(autouse=True)
def _fresh_limits(app: Flask) -> None:
    limiter.reset()
