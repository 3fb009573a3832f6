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
    # hide_parameters: a database error shows its SQL but never the values bound to it (a
    # child's name, typed into a search), in the exception and so in the log.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True, "hide_parameters": True}
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
    # Sessions end after this long without a request (polling does not count), and after
    # PERMANENT_SESSION_LIFETIME whatever happens.
    SESSION_IDLE_MINUTES = _int_env("SESSION_IDLE_MINUTES", 30)
    # Two-factor sign-in with an authenticator app: required in production.
    TOTP_REQUIRED = os.environ.get("TOTP_REQUIRED", "true").lower() != "false"
    TOTP_ISSUER = os.environ.get("TOTP_ISSUER", "Assessment provider portal")
    # Failed sign-ins in a row before an account is locked, and for how long.
    SIGN_IN_MAX_FAILURES = _int_env("SIGN_IN_MAX_FAILURES", 10)
    SIGN_IN_LOCKOUT_MINUTES = _int_env("SIGN_IN_LOCKOUT_MINUTES", 15)
    # Flask-Limiter's store: Redis in production, so every worker shares the counts.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # If the store is unreachable, each worker counts in its own memory until it is back
    # (fail open): the per-account lockout lives in the database and still holds.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # Attempts per minute from one address at each sign-in step (password, second factor).
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "10 per minute")
    # Invitation and password-reset links.
    ACCOUNT_LINK_HOURS = _int_env("ACCOUNT_LINK_HOURS", 72)
    PASSWORD_RESET_HOURS = _int_env("PASSWORD_RESET_HOURS", 2)
    # Where links in emails point, and how mail is sent.
    PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:5000")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _int_env("MAIL_PORT", 25)
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "false").lower() == "true"
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "portal@localhost")
    # Provider users keep access to a closed allocation's papers for this many days.
    PROVIDER_ACCESS_DAYS_AFTER_CLOSE = _int_env("PROVIDER_ACCESS_DAYS_AFTER_CLOSE", 28)
    # Documents deleted and personal details anonymised this long after the final plan.
    RETENTION_DAYS_AFTER_CLOSE = _int_env("RETENTION_DAYS_AFTER_CLOSE", 730)


class DevelopmentConfig(Config):
    """Local running with demo data on SQLite."""

    SHOW_DEMO_ACCOUNTS = True
    TOTP_REQUIRED = os.environ.get("TOTP_REQUIRED", "false").lower() == "true"


class TestConfig(Config):
    """The test suite: the database comes from TEST_DATABASE_URL, set by the fixtures."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = True
    # Tests that exercise two-factor sign-in switch it on for themselves.
    TOTP_REQUIRED = False
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    """Production: secure cookies, and a real secret key or no start at all."""

    SESSION_COOKIE_SECURE = True
    # Browsers accept a __Host- cookie only over HTTPS, with Path=/ and no Domain: it cannot
    # be set or overwritten by a neighbouring subdomain.
    SESSION_COOKIE_NAME = "__Host-session"

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
