"""What a name and an email address must be: one rule each, for the forms and the services.

The forms check these first so a person sees every problem at once, next to its field; the
services check them again, because the command line, the demo and imports reach the services
without a form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320
# Deliberately loose: one @, something either side, a dot in the domain, no spaces or control
# characters. Whether the address works is proved by the email arriving.
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
EMAIL_TOO_LONG = f"Email address must be {MAX_EMAIL_LENGTH} characters or fewer"


@dataclass(frozen=True)
class NameRule:
    """What to say when a name is missing, too long, or holds control characters."""

    required: str
    too_long: str
    plain: str


PERSON_NAME = NameRule(
    "Enter the person’s full name",
    f"Full name must be {MAX_NAME_LENGTH} characters or fewer",
    "Enter the full name using letters, spaces and punctuation only",
)
PROVIDER_NAME = NameRule(
    "Enter the name of the provider",
    f"Name of the provider must be {MAX_NAME_LENGTH} characters or fewer",
    "Enter the name using letters, numbers, spaces and punctuation only",
)


def has_control_characters(text: str) -> bool:
    """PostgreSQL cannot store NUL, and no control character belongs in a name."""
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def name_problem(name: str, rule: NameRule) -> str | None:
    """What is wrong with a name (already stripped), in the rule's words, or None."""
    if not name:
        return rule.required
    if len(name) > MAX_NAME_LENGTH:
        return rule.too_long
    if has_control_characters(name):
        return rule.plain
    return None


def is_email_address(text: str) -> bool:
    """Whether the text has the shape of an email address."""
    return bool(_EMAIL.match(text))


def email_problem(email: str) -> str | None:
    """What is wrong with an email address (already stripped), or None."""
    if len(email) > MAX_EMAIL_LENGTH:
        return EMAIL_TOO_LONG
    if not is_email_address(email):
        return EMAIL_FORMAT
    return None
