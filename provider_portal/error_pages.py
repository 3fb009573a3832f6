"""Error pages: GOV.UK wording, no tracebacks, and an htmx branch for in-page requests."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from provider_portal.documents import DocumentRemoved
from provider_portal.errors import Unavailable
from provider_portal.extensions import db, login_manager
from provider_portal.web import UnusableCharacters, wants_fragment

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("There is a problem with your request", "Go back, reload the page and try again."),
    403: ("You do not have permission to view this page", "Ask your administrator for access."),
    404: ("Page not found", "If you typed the web address, check it is correct."),
    405: ("Page not found", "If you typed the web address, check it is correct."),
    413: (
        "The file is too large",
        "Go back and choose a smaller file.",
    ),
    429: ("Too many attempts", "Wait a minute, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later."),
    503: (
        "The service is not available at the moment",
        "Try again in a few minutes. If you were saving a change, check whether it was saved "
        "before you make it again.",
    ),
}
# Errors that mean the database cannot be reached (restarting, down, or every pooled
# connection busy), not that a request was wrong: answered 503 while the pool recovers.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


def _render_error(status: int, reference: str | None = None, body: str | None = None) -> Response:
    title, default_body = MESSAGES.get(status, MESSAGES[500])
    if status == 413:
        limit = current_app.config["MAX_UPLOAD_MB"]
        default_body = f"The file must be smaller than {limit} MB. Go back and choose another file."
    context = {"title": title, "body": body or default_body, "reference": reference}
    if wants_fragment():
        response = current_app.make_response(
            (render_template("errors/_error.html", **context), status)
        )
        # Swap the message into the page's main area rather than into a table cell.
        response.headers["HX-Retarget"] = "#main-content"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return current_app.make_response((render_template("errors/error.html", **context), status))


def register_error_handlers(app: Flask) -> None:
    """Answer every error with a GOV.UK page (or fragment for htmx)."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> Response:
        return _render_error(
            400, body="Your session may have expired. Go back, reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status == 401:
            return _render_error(403)
        if isinstance(error, UnusableCharacters):
            return _render_error(400, body=error.description)
        if isinstance(error, DocumentRemoved):
            return _render_error(404, body=error.description)
        return _render_error(status)

    @app.errorhandler(Unavailable)
    def unavailable(error: Unavailable) -> Response:
        # A service the portal needs (the virus scanner, the document store) is down and
        # nothing was saved: a 503 saying so, never a traceback.
        return _render_error(503, body=error.message)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> Response:
        original = getattr(error, "original_exception", None)
        if isinstance(original, DATABASE_UNAVAILABLE):
            # Raised after the view, where no handler looks (a GET's audit rows, written once
            # its page is built): answered as the same error in the view is.
            return database_unavailable(original)
        reference = secrets.token_hex(6)
        log.error("unhandled error, reference %s", reference, exc_info=original)
        return _render_error(500, reference=reference)

    def database_unavailable(error: SQLAlchemyError) -> Response:
        """The database is down or restarting: a 503 page with a reference, no traceback.

        The page is drawn for an anonymous visitor: who is signed in (and their provider's
        name) would have to come from the database that just failed.
        """
        reference = secrets.token_hex(6)
        log.error("database unavailable, reference %s", reference, exc_info=error)
        try:
            db.session.rollback()
        except SQLAlchemyError:
            pass  # the connection is gone already; the pool makes a new one next time
        login_manager._update_request_context_with_user()
        response = _render_error(503, reference=reference)
        response.headers["Retry-After"] = "30"
        return response

    for error_class in DATABASE_UNAVAILABLE:
        app.register_error_handler(error_class, database_unavailable)
