"""The contacts a provider needs for the work, kept on the case.

Minimal and structured: a parent or carer and the school's SENCo, each a name, a telephone
number and an email address, all optional. Formats are checked loosely (a UK number, an
address with an @ and a domain) so a typing slip is caught without refusing real details.
The provider sees them only while its work is open (contacts_for_provider). They never go
into reports, exports, titles or logs: the audit row names the fields that changed, never
their values; retention clears them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from provider_portal import audit, submissions
from provider_portal.cases.recording.services import FieldError
from provider_portal.errors import StaleCase
from provider_portal.models import Allocation, Case, User

EMAIL_ERROR = "Enter an email address in the correct format, like name@example.com"
PHONE_ERROR = "Enter a UK telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
# What people write between the digits of a telephone number.
_PHONE_SPACING = re.compile(r"[\s().-]")
# 0 and 9 or 10 digits, or the same with +44 or 0044 for the 0 ("+44 (0)20…" too).
_UK_PHONE = re.compile(r"(?:0|\+44|0044)\d{9,10}")
LONGEST = {"name": 200, "phone": 30, "email": 254}


@dataclass(frozen=True)
class Contacts:
    """Who the provider may contact for the work (stripped; None when not given)."""

    parent_carer_name: str | None = None
    parent_carer_phone: str | None = None
    parent_carer_email: str | None = None
    senco_name: str | None = None
    senco_phone: str | None = None
    senco_email: str | None = None

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))


CONTACT_FIELDS = tuple(f.name for f in fields(Contacts))


def contacts_of(case: Case) -> Contacts:
    return Contacts(**{name: getattr(case, name) for name in CONTACT_FIELDS})


def contacts_for_provider(allocation: Allocation) -> Contacts | None:
    """The case's contacts while the work is open; None once it closed, was withdrawn or
    declined (the provider keeps its documents for a while, never the family's details)."""
    if not allocation.is_open:
        return None
    return contacts_of(allocation.case)


def is_uk_phone(text: str) -> bool:
    digits = _PHONE_SPACING.sub("", text.replace("(0)", ""))
    return bool(_UK_PHONE.fullmatch(digits))


def check_contacts(contacts: Contacts) -> list[FieldError]:
    """Each value within its length; telephone numbers and email addresses in a usable form."""
    errors: list[FieldError] = []
    for name in CONTACT_FIELDS:
        value = getattr(contacts, name)
        if not value:
            continue
        kind = name.rsplit("_", 1)[1]
        if len(value) > LONGEST[kind]:
            errors.append(FieldError(name, f"Enter no more than {LONGEST[kind]} characters"))
        elif kind == "phone" and not is_uk_phone(value):
            errors.append(FieldError(name, PHONE_ERROR))
        elif kind == "email" and not _EMAIL.fullmatch(value):
            errors.append(FieldError(name, EMAIL_ERROR))
    return errors


def update_contacts(
    case: Case, contacts: Contacts, expected_version: int, *, actor: User, nonce: str
) -> list[FieldError]:
    """Record the contacts unless someone else saved the case meanwhile (StaleCase); what is
    wrong, if anything. The audit row names the fields changed, not what they say. The caller
    commits."""
    submissions.claim(nonce, "case_contacts", actor)
    if case.version != expected_version:
        raise StaleCase()
    errors = check_contacts(contacts)
    if errors:
        return errors
    changed = [name for name in CONTACT_FIELDS if getattr(case, name) != getattr(contacts, name)]
    for name in changed:
        setattr(case, name, getattr(contacts, name))
    if changed:
        audit.record(
            "case_contacts_changed",
            "case",
            case.id,
            detail="fields=" + ",".join(changed),
            actor=actor,
            case_id=case.id,
        )
    return []
