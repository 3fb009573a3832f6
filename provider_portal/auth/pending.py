"""A sign-in half done: the password was right, the second factor is still to come.

Until the second step succeeds the session holds only this marker, never Flask-Login's user
id, so every protected page still treats the visitor as signed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import session, url_for

from provider_portal.extensions import db
from provider_portal.models import User
from provider_portal.sessions import now_seconds

KEY = "pending_sign_in"
PENDING_SECONDS = 5 * 60
VERIFY = "verify"  # the user has two-factor: enter a code
SET_UP = "set_up"  # two-factor is required and the user has none yet: set it up
STEP_ENDPOINTS = {VERIFY: "auth.two_factor", SET_UP: "auth.set_up_two_factor"}


@dataclass
class Pending:
    """Who is signing in, which step is next, and where they were going."""

    user: User
    step: str
    next_url: str | None
    setup_digest: str | None

    @property
    def url(self) -> str:
        return url_for(STEP_ENDPOINTS[self.step])

    def keep_setup_digest(self, digest: str) -> None:
        """Remember which secret this person's set-up page shows."""
        self.setup_digest = digest
        session[KEY] = {**session[KEY], "setup": digest}


def begin(user: User, step: str, next_url: str | None) -> None:
    """Start the second step: a fresh session holding only the pending marker."""
    session.clear()
    session[KEY] = {
        "user_id": user.id,
        "token": user.session_token,
        "at": now_seconds(),
        "step": step,
        "next": next_url,
    }


def current() -> Pending | None:
    """The pending sign-in, or None if there is none or it has lapsed.

    It lapses after five minutes, and when the account's sessions were ended or it was
    deactivated in the meantime.
    """
    data: Any = session.get(KEY)
    if not isinstance(data, dict):
        return None
    started = data.get("at")
    if not isinstance(started, int) or now_seconds() - started > PENDING_SECONDS:
        session.pop(KEY, None)
        return None
    user_id = data.get("user_id")
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if (
        data.get("step") not in STEP_ENDPOINTS
        or user is None
        or not user.active
        or user.session_token != data.get("token")
    ):
        session.pop(KEY, None)
        return None
    return Pending(
        user=user, step=data["step"], next_url=data.get("next"), setup_digest=data.get("setup")
    )
