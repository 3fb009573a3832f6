"""Configuration read from environment variables, with safe development defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSECURE_DEV_KEY = "dev-only-not-secret"


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEV_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'portal.sqlite'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(BASE_DIR / "instance" / "uploads"))
    MAX_UPLOAD_MB = _int_env("MAX_UPLOAD_MB", 20)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_MB * 1024 * 1024 + 64 * 1024
    VENDOR_DIR = os.environ.get("VENDOR_DIR", str(BASE_DIR / "node_modules"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    WTF_CSRF_TIME_LIMIT = None
    SHOW_DEMO_ACCOUNTS = False


class DevelopmentConfig(Config):
    """Local running with demo data on SQLite."""

    SHOW_DEMO_ACCOUNTS = True


class TestConfig(Config):
    """The test suite: the database comes from TEST_DATABASE_URL, set by the fixtures."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True


class ProductionConfig(Config):
    """Production: secure cookies, and a real secret key or no start at all."""

    SESSION_COOKIE_SECURE = True

    @classmethod
    def validate(cls) -> None:
        """Refuse to start with a missing or development secret key."""
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == INSECURE_DEV_KEY or len(key) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of 32 characters or more")
        cls.SECRET_KEY = key


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "test": TestConfig,
}
