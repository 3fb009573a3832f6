"""Account operations shared by the pages, the administration pages and the CLI."""

from __future__ import annotations

import enum
import logging

from flask import url_for
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from provider_portal import audit
from provider_portal.accounts import tokens
from provider_portal.accounts.rules import PERSON_NAME, email_problem, name_problem
from provider_portal.auth.services import authenticate, end_sessions, hash_password
from provider_portal.errors import AccountError, AlreadyExists, LinkInvalid
from provider_portal.extensions import db
from provider_portal.mail import portal_link, render_body, send_email, send_email_later
from provider_portal.models import AccountToken, Provider, RecoveryCode, Role, User
from provider_portal.models.types import utcnow
from provider_portal.passwords import password_problem
from provider_portal.settings import setting

log = logging.getLogger(__name__)

# Not an argon2 hash: verifying any password against it raises InvalidHashError, which
# sign-in treats as a wrong password. An invited account cannot sign in until it has a password.
INVITED_MARKER = "!invited"

EMAIL_EXISTS = "An account with this email address already exists"
SERVICE_NAME = "Assessment provider portal"
NEEDS_PROVIDER = "Provider administrators and practitioners need a provider"
NO_PROVIDER = "Only provider administrators and practitioners belong to a provider"
COUNCIL_DEACTIVATED = (
    "The council deactivated this account, so only the council can reactivate it. "
    "Contact the council if they should have access again"
)
# How an account came to be, for the audit detail ("role=manager via=cli").
VIA_INVITATION = "invitation"


class AccountStatus(enum.Enum):
    """What the administration pages show for an account."""

    ACTIVE = ("active", "Active", "govuk-tag--green")
    INVITED = ("invited", "Invited", "govuk-tag--blue")
    DEACTIVATED = ("deactivated", "Deactivated", "govuk-tag--grey")

    def __init__(self, value: str, label: str, tag_class: str) -> None:
        self.key = value
        self.label = label
        self.tag_class = tag_class


def normalise_email(email: str) -> str:
    """Email addresses are stored and compared in lower case."""
    return email.strip().lower()


def has_password(user: User) -> bool:
    """Whether the person has chosen a password (invited accounts have not)."""
    return not user.password_hash.startswith("!")


def account_status(user: User) -> AccountStatus:
    """Deactivated, invited (no password yet) or active."""
    if not user.active:
        return AccountStatus.DEACTIVATED
    if not has_password(user):
        return AccountStatus.INVITED
    return AccountStatus.ACTIVE


def find_by_email(email: str) -> User | None:
    """The account with this email address, whatever its case."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    user.password_set_at = utcnow()
    user.failed_sign_ins = 0
    user.locked_until = None


# --- creating accounts ------------------------------------------------------------------------


def create_user(
    email: str,
    name: str,
    role: Role,
    provider: Provider | None = None,
    *,
    password: str | None,
    actor: User | None,
    via: str,
) -> User:
    """Create an account, with a password or (None) waiting for one from an invitation.

    The one way an account comes to be, from the invitation pages, `flask users create`, the
    demo and the benchmark. Raises AccountError naming the field at fault (AlreadyExists when
    the address has an account, whatever its case); the audit row says how it was created.
    """
    email = normalise_email(email)
    name = name.strip()
    problem = email_problem(email)
    if problem:
        raise AccountError(problem, "email")
    problem = name_problem(name, PERSON_NAME)
    if problem:
        raise AccountError(problem, "name")
    if role.is_provider and provider is None:
        raise AccountError(NEEDS_PROVIDER, "provider")
    if not role.is_provider and provider is not None:
        raise AccountError(NO_PROVIDER, "provider")
    if password is not None:
        problem = password_problem(password)
        if problem:
            raise AccountError(problem, "password")
    if find_by_email(email) is not None:
        raise AlreadyExists(EMAIL_EXISTS, "email")
    user = User(
        email=email,
        name=name,
        role=role,
        provider_id=provider.id if provider is not None else None,
        password_hash=INVITED_MARKER if password is None else hash_password(password),
        active=True,
        password_set_at=None if password is None else utcnow(),
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # someone else created the same address just now
        raise AlreadyExists(EMAIL_EXISTS, "email") from error
    if via == VIA_INVITATION:
        action, detail = "user_invited", f"role={role.value}"
    else:
        action, detail = "user_created", f"role={role.value} via={via}"
    audit.record(action, "user", user.id, detail=detail, actor=actor, provider_id=user.provider_id)
    return user


# --- invitations ------------------------------------------------------------------------------


def invite(
    email: str, name: str, role: Role, provider: Provider | None, actor: User
) -> tuple[User, str]:
    """Create an invited account and its invitation link; the caller sends it and commits."""
    user = create_user(email, name, role, provider, password=None, actor=actor, via=VIA_INVITATION)
    return user, tokens.issue(user, tokens.INVITATION, setting("ACCOUNT_LINK_HOURS"), actor)


def send_invitation(user: User, raw_token: str) -> None:
    """Email the invitation link now; raises MailError so the caller can roll back."""
    provider = db.session.get(Provider, user.provider_id) if user.provider_id else None
    body = render_body(
        "invitation.txt",
        link=portal_link(url_for("accounts.accept_invitation", token=raw_token)),
        hours=setting("ACCOUNT_LINK_HOURS"),
        organisation=provider.name if provider is not None else None,
        role=user.role.label,
    )
    send_email(user.email, f"You have been invited to the {SERVICE_NAME}", body, user_id=user.id)


def resend_invitation(user: User, actor: User) -> str:
    """A new invitation link for someone who has not set a password; earlier links stop working."""
    if has_password(user):
        raise AccountError("This person has already set a password")
    if not user.active:
        raise AccountError("Reactivate the account before sending a new invitation")
    raw = tokens.issue(user, tokens.INVITATION, setting("ACCOUNT_LINK_HOURS"), actor)
    audit.record("invitation_resent", "user", user.id, actor=actor, provider_id=user.provider_id)
    return raw


def invitation_for(raw_token: str) -> AccountToken:
    """The valid invitation behind a link of an account still waiting for its password."""
    token = tokens.find_valid(raw_token, tokens.INVITATION)
    if token is None:
        raise LinkInvalid
    user = db.session.get(User, token.user_id)
    if user is None or has_password(user):
        raise LinkInvalid
    return token


def accept_invitation(raw_token: str, password: str) -> User:
    """Set the first password from an invitation link; the link is spent."""
    return _password_from_link(invitation_for(raw_token), password, "invitation_accepted")


def _password_from_link(token: AccountToken, password: str, action: str) -> User:
    """Spend the link and set its account's password: every other link and session ends."""
    if not tokens.spend(token):
        raise LinkInvalid
    user = db.session.get(User, token.user_id)
    assert user is not None
    _set_password(user, password)
    tokens.revoke(user)
    end_sessions(user)
    audit.record(action, "user", user.id, actor=user, provider_id=user.provider_id)
    return user


# --- forgotten passwords ----------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    """Email a reset link if an active account with a password has this address.

    The same work is done whether or not the account exists (a token is made and hashed, the
    email body is rendered) and the email goes out in the background, so neither the answer nor
    its timing says whether the address has an account.
    """
    raw, token_hash = tokens.new_token()
    hours = setting("PASSWORD_RESET_HOURS")
    body = render_body(
        "password_reset.txt",
        link=portal_link(url_for("accounts.reset_password", token=raw)),
        hours=hours,
    )
    user = find_by_email(email)
    if user is None:
        db.session.commit()
        return
    if user.active and has_password(user):
        tokens.add_token(user, tokens.PASSWORD_RESET, token_hash, hours)
        outcome = "sent"
    else:
        outcome = "not sent: deactivated" if not user.active else "not sent: invitation pending"
    audit.record(
        "password_reset_requested",
        "user",
        user.id,
        detail=outcome,
        provider_id=user.provider_id,
    )
    db.session.commit()
    if outcome == "sent":
        send_email_later(user.email, "Reset your password", body, user_id=user.id)


def reset_for(raw_token: str) -> AccountToken:
    """The valid password-reset token behind a link."""
    token = tokens.find_valid(raw_token, tokens.PASSWORD_RESET)
    if token is None:
        raise LinkInvalid
    return token


def reset_password(raw_token: str, password: str) -> User:
    """Set a new password from a reset link: every other link and every session ends."""
    return _password_from_link(reset_for(raw_token), password, "password_reset")


# --- signed in --------------------------------------------------------------------------------


def change_password(user: User, current_password: str, new_password: str) -> bool:
    """Change the password if the current one is right; sessions and reset links end.

    The caller keeps its own session going (sessions.renew).
    """
    if authenticate(user.email, current_password) is None:
        return False
    _set_password(user, new_password)
    tokens.revoke(user, tokens.PASSWORD_RESET)
    end_sessions(user)
    audit.record("password_changed", "user", user.id, actor=user, provider_id=user.provider_id)
    return True


def send_password_changed_notice(user: User) -> None:
    """Tell the person their password changed (no personal details); sent in the background."""
    body = render_body("password_changed.txt", sign_in=portal_link(url_for("auth.sign_in")))
    send_email_later(user.email, "Your password was changed", body, user_id=user.id)


# --- administration ---------------------------------------------------------------------------


def deactivate(user: User, actor: User) -> None:
    """Stop the account signing in; every session ends at once and unused links stop working."""
    if user.id == actor.id:
        raise AccountError("You cannot deactivate your own account")
    if not user.active:
        return
    user.active = False
    user.deactivated_at = utcnow()
    user.deactivated_by_id = actor.id
    end_sessions(user)
    tokens.revoke(user)
    audit.record("user_deactivated", "user", user.id, actor=actor, provider_id=user.provider_id)


def deactivated_by_council(user: User) -> bool:
    """Whether the council (not the person's own organisation) deactivated the account.

    An account deactivated before who did it was recorded, or by no one known (deactivated_by
    is empty), counts as the council's: only the council may undo what nobody can vouch for.
    Roles never change between council and provider, so the deactivating person's role says
    which side they were on.
    """
    if user.active:
        return False
    by = db.session.get(User, user.deactivated_by_id) if user.deactivated_by_id else None
    return by is None or not by.role.is_provider or by.provider_id != user.provider_id


def reactivate(user: User, actor: User) -> None:
    """Let a deactivated account sign in again (an invited one needs a new invitation).

    A provider administrator may undo only their own organisation's deactivations: an account
    the council deactivated stays so until the council reactivates it.
    """
    if user.active:
        return
    if actor.role.is_provider and deactivated_by_council(user):
        raise AccountError(COUNCIL_DEACTIVATED)
    provider = db.session.get(Provider, user.provider_id) if user.provider_id else None
    if provider is not None and not provider.active:
        raise AccountError(f"Reactivate {provider.name} before its accounts")
    user.active = True
    user.deactivated_at = None
    user.deactivated_by_id = None
    user.failed_sign_ins = 0
    user.locked_until = None
    audit.record("user_reactivated", "user", user.id, actor=actor, provider_id=user.provider_id)


def has_two_factor(user: User) -> bool:
    """Whether an authenticator app is set up, or half set up."""
    return user.totp_secret is not None or user.totp_confirmed_at is not None


def reset_two_factor(user: User, actor: User) -> None:
    """Forget the authenticator app and recovery codes; the person sets them up at next sign-in."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    end_sessions(user)
    audit.record("two_factor_reset", "user", user.id, actor=actor, provider_id=user.provider_id)
