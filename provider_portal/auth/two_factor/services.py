"""Two-factor sign-in: authenticator-app codes (TOTP) and single-use recovery codes."""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass, field

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import InvalidToken
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from provider_portal import audit
from provider_portal.auth.two_factor.keys import is_sealed, reseal, reveal, seal
from provider_portal.extensions import db
from provider_portal.models import RecoveryCode, User
from provider_portal.models.types import utcnow
from provider_portal.settings import setting

STEP_SECONDS = 30
DIGITS = 6
# Codes from the step before and after the current one are accepted (clock drift).
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/i/l: easy to read aloud and type from paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_GROUPS, RECOVERY_GROUP_LENGTH = 3, 4
# Recovery codes carry about 59 random bits, so a light argon2id is plenty; the full
# password cost would make checking ten of them take half a second.
_code_hasher = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
log = logging.getLogger(__name__)


class CodeCheck(enum.Enum):
    """What became of a code someone typed."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    REUSED = "reused"


def has_two_factor(user: User) -> bool:
    """Whether the user has confirmed an authenticator app."""
    return bool(user.totp_secret and user.totp_confirmed_at)


# --- authenticator app ------------------------------------------------------------------------
def new_secret(user: User) -> str:
    """Give the user a fresh, unconfirmed secret (replacing any earlier unconfirmed one); it
    is stored encrypted, and the plain secret is returned for the set-up page."""
    secret = pyotp.random_base32()
    user.totp_secret = seal(secret)
    user.totp_confirmed_at = None
    user.totp_last_step = None
    return secret


def plain_secret(user: User) -> str | None:
    """The user's secret decrypted, or None if they have none or no configured key opens it
    (logged, by account id only: the key list has lost the key it was encrypted with)."""
    if not user.totp_secret:
        return None
    secret = reveal(user.totp_secret)
    if secret is None:
        log.error(
            "the two-factor secret of account %s cannot be decrypted with TOTP_ENCRYPTION_KEY",
            user.id,
        )
    return secret


def secret_digest(stored: str | None) -> str:
    """A short fingerprint of the stored (encrypted) secret, kept in the session to tie a
    set-up to its page; it says nothing about the secret itself."""
    return hashlib.sha256((stored or "").encode()).hexdigest()[:16]


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code(user: User, secret: str) -> str:
    """The otpauth:// link as a QR code: an SVG data URI for an <img> (no inline markup)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=setting("TOTP_ISSUER"))
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def current_step() -> int:
    return int(utcnow().timestamp()) // STEP_SECONDS


def matching_step(secret: str, code: str) -> int | None:
    """The time step the code belongs to, within the accepted window, or None."""
    # NFKC turns full-width digits from some keyboards into ASCII ones.
    typed = "".join(unicodedata.normalize("NFKC", code).split())
    if len(typed) != DIGITS or not (typed.isascii() and typed.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = current_step()
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def use_code(user: User, code: str) -> CodeCheck:
    """Check an authenticator code and use up its time step, so it works only once.

    The step is claimed with a conditional UPDATE and a rowcount check: of two requests racing
    with the same code, only one can move totp_last_step forward.
    """
    secret = plain_secret(user)
    if secret is None:
        return CodeCheck.WRONG
    step = matching_step(secret, code)
    if step is None:
        return CodeCheck.WRONG
    claimed = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return CodeCheck.REUSED
    set_committed_value(user, "totp_last_step", step)
    return CodeCheck.ACCEPTED


def confirm(user: User, code: str) -> bool:
    """Confirm a new secret with a code from the app; True when the code was right."""
    if use_code(user, code) is not CodeCheck.ACCEPTED:
        return False
    user.totp_confirmed_at = utcnow()
    return True


# --- recovery codes ---------------------------------------------------------------------------
def _normalised(code: str) -> str | None:
    typed = "".join(ch for ch in code.lower() if ch not in " -")
    if len(typed) != RECOVERY_GROUPS * RECOVERY_GROUP_LENGTH:
        return None
    if any(ch not in RECOVERY_ALPHABET for ch in typed):
        return None
    return typed


def _new_recovery_code() -> str:
    return "-".join(
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUP_LENGTH))
        for _ in range(RECOVERY_GROUPS)
    )


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with new ones; the plain codes are returned once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        typed = _normalised(code)
        assert typed is not None
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hasher.hash(typed)))
    return codes


def _matches(code_hash: str, typed: str) -> bool:
    try:
        return _code_hasher.verify(code_hash, typed)
    except (VerificationError, InvalidHashError):
        return False


def use_recovery_code(user: User, code: str) -> CodeCheck:
    """Check a recovery code and mark it used; a used code is REUSED, never accepted again."""
    typed = _normalised(code)
    if typed is None:
        return CodeCheck.WRONG
    rows = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id))
    for row in rows:
        if not _matches(row.code_hash, typed):
            continue
        if row.used_at is not None:
            return CodeCheck.REUSED
        claimed = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
            .values(used_at=utcnow()),
            execution_options={"synchronize_session": False},
        )
        return CodeCheck.ACCEPTED if claimed.rowcount == 1 else CodeCheck.REUSED  # type: ignore[attr-defined]
    return CodeCheck.WRONG


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the user has."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


# --- the encryption key -----------------------------------------------------------------------
@dataclass
class Rotation:
    """What `flask totp rotate-key` did: counts, and the accounts whose secret no key opens."""

    reencrypted: int = 0
    plain_encrypted: int = 0
    changed_meanwhile: int = 0
    unreadable: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"re-encrypted={self.reencrypted} plain_encrypted={self.plain_encrypted} "
            f"changed_meanwhile={self.changed_meanwhile} unreadable={len(self.unreadable)}"
        )


def rotate_secrets() -> Rotation:
    """Encrypt every stored two-factor secret under the first TOTP_ENCRYPTION_KEY, so the
    keys after it can be dropped; a secret still stored in plain text is encrypted too.

    Each row is rewritten only if it still holds what was read: a secret replaced meanwhile
    (someone setting up their app) was written under the first key already and is left alone.
    A secret that no key decrypts is left as it is and its account listed. Audited with the
    counts only. The caller commits.
    """
    result = Rotation()
    rows = db.session.execute(
        select(User.id, User.totp_secret).where(User.totp_secret.is_not(None)).order_by(User.id)
    ).all()
    for user_id, stored in rows:
        assert stored is not None  # selected for it
        try:
            renewed = reseal(stored)
        except InvalidToken:
            result.unreadable.append(user_id)
            continue
        written = db.session.execute(
            update(User)
            .where(User.id == user_id, User.totp_secret == stored)
            .values(totp_secret=renewed)
        )
        if written.rowcount != 1:  # type: ignore[attr-defined]
            result.changed_meanwhile += 1
        elif is_sealed(stored):
            result.reencrypted += 1
        else:
            result.plain_encrypted += 1
    audit.record("totp_key_rotated", detail=result.summary())
    return result
