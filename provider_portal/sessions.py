"""How long a signed-in session lasts: an idle limit and an absolute cap.

The session records when the person signed in and when they last did something (UTC epoch
seconds). Every request by a signed-in person checks both; a session past either limit is
cleared, audited and sent to sign in again.

Requests that poll for updates are not the person doing something, so they do not count as
activity: mark them with the header `X-Portal-Poll: 1` (for htmx, put
`hx-headers='{"X-Portal-Poll": "1"}'` on the polling element), or give the polling element
`name="poll"` so htmx sends `HX-Trigger-Name: poll`. A poll after the idle limit still ends
the session, like any other request.
"""

from __future__ import annotations

from flask import Request, current_app, flash, request, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete
from werkzeug.wrappers import Response

from provider_portal import audit
from provider_portal.extensions import db, login_manager
from provider_portal.models import BoardSelection, User
from provider_portal.models.types import utcnow

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
POLL_HEADER = "X-Portal-Poll"


def now_seconds() -> int:
    """The current time as whole UTC epoch seconds (freezegun can freeze it)."""
    return int(utcnow().timestamp())


def start(signed_in_at: int | None = None) -> None:
    """Mark the session as signed in now (or keep an earlier start, for a renewed session)."""
    now = now_seconds()
    session[SIGNED_IN_AT] = signed_in_at if signed_in_at is not None else now
    session[LAST_SEEN] = now


def begin(user: User) -> None:
    """A brand new signed-in session: nothing from before sign-in survives, the cookie changes,
    and nothing is ticked on the backlog board (the caller commits)."""
    session.clear()
    db.session.execute(delete(BoardSelection).where(BoardSelection.user_id == user.id))
    login_user(user, remember=False)
    start()


def renew(user: User) -> None:
    """Carry this session on under the user's new session token (their others have ended),
    keeping the time it signed in, so the absolute cap still counts from then."""
    signed_in_at = session.get(SIGNED_IN_AT)
    session.clear()
    login_user(user, remember=False)
    start(signed_in_at if isinstance(signed_in_at, int) else None)


def is_polling(req: Request) -> bool:
    """Whether the request is a background poll rather than something the person did."""
    return req.headers.get(POLL_HEADER) == "1" or req.headers.get("HX-Trigger-Name") == "poll"


def _expired_reason(now: int) -> str | None:
    signed_in_at = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN)
    idle_limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute_limit = current_app.permanent_session_lifetime.total_seconds()
    if not isinstance(signed_in_at, int) or not isinstance(last_seen, int):
        return None
    if now - signed_in_at > absolute_limit:
        return "absolute"
    if now - last_seen > idle_limit:
        return "idle"
    return None


def _signed_out_message(reason: str) -> str:
    if reason == "idle":
        minutes = current_app.config["SESSION_IDLE_MINUTES"]
        return f"You were signed out because you had not used the portal for {minutes} minutes"
    hours = current_app.permanent_session_lifetime.total_seconds() / 3600
    length = f"{hours:g} hours" if hours != 1 else "1 hour"
    return f"You were signed out because you had been signed in for {length}"


def enforce_timeouts() -> Response | None:
    """Before every request: end a session past its idle limit or absolute cap."""
    if request.endpoint == "static" or request.blueprint == "assets":
        return None  # files the page loads are not activity, and never sign anyone out
    if not current_user.is_authenticated:
        return None
    now = now_seconds()
    if SIGNED_IN_AT not in session or LAST_SEEN not in session:
        # Every sign-in records both, so this is a session from before they existed (or a
        # tool that signs in directly): its clock starts now.
        start()
        return None
    reason = _expired_reason(now)
    if reason is None:
        if not is_polling(request) and session.get(LAST_SEEN) != now:
            session[LAST_SEEN] = now
        return None
    user = current_user._get_current_object()
    audit.record("session_expired", "user", user.id, detail=reason, actor=user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_signed_out_message(reason), "important")
    return login_manager.unauthorized()  # type: ignore[no-any-return]
