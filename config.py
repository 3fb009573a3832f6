"""Configuration read from environment variables, with safe development defaults."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSECURE_DEV_KEY = "dev-only-not-secret"
# Encrypts two-factor secrets in development and the tests. It is published here, so it
# protects nothing: production refuses to start with it.
INSECURE_DEV_TOTP_KEY = "PvSumOReI2QNeKBK9lWk2paYxDlEWbPrRpRrMJwBsaM="


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


# The ways the outbox can be delivered (MAIL_BACKEND).
MAIL_BACKENDS = ("smtp", "notify")

# The contact the family letters name outside production (production must set its own).
PLACEHOLDER_COUNCIL_CONTACT = "the SEND assessment team at the council (send@council.example)"


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_DEV_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'portal.sqlite'}"
    )
    # The role that owns the tables and runs `flask db upgrade`, when the portal connects as
    # another (PostgreSQL in production: see provider_portal/database_roles.py).
    MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL") or None
    # hide_parameters: a database error shows its SQL but never the values bound to it (a
    # child's name, typed into a search), in the exception and so in the log.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True, "hide_parameters": True}
    # Seconds to wait for PostgreSQL to answer a new connection: a server that is unreachable
    # (rather than refusing) gets the 503 page after this, not a request hanging until
    # gunicorn kills the worker.
    DATABASE_CONNECT_TIMEOUT = _int_env("DATABASE_CONNECT_TIMEOUT", 10)
    # Uploads are written, checked and scanned here; with STORAGE=local they stay here.
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(BASE_DIR / "instance" / "uploads"))
    # local: documents in UPLOAD_FOLDER (one server). s3: in an S3-compatible bucket that every
    # server shares; credentials from the standard AWS variables or the instance's role.
    STORAGE = os.environ.get("STORAGE", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    S3_REGION = os.environ.get("S3_REGION", "")
    # The server-side encryption asked for on every object put; empty asks for none.
    S3_SSE = os.environ.get("S3_SSE", "AES256")
    # Where `flask backup` finds pg_dump and pg_restore (default: the server's version's).
    PG_BIN_DIR = os.environ.get("PG_BIN_DIR") or None
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
    # Which environment this is; `flask demo` refuses to run outside development and test.
    PORTAL_ENV: str | None = None
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
    # PostgreSQL: how many database connections a report (the monitoring pack, the FOI page)
    # reads its independent parts on at once, all from one snapshot (reports.together).
    # 1 reads them one after the other. Each lane holds a pooled connection while it runs.
    REPORT_LANES = _int_env("REPORT_LANES", 2)
    # Background jobs (imports, email delivery) go on RQ's "portal" queue here, for
    # `flask jobs worker`; empty, they run in a thread of the web process.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # Email written to the outbox is sent straight after the commit that wrote it (a job);
    # off, it waits for `flask notifications deliver` or `send-due` (a cron-only server).
    DELIVER_AFTER_COMMIT = os.environ.get("DELIVER_AFTER_COMMIT", "true").lower() != "false"
    # If the store is unreachable, each worker counts in its own memory until it is back
    # (fail open): the per-account lockout lives in the database and still holds.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis that hangs (rather than refuses) would hold each request for redis-py's default
    # 5 s timeout, twice, and again at every check for its return: half a second, then down.
    RATELIMIT_STORAGE_OPTIONS: dict[str, object] = {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    # Attempts per minute from one address at each sign-in step (password, second factor).
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "10 per minute")
    # Attempts per minute at any one account's email address, from however many addresses.
    # Above SIGN_IN_MAX_FAILURES, so the lockout answers first; this caps the work (and audit
    # rows) that guesses at one account can cost, whatever the lockout is set to.
    SIGN_IN_ACCOUNT_RATE_LIMIT = os.environ.get("SIGN_IN_ACCOUNT_RATE_LIMIT", "20 per minute")
    # Reverse proxies in front of the portal that add X-Forwarded-For (nginx, a load
    # balancer): the client's address is read that many hops back. 0 believes no header.
    # Checked at start-up (provider_portal.proxies).
    TRUSTED_PROXIES: int | str = os.environ.get("TRUSTED_PROXIES", "0")
    # Fernet keys for the two-factor secrets, comma-separated: the first encrypts, every one
    # decrypts (`flask totp rotate-key` re-encrypts under the first).
    TOTP_ENCRYPTION_KEY = os.environ.get("TOTP_ENCRYPTION_KEY", INSECURE_DEV_TOTP_KEY)
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
    # How the outbox (notifications, reminders, digests) is delivered: smtp, with the MAIL_*
    # settings above, or notify (GOV.UK Notify). Invitations and password resets always go
    # by SMTP, straight away: their sign-in links are never stored in the outbox.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    # GOV.UK Notify: the API key, and the template every message uses, whose subject is
    # ((subject)) and body ((body)). NOTIFY_TEMPLATE_IDS, JSON such as
    # {"work_allocated": "<template id>"}, names a template of the council's own for some
    # kinds: those get the message's fields as well as its subject and body.
    NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
    NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
    NOTIFY_TEMPLATE_ID = os.environ.get("NOTIFY_TEMPLATE_ID", "")
    NOTIFY_TEMPLATE_IDS = os.environ.get("NOTIFY_TEMPLATE_IDS", "")
    # Who the family letters tell parents to contact with questions.
    COUNCIL_CONTACT = os.environ.get("COUNCIL_CONTACT", PLACEHOLDER_COUNCIL_CONTACT)
    # The council's own look (provider_portal.branding, checked as the portal starts): its
    # name in the header, footer and title; a logo file (PNG, JPEG, GIF or SVG) shown instead
    # of the name in the header; the header's colour, which white text must reach 4.5:1 on;
    # and the footer's links. The accessibility statement names COUNCIL_ACCESSIBILITY_CONTACT.
    COUNCIL_NAME = os.environ.get("COUNCIL_NAME", "Example Council")
    COUNCIL_LOGO = os.environ.get("COUNCIL_LOGO", "")
    COUNCIL_BRAND_COLOUR = os.environ.get("COUNCIL_BRAND_COLOUR", "#1d70b8")
    COUNCIL_ACCESSIBILITY_CONTACT = os.environ.get(
        "COUNCIL_ACCESSIBILITY_CONTACT", "the SEND assessment team (send@council.example)"
    )
    COUNCIL_PRIVACY_URL = os.environ.get("COUNCIL_PRIVACY_URL", "")
    COUNCIL_CONTACT_URL = os.environ.get("COUNCIL_CONTACT_URL", "")
    # Provider users keep access to a closed allocation's papers for this many days.
    PROVIDER_ACCESS_DAYS_AFTER_CLOSE = _int_env("PROVIDER_ACCESS_DAYS_AFTER_CLOSE", 28)
    # Documents deleted and personal details anonymised this long after the final plan.
    RETENTION_DAYS_AFTER_CLOSE = _int_env("RETENTION_DAYS_AFTER_CLOSE", 730)
    # The virus scanner every upload passes before it is stored: clamd (ClamAV's daemon) at
    # a unix socket path or host:port, or none. Seconds to wait for its answer: keep it
    # below gunicorn's worker timeout (30 s unless --timeout says otherwise).
    SCANNER = os.environ.get("SCANNER", "clamd")
    CLAMD_SOCKET = os.environ.get("CLAMD_SOCKET", "/var/run/clamav/clamd.ctl")
    CLAMD_TIMEOUT = _int_env("CLAMD_TIMEOUT", 20)


class DevelopmentConfig(Config):
    """Local running with demo data on SQLite."""

    PORTAL_ENV = "development"
    SHOW_DEMO_ACCOUNTS = True
    TOTP_REQUIRED = os.environ.get("TOTP_REQUIRED", "false").lower() == "true"
    # A developer's machine may have no clamd; SCANNER=clamd to try it.
    SCANNER = os.environ.get("SCANNER", "none")


class TestConfig(Config):
    """The test suite: the database comes from TEST_DATABASE_URL, set by the fixtures."""

    PORTAL_ENV = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key"
    TOTP_ENCRYPTION_KEY = INSECURE_DEV_TOTP_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MIGRATION_DATABASE_URL = None
    WTF_CSRF_ENABLED = True
    # Tests that exercise two-factor sign-in switch it on for themselves.
    TOTP_REQUIRED = False
    RATELIMIT_STORAGE_URI = "memory://"
    # Jobs run in a thread of the test process; the job tests give the RQ worker they start
    # their own Redis here (tests/job_runners.py).
    REDIS_URL = os.environ.get("TEST_JOBS_REDIS_URL", "")
    # Tests deliver the outbox when they mean to (the tests of delivery after a commit turn
    # this on), not in a thread racing every other test's own checks of the outbox.
    DELIVER_AFTER_COMMIT = False
    # The scanner tests point the app at the clamd they start (tests/clamd.py).
    SCANNER = "none"


class ProductionConfig(Config):
    """Production: secure cookies, real keys and an https address, or no start at all."""

    PORTAL_ENV = "production"
    SESSION_COOKIE_SECURE = True
    # Browsers accept a __Host- cookie only over HTTPS, with Path=/ and no Domain: it cannot
    # be set or overwritten by a neighbouring subdomain.
    SESSION_COOKIE_NAME = "__Host-session"

    @classmethod
    def validate(cls) -> None:
        """Refuse to start with a missing or development key, an address that is not https, or
        without a virus scanner unless that is said out loud."""
        key = os.environ.get("SECRET_KEY", "")
        if not key or key == INSECURE_DEV_KEY or len(key) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of 32 characters or more")
        cls.SECRET_KEY = key
        totp_keys = os.environ.get("TOTP_ENCRYPTION_KEY", "")
        if not totp_keys.strip() or INSECURE_DEV_TOTP_KEY in totp_keys:
            raise RuntimeError(
                "TOTP_ENCRYPTION_KEY must be set to a Fernet key of your own (make one with "
                "python3 -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            )
        cls.TOTP_ENCRYPTION_KEY = totp_keys
        # Links in emails must not send anyone, or their one-time tokens, over plain http.
        portal_url = os.environ.get("PORTAL_URL", "")
        parts = urlsplit(portal_url)
        if parts.scheme != "https" or not parts.hostname:
            raise RuntimeError(
                "PORTAL_URL must be the portal's https:// address, for example "
                f"https://portal.council.gov.uk (it is {portal_url!r})"
            )
        cls.PORTAL_URL = portal_url
        # Letters to families must name a real team, not the demo's example address.
        contact = os.environ.get("COUNCIL_CONTACT", "").strip()
        if not contact or contact == PLACEHOLDER_COUNCIL_CONTACT:
            raise RuntimeError(
                "COUNCIL_CONTACT must say who families contact with questions, for example "
                "'the SEND assessment team on 01234 567890 or send@council.gov.uk'"
            )
        cls.COUNCIL_CONTACT = contact
        scanner = os.environ.get("SCANNER", "clamd")
        if scanner not in ("clamd", "none"):
            raise RuntimeError(f"SCANNER must be clamd or none, not {scanner!r}")
        if scanner == "none" and os.environ.get("ALLOW_NO_SCANNER") != "1":
            raise RuntimeError(
                "SCANNER=none would store uploads without a virus scan: "
                "set ALLOW_NO_SCANNER=1 to run without one"
            )
        cls.SCANNER = scanner
        # Read again here, as the keys above are; create_app refuses a STORAGE it does not
        # know, or s3 without S3_BUCKET (storage.check_settings), on every configuration.
        for name in ("STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_PREFIX", "S3_REGION"):
            setattr(cls, name, os.environ.get(name, "local" if name == "STORAGE" else ""))
        cls.S3_SSE = os.environ.get("S3_SSE", "AES256")
        cls._validate_mail_backend()

    @classmethod
    def _validate_mail_backend(cls) -> None:
        """Refuse a MAIL_BACKEND the sender does not know, or Notify without its key and
        template: the outbox would fill and nothing would ever be sent."""
        backend = os.environ.get("MAIL_BACKEND", "smtp")
        if backend not in MAIL_BACKENDS:
            raise RuntimeError(f"MAIL_BACKEND must be smtp or notify, not {backend!r}")
        cls.MAIL_BACKEND = backend
        if backend != "notify":
            return
        for name in ("NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID"):
            if not os.environ.get(name, "").strip():
                raise RuntimeError(f"MAIL_BACKEND=notify needs {name}")
        cls.NOTIFY_API_KEY = os.environ["NOTIFY_API_KEY"].strip()
        cls.NOTIFY_TEMPLATE_ID = os.environ["NOTIFY_TEMPLATE_ID"].strip()
        overrides = os.environ.get("NOTIFY_TEMPLATE_IDS", "").strip()
        try:
            parsed = json.loads(overrides) if overrides else {}
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict) or not all(
            isinstance(value, str) for value in parsed.values()
        ):
            raise RuntimeError(
                'NOTIFY_TEMPLATE_IDS must be JSON such as {"work_allocated": "<template id>"}'
            )
        cls.NOTIFY_TEMPLATE_IDS = overrides


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "test": TestConfig,
}
