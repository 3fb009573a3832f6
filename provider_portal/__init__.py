"""The provider portal: out-of-timescale EHC needs assessment work, allocated and returned."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, g, request
from govuk_frontend_wtf.main import WTFormsHelpers
from werkzeug.wrappers import Response

from config import BASE_DIR, CONFIGS, Config, ProductionConfig
from provider_portal.extensions import csrf, db, htmx, limiter, login_manager, migrate
from provider_portal.jinja import configure_jinja
from provider_portal.storage import check_settings as check_storage_settings


def _check_security_settings(app: Flask) -> None:
    """Refuse to start with an unreadable proxy count or two-factor key list, and read the
    client's address through the trusted proxies (provider_portal.proxies)."""
    from provider_portal.auth.two_factor.keys import KeyProblem, keyring
    from provider_portal.proxies import trust_proxies

    try:
        keyring(app.config["TOTP_ENCRYPTION_KEY"])
    except KeyProblem as problem:
        raise RuntimeError(str(problem)) from None
    trust_proxies(app)


def _check_branding(app: Flask) -> None:
    """Refuse to start with a logo that is not an image or a brand colour white text cannot
    be read on (provider_portal.branding); keep the checked values."""
    from provider_portal.branding import BrandingProblem, check_branding

    try:
        app.config.update(check_branding(app.config))
    except BrandingProblem as problem:
        raise RuntimeError(str(problem)) from None


def create_app(config_class: type[Config] | None = None) -> Flask:
    """Build the application: configuration, extensions, templates, blueprints, handlers."""
    if config_class is None:
        config_class = CONFIGS[os.environ.get("PORTAL_ENV", "development")]
    if issubclass(config_class, ProductionConfig):
        config_class.validate()

    app = Flask(
        __name__,
        instance_path=str(BASE_DIR / "instance"),
        static_folder="static",
        static_url_path="/static",
    )
    app.config.from_object(config_class)
    _check_security_settings(app)
    _check_branding(app)
    check_storage_settings(app.config)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # JIT compilation costs more than it saves on the portal's short report queries
        # (about 190 ms of a 230 ms compliance report over 100,000 cases).
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.setdefault(
            "connect_args",
            {"options": "-c jit=off", "connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"]},
        )
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    from provider_portal.web import IdConverter

    # Every <int:…> in a URL is an id: one past the columns' range is a 404, not a 500.
    app.url_map.converters["int"] = IdConverter
    configure_jinja(app, str(BASE_DIR / "templates"))
    WTFormsHelpers(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from provider_portal import models  # noqa: F401  (register the tables)
    from provider_portal.allocations.summary import listen as keep_work_counts
    from provider_portal.changes import listen as count_changes
    from provider_portal.database import configure_database
    from provider_portal.quality.summary import listen as keep_quality_counts

    configure_database(app)
    keep_quality_counts()
    keep_work_counts()
    count_changes()

    from provider_portal.web import read_requests_read_only

    read_requests_read_only(app)

    from provider_portal.jobs import install_after_commit

    install_after_commit()

    from provider_portal.accounts import bp as accounts_bp
    from provider_portal.admin import bp as admin_bp
    from provider_portal.allocations import bp as allocations_bp
    from provider_portal.assets import bp as assets_bp
    from provider_portal.audit_log import bp as audit_log_bp
    from provider_portal.auth import bp as auth_bp
    from provider_portal.cases import bp as cases_bp
    from provider_portal.contracts import bp as contracts_bp
    from provider_portal.error_pages import register_error_handlers
    from provider_portal.home import bp as home_bp
    from provider_portal.notifications.routes import bp as notifications_bp
    from provider_portal.permissions import requires
    from provider_portal.provider import bp as provider_bp
    from provider_portal.reports import bp as reports_bp

    for blueprint in (
        assets_bp,
        auth_bp,
        cases_bp,
        allocations_bp,
        provider_bp,
        reports_bp,
        contracts_bp,
        audit_log_bp,
        accounts_bp,
        admin_bp,
        notifications_bp,
        home_bp,
    ):
        app.register_blueprint(blueprint)
    app.view_functions["static"] = requires("public")(app.view_functions["static"])
    register_error_handlers(app)

    from provider_portal.cli import register_cli

    register_cli(app)

    from provider_portal.web import refuse_control_characters

    app.before_request(refuse_control_characters)

    @app.before_request
    def make_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.after_request
    def security_headers(response: Response) -> Response:
        nonce = g.get("csp_nonce", "")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce}'; "
            "style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.vary.add("HX-Request")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if not request.path.startswith(("/assets/", "/vendor/", "/static/")):
            response.headers["Cache-Control"] = "no-store"
        return response

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return app
