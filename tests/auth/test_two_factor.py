"""Two-factor sign-in: authenticator codes, recovery codes, set-up, and no way around it."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pyotp
import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.auth.two_factor.services import (
    CodeCheck,
    current_step,
    use_code,
    use_recovery_code,
)
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, RecoveryCode, Role, User
from provider_portal.models.types import utcnow
from tests.helpers import PortalClient, plain_totp_secret

# A moment well inside a 30-second step, so the step does not change during a test.
MOMENT = "2026-03-02 10:00:05"
RECOVERY_CODE = re.compile(r"^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$")


def audit_actions(user: User) -> list[tuple[str, str | None]]:
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.detail)
        .where(AuditEvent.object_id == user.id, AuditEvent.object_type == "user")
        .order_by(AuditEvent.id)
    ).all()
    return [(row.action, row.detail) for row in rows]


def code_at(user: User, steps_from_now: int) -> str:
    return pyotp.TOTP(plain_totp_secret(user)).generate_otp(current_step() + steps_from_now)


def wrong_code(user: User) -> str:
    """Six digits that are not the code of any step in the accepted window."""
    window = {code_at(user, offset) for offset in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1000)) if c not in window)


@freeze_time(MOMENT)
def test_password_then_code_signs_in(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    response = client.enter_password(user)
    assert response.status_code == 303
    assert response.headers["Location"] == "/sign-in/two-factor"
    page = client.page("/sign-in/two-factor")
    assert page.h1.get_text(strip=True) == "Check your authenticator app"
    assert page.find("input", id="code")["autocomplete"] == "one-time-code"
    assert page.find("a", string="Use a recovery code instead")["href"] == "/sign-in/recovery-code"

    response = client.post("/sign-in/two-factor", {"code": code_at(user, 0)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/home"
    assert client.get("/cases").status_code == 200
    db.session.refresh(user)
    assert user.totp_last_step == current_step()
    assert user.last_sign_in_at is not None and user.failed_sign_ins == 0
    assert audit_actions(user)[-1] == ("sign_in", "authenticator_app")


def test_next_page_travels_in_the_session_not_the_url(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    response = client.post(
        "/sign-in?next=/allocations?status%3Dreturned",
        {"email": user.email, "password": "correct horse battery staple"},
    )
    assert response.headers["Location"] == "/sign-in/two-factor"
    client._token = None
    response = client.post("/sign-in/two-factor", {"code": code_at(user, 0)})
    assert response.headers["Location"] == "/allocations?status=returned"


def test_password_alone_reaches_nothing(app, make):
    """The 2FA bypass check: after only the password, protected pages are not served."""
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    for url in ("/cases", "/cases/backlog", "/allocations", "/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"] == "/sign-in/two-factor"
    htmx = client.get("/cases", htmx=True)
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"] == "/sign-in/two-factor"
    with client.http.session_transaction() as session:
        assert "_user_id" not in session
        assert session["pending_sign_in"]["user_id"] == user.id


def test_wrong_code_is_refused_counted_and_audited(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    response = client.post("/sign-in/two-factor", {"code": wrong_code(user)})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Enter a correct code" in text and "<title>Error: Check your authenticator app" in text
    assert 'href="#code"' in text
    assert client.get("/cases").status_code == 302
    db.session.refresh(user)
    assert user.failed_sign_ins == 1
    assert audit_actions(user)[-1] == ("sign_in_failed", "two_factor")


def test_empty_and_malformed_codes(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    response = client.post("/sign-in/two-factor", {"code": ""})
    assert "Enter the code from your authenticator app" in response.get_data(as_text=True)
    for typed in ("12345", "1234567", "abcdef", "12 34 5x", "１２３４５６"):
        response = client.post("/sign-in/two-factor", {"code": typed})
        assert response.status_code == 200
        assert "Enter a correct code" in response.get_data(as_text=True)


def test_code_with_spaces_is_accepted(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    code = code_at(user, 0)
    response = client.post("/sign-in/two-factor", {"code": f" {code[:3]} {code[3:]} "})
    assert response.status_code == 303


@freeze_time(MOMENT)
def test_a_code_works_once(app, make):
    user = make.user(Role.MANAGER, totp=True)
    first = PortalClient(app)
    first.enter_password(user)
    code = code_at(user, 0)
    assert first.post("/sign-in/two-factor", {"code": code}).status_code == 303

    second = PortalClient(app)
    second.enter_password(user)
    response = second.post("/sign-in/two-factor", {"code": code})
    assert response.status_code == 200
    assert "already been used" in response.get_data(as_text=True)
    # A code from an earlier step than the one used is no better.
    response = second.post("/sign-in/two-factor", {"code": code_at(user, -1)})
    assert "already been used" in response.get_data(as_text=True)
    assert second.get("/cases").status_code == 302
    assert [a for a in audit_actions(user) if a[0] == "totp_reused"] == [("totp_reused", None)] * 2
    # The next step's code is still good (the window allows one step of drift).
    assert second.post("/sign-in/two-factor", {"code": code_at(user, 1)}).status_code == 303


@freeze_time(MOMENT)
@pytest.mark.parametrize("steps", [-3, -2, 2, 3])
def test_codes_outside_the_window_are_refused(app, make, steps):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    response = client.post("/sign-in/two-factor", {"code": code_at(user, steps)})
    assert response.status_code == 200
    assert "Enter a correct code" in response.get_data(as_text=True)


@freeze_time(MOMENT)
@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_codes_inside_the_window_are_accepted(app, make, steps):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    assert client.post("/sign-in/two-factor", {"code": code_at(user, steps)}).status_code == 303


def test_one_code_sent_twice_at_once_passes_once(app, make):
    user = make.user(Role.MANAGER, totp=True)
    code = code_at(user, 0)
    barrier = threading.Barrier(2)
    results: list[CodeCheck] = []

    def attempt() -> None:
        barrier.wait()
        with app.test_request_context():
            account = db.session.get(User, user.id)
            assert account is not None
            results.append(use_code(account, code))
            db.session.commit()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(r.value for r in results) == ["accepted", "reused"]


def test_pending_sign_in_lapses_after_five_minutes(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    with freeze_time(MOMENT) as clock:
        client.enter_password(user)
        clock.tick(timedelta(minutes=5, seconds=1))
        response = client.post("/sign-in/two-factor", {"code": code_at(user, 0)})
        assert response.status_code == 302
        assert response.headers["Location"] == "/sign-in"
        assert "Your sign-in timed out" in client.get("/sign-in").get_data(as_text=True)
        assert client.get("/cases").headers["Location"].startswith("/sign-in?next=")
    db.session.refresh(user)
    assert user.totp_last_step is None


def test_pending_sign_in_ends_with_the_accounts_sessions(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    user.active = False
    db.session.commit()
    response = client.post("/sign-in/two-factor", {"code": code_at(user, 0)})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert client.get("/cases").status_code == 302


def test_recovery_code_signs_in_once(app, make):
    user = make.user(Role.MANAGER, totp=True)
    codes = make.recovery_codes(user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(RECOVERY_CODE.match(code) for code in codes)
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert all(h.startswith("$argon2id$") for h in stored)
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in stored)

    client = PortalClient(app)
    client.enter_password(user)
    page = client.page("/sign-in/recovery-code")
    assert page.find("a", string="Use your authenticator app instead")
    response = client.post("/sign-in/recovery-code", {"code": f" {codes[3].upper()} "})
    assert response.status_code == 303
    home = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have 9 recovery codes left" in home
    assert ("recovery_code_used", "9 left") in audit_actions(user)
    assert ("sign_in", "recovery_code") in audit_actions(user)
    client.sign_out()

    again = PortalClient(app)
    again.enter_password(user)
    response = again.post("/sign-in/recovery-code", {"code": codes[3]})
    assert response.status_code == 200
    assert "already been used" in response.get_data(as_text=True)
    assert again.get("/cases").status_code == 302
    assert audit_actions(user)[-1] == ("recovery_code_reused", None)
    response = again.post("/sign-in/recovery-code", {"code": "abcd-efgh-jkmn"})
    assert "Enter a correct recovery code" in response.get_data(as_text=True)
    assert audit_actions(user)[-1] == ("sign_in_failed", "recovery_code")
    db.session.refresh(user)
    assert user.failed_sign_ins == 2


def test_few_recovery_codes_left_says_to_make_more(app, make):
    user = make.user(Role.MANAGER, totp=True)
    codes = make.recovery_codes(user)
    with app.test_request_context():
        account = db.session.get(User, user.id)
        for code in codes[:7]:
            assert use_recovery_code(account, code) is CodeCheck.ACCEPTED
        db.session.commit()
    client = PortalClient(app)
    client.enter_password(user)
    response = client.post("/sign-in/recovery-code", {"code": codes[9]})
    text = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have 2 recovery codes left" in text
    assert "Create new recovery codes" in text


def test_set_up_when_two_factor_is_required(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    user = make.user(Role.PRACTITIONER)
    client = PortalClient(app)
    response = client.enter_password(user)
    assert response.headers["Location"] == "/sign-in/set-up-two-factor"
    # Not signed in until it is set up.
    response = client.get("/provider/allocations")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in/set-up-two-factor"

    page = client.page("/sign-in/set-up-two-factor")
    qr = page.find("img", id="totp-qr")
    assert qr["src"].startswith("data:image/svg+xml") and qr["alt"]
    shown = page.find(id="totp-secret").get_text()
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{4}", shown)
    db.session.refresh(user)
    secret = plain_totp_secret(user)
    assert secret == shown.replace(" ", "") and user.totp_confirmed_at is None
    # Reloading shows the same secret.
    assert client.page("/sign-in/set-up-two-factor").find(id="totp-secret").get_text() == shown

    wrong = client.post("/sign-in/set-up-two-factor", {"code": wrong_code(user)})
    assert wrong.status_code == 200 and "Enter a correct code" in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_confirmed_at is None

    response = client.post("/sign-in/set-up-two-factor", {"code": code_at(user, 0)})
    assert response.status_code == 200
    page = client.soup(response)
    assert page.h1.get_text(strip=True) == "Save your recovery codes"
    codes = [li.get_text(strip=True) for li in page.select("#recovery-codes li")]
    assert len(codes) == 10 and all(RECOVERY_CODE.match(code) for code in codes)
    assert page.find("a", string="Continue")["href"] == "/provider/home"
    assert response.headers["Cache-Control"] == "no-store"
    db.session.refresh(user)
    assert plain_totp_secret(user) == secret and user.totp_confirmed_at is not None
    assert ("two_factor_set_up", None) in audit_actions(user)

    # Signed in now, and the codes are never shown again.
    assert client.get("/provider/allocations").status_code == 200
    again = client.get("/sign-in/set-up-two-factor")
    assert again.status_code == 302 and again.headers["Location"] == "/provider/home"
    client.sign_out()

    # From now on the app's code is asked for, and the saved codes work.
    later = PortalClient(app)
    assert later.enter_password(user).headers["Location"] == "/sign-in/two-factor"
    assert later.post("/sign-in/recovery-code", {"code": codes[0]}).status_code == 303


def test_set_up_cannot_be_taken_over_by_a_second_browser(app, make, monkeypatch):
    """Someone else with the password opens set-up too: the secret one browser shows can
    only be confirmed by that browser, and a secret is never replaced once confirmed."""
    monkeypatch.setitem(app.config, "TOTP_REQUIRED", True)
    user = make.user(Role.PRACTITIONER)
    mine, theirs = PortalClient(app), PortalClient(app)
    mine.enter_password(user)
    mine.page("/sign-in/set-up-two-factor")
    db.session.refresh(user)
    my_secret = plain_totp_secret(user)
    theirs.enter_password(user)
    theirs.page("/sign-in/set-up-two-factor")
    db.session.refresh(user)
    their_secret = plain_totp_secret(user)
    assert their_secret != my_secret

    response = mine.post(
        "/sign-in/set-up-two-factor", {"code": pyotp.TOTP(my_secret).generate_otp(current_step())}
    )
    assert response.status_code == 200
    assert "The set-up key has changed" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.totp_confirmed_at is None and plain_totp_secret(user) not in (
        my_secret,
        their_secret,
    )
    # The other browser's secret is no longer the user's either.
    code = pyotp.TOTP(their_secret).generate_otp(current_step())
    response = theirs.post("/sign-in/set-up-two-factor", {"code": code})
    assert "The set-up key has changed" in response.get_data(as_text=True)

    # Once confirmed in one browser, the other cannot replace it.
    secret = plain_totp_secret(user)
    shown = mine.page("/sign-in/set-up-two-factor").find(id="totp-secret").get_text()
    db.session.refresh(user)
    secret = plain_totp_secret(user)
    assert shown.replace(" ", "") == secret
    response = mine.post("/sign-in/set-up-two-factor", {"code": code_at(user, 0)})
    assert response.status_code == 200
    response = theirs.get("/sign-in/set-up-two-factor")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    db.session.refresh(user)
    assert plain_totp_secret(user) == secret and user.totp_confirmed_at is not None


def test_set_up_from_your_account_ends_other_sessions(app, make, client_for):
    user = make.user(Role.MANAGER)
    here = client_for(user)
    elsewhere = client_for(user)
    page = here.page("/account/two-factor")
    assert page.h1.get_text(strip=True) == "Set up two-factor sign-in"
    assert page.select_one("main form")["action"] == "/account/two-factor"
    db.session.refresh(user)
    response = here.post("/account/two-factor", {"code": code_at(user, 0)})
    assert response.status_code == 200
    codes = [li.get_text(strip=True) for li in here.soup(response).select("#recovery-codes li")]
    assert len(codes) == 10
    here._token = None  # the session was renewed
    assert here.get("/cases").status_code == 200
    assert elsewhere.get("/cases").status_code == 302
    assert ("two_factor_set_up", None) in audit_actions(user)

    page = here.page("/account/two-factor")
    assert page.h1.get_text(strip=True) == "Two-factor sign-in"
    assert "You have 10 unused recovery codes" in page.get_text()


def test_new_recovery_codes_need_a_fresh_code_and_replace_the_old(app, make, client_for):
    user = make.user(Role.MANAGER, totp=True)
    old_codes = make.recovery_codes(user)
    client = client_for(user)
    response = client.post("/account/two-factor/recovery-codes", {"code": wrong_code(user)})
    assert response.status_code == 200
    assert "Enter a correct code" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 10

    with freeze_time(utcnow() + timedelta(minutes=1)):  # a step the sign-in did not use
        response = client.post("/account/two-factor/recovery-codes", {"code": code_at(user, 0)})
    assert response.status_code == 200
    new_codes = [
        li.get_text(strip=True) for li in client.soup(response).select("#recovery-codes li")
    ]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert ("recovery_codes_replaced", None) in audit_actions(user)
    with app.test_request_context():
        account = db.session.get(User, user.id)
        assert use_recovery_code(account, old_codes[0]) is CodeCheck.WRONG
        assert use_recovery_code(account, new_codes[0]) is CodeCheck.ACCEPTED


def test_new_recovery_codes_need_two_factor_switched_on(client_for):
    client = client_for(Role.MANAGER)
    response = client.post("/account/two-factor/recovery-codes", {"code": "123456"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/two-factor"


def test_locked_account_refuses_even_the_right_code(app, make):
    user = make.user(Role.MANAGER, totp=True)
    client = PortalClient(app)
    client.enter_password(user)
    for n in range(10):
        response = client.post(
            "/sign-in/two-factor",
            {"code": wrong_code(user)},
            environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"},
        )
        assert response.status_code == 200
    db.session.refresh(user)
    assert user.failed_sign_ins == 10 and user.locked_until is not None
    response = client.post(
        "/sign-in/two-factor",
        {"code": code_at(user, 0)},
        environ_base={"REMOTE_ADDR": "192.0.2.99"},
    )
    assert response.status_code == 200
    assert "Enter a correct code" in response.get_data(as_text=True)
    assert client.get("/cases").status_code == 302
    db.session.refresh(user)
    assert user.totp_last_step is None
