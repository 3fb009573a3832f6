"""The password policy: 12 to 256 characters, no composition rules, and a deny list.

Following the NCSC's guidance: length and a list of common and breached passwords rather than
rules about symbols and digits. The list ships in provider_portal/data/ and holds only entries
the length rule would otherwise accept.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256
DENY_LIST = Path(__file__).resolve().parent / "data" / "common_passwords.txt"

ENTER = "Enter a password"
TOO_SHORT = f"Your password must be {MIN_LENGTH} characters or more"
TOO_LONG = f"Your password must be {MAX_LENGTH} characters or fewer"
TOO_COMMON = "Choose a password that is harder to guess: this one is too common"
HINT = (
    f"Must be {MIN_LENGTH} characters or more. A few unrelated words are easy to remember and "
    "hard to guess. Spaces and any characters are allowed."
)


@lru_cache(maxsize=1)
def deny_list() -> frozenset[str]:
    """The shipped list of passwords too common to allow, lower case."""
    with DENY_LIST.open(encoding="utf-8") as handle:
        return frozenset(
            line.rstrip("\n").lower() for line in handle if line.strip() and line[0] != "#"
        )


def is_too_common(password: str) -> bool:
    """On the deny list (case-insensitively), or one character repeated."""
    return password.lower() in deny_list() or len(set(password)) == 1


def password_problem(password: str | None) -> str | None:
    """What is wrong with a proposed password, in GOV.UK wording, or None if it is acceptable."""
    if not password or not password.strip():
        return ENTER
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if is_too_common(password):
        return TOO_COMMON
    return None
