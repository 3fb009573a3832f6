"""The sign-in services on their own: no request, no browser session; each writes its audit."""

from __future__ import annotations

import pyotp
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.auth.services import (
    confirm_two_factor,
    renew_recovery_codes,
    sign_in_with_code,
    sign_in_with_recovery_code,
    sign_out_everywhere,
)
from provider_portal.auth.two_factor.services import CodeCheck, current_step, new_secret
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role, User
from tests.helpers import plain_totp_secret

MOMENT = "2026-03-02 10:00:05"


def _audit(user: User) -> list[tuple[str, str | None]]:
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.detail)
        .where(AuditEvent.object_id == user.id)
        .order_by(AuditEvent.id)
    )
    return [(row.action, row.detail) for row in rows]


def _code(user: User, offset: int = 0) -> str:
    return pyotp.TOTP(plain_totp_secret(user)).generate_otp(current_step() + offset)


@freeze_time(MOMENT)
def test_a_code_signs_in_once_and_a_refusal_counts(app, make):
    user = make.user(Role.MANAGER, totp=True)
    code = _code(user)
    assert sign_in_with_code(user, code) is CodeCheck.ACCEPTED
    assert user.last_sign_in_at is not None
    assert sign_in_with_code(user, code) is CodeCheck.REUSED
    assert sign_in_with_code(user, "000000" if code != "000000" else "111111") is CodeCheck.WRONG
    db.session.commit()
    assert user.failed_sign_ins == 2
    assert _audit(user) == [
        ("sign_in", "authenticator_app"),
        ("totp_reused", None),
        ("sign_in_failed", "two_factor"),
    ]


def test_a_recovery_code_says_how_many_are_left(app, make):
    user = make.user(Role.MANAGER, totp=True)
    codes = make.recovery_codes(user)
    assert sign_in_with_recovery_code(user, codes[0]) == (CodeCheck.ACCEPTED, 9)
    assert sign_in_with_recovery_code(user, codes[0]) == (CodeCheck.REUSED, 0)
    db.session.commit()
    assert _audit(user) == [
        ("sign_in", "recovery_code"),
        ("recovery_code_used", "9 left"),
        ("recovery_code_reused", None),
    ]


@freeze_time(MOMENT)
def test_setting_up_ends_every_session_and_renewing_needs_a_fresh_code(app, make):
    user = make.user(Role.MANAGER)
    new_secret(user)
    token = user.session_token
    assert confirm_two_factor(user, "not a code") is None
    codes = confirm_two_factor(user, _code(user))
    assert codes is not None and len(codes) == 10
    assert user.session_token != token
    result, renewed = renew_recovery_codes(user, _code(user, 1))
    assert result is CodeCheck.ACCEPTED and len(renewed) == 10 and set(renewed) != set(codes)
    assert renew_recovery_codes(user, _code(user, 1)) == (CodeCheck.REUSED, [])
    db.session.commit()
    assert _audit(user) == [
        ("two_factor_set_up", None),
        ("recovery_codes_replaced", None),
        ("totp_reused", None),
    ]


def test_signing_out_ends_every_session_on_the_server(app, make):
    user = make.user(Role.MANAGER)
    token = user.session_token
    sign_out_everywhere(user)
    db.session.commit()
    assert user.session_token != token
    assert _audit(user) == [("sign_out", None)]
