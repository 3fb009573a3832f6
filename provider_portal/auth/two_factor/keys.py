"""Two-factor secrets are encrypted at rest, with keys that live only in the environment.

A copy of the database (a backup, a dump handed to a supplier, a read through an injection)
must not be enough to generate anyone's codes. TOTP_ENCRYPTION_KEY holds one or more Fernet
keys (AES-128-CBC with an HMAC-SHA256, from the cryptography package), comma-separated: the
first encrypts, and every one of them is tried to decrypt. To rotate, put a new key first and
keep the old ones after it, restart, run `flask totp rotate-key`, then drop the old keys.

The stored value is the Fernet token; the plain secret exists only in memory, while a code is
checked or the set-up page is drawn. Nothing here logs a secret or a token.
"""

from __future__ import annotations

import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from provider_portal.settings import setting

# Every Fernet token starts with its version byte, 0x80, which base64 writes as "gAAAAA";
# a base32 secret (A-Z, 2-7) never can.
TOKEN_PREFIX = "gAAAAA"
PLAIN_SECRET = re.compile(r"[A-Z2-7]+=*")
BAD_KEY = (
    "TOTP_ENCRYPTION_KEY must be one or more Fernet keys separated by commas (32 random bytes "
    "in URL-safe base64; key {number} is not one)"
)


class KeyProblem(ValueError):
    """TOTP_ENCRYPTION_KEY is missing or not a list of Fernet keys."""


def key_list(value: str) -> list[str]:
    """The keys in TOTP_ENCRYPTION_KEY, in order: the first one encrypts."""
    return [key.strip() for key in value.split(",") if key.strip()]


def keyring(value: str) -> MultiFernet:
    """Fernet for these keys, or KeyProblem naming the one at fault (never printing it)."""
    keys = key_list(value or "")
    if not keys:
        raise KeyProblem("TOTP_ENCRYPTION_KEY must be set to at least one Fernet key")
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as error:
            raise KeyProblem(BAD_KEY.format(number=number)) from error
    return MultiFernet(fernets)


def _keyring() -> MultiFernet:
    return keyring(setting("TOTP_ENCRYPTION_KEY"))


def is_sealed(stored: str) -> bool:
    """Whether a stored value is an encrypted secret (rather than a plain one from before)."""
    return stored.startswith(TOKEN_PREFIX)


def seal(secret: str) -> str:
    """The secret encrypted under the first key, as stored in user_account.totp_secret."""
    return _keyring().encrypt(secret.encode("ascii")).decode("ascii")


def reveal(stored: str | None) -> str | None:
    """The plain secret, or None if there is none or no configured key decrypts it.

    A plain (unencrypted) value is refused like any other that does not decrypt: every secret
    is encrypted when it is made, and migration 0008 encrypted the ones from before.
    """
    if not stored or not is_sealed(stored):
        return None
    try:
        return _keyring().decrypt(stored.encode("ascii")).decode("ascii")
    except InvalidToken:
        return None


def reseal(stored: str) -> str:
    """The same secret encrypted under the first key: a plain one is encrypted, an encrypted
    one decrypted with whichever key works. InvalidToken when no key decrypts it."""
    ring = _keyring()
    if not is_sealed(stored):
        if not PLAIN_SECRET.fullmatch(stored):
            raise InvalidToken
        return ring.encrypt(stored.encode("ascii")).decode("ascii")
    return ring.rotate(stored.encode("ascii")).decode("ascii")
