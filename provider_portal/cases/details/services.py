"""Adding a case and changing its details, with the checks every case must pass.

The request cannot be in the future, the child must be born by then and, being a child or
young person, under 25 on the day it was received (timescales.under_25_on). A year group is
anchored to the day it was recorded: saving the same words again keeps that day, so "Year 4"
recorded last year is not silently taken to mean Year 4 now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from provider_portal import audit, submissions
from provider_portal.cases.recording.services import FieldError
from provider_portal.errors import StaleCase
from provider_portal.extensions import db
from provider_portal.models import Case, User
from provider_portal.outcomes import SETTING_TYPES
from provider_portal.timescales import (
    TOO_OLD,
    parse_year_group,
    reception_year,
    today,
    under_25_on,
    year_group_label,
)


@dataclass(frozen=True)
class CaseDetails:
    """What the form says about the child and the request (names already stripped)."""

    first_name: str
    last_name: str
    date_of_birth: date
    request_received_on: date
    year_group: str | None
    setting: str | None
    setting_type: str | None
    looked_after: bool


def check_details(details: CaseDetails) -> list[FieldError]:
    """The dates in order, the young person under 25 on the request date, a known year group
    and setting type."""
    errors: list[FieldError] = []
    now = today()
    received, born = details.request_received_on, details.date_of_birth
    if received > now:
        errors.append(
            FieldError("request_received_on", "The request date must be today or in the past")
        )
    if born > received:
        errors.append(
            FieldError("date_of_birth", "The date of birth must be on or before the request date")
        )
    elif not under_25_on(born, received):
        errors.append(FieldError("date_of_birth", TOO_OLD))
    try:
        parse_year_group(details.year_group)
    except ValueError as error:
        errors.append(FieldError("year_group", str(error)))
    if details.setting_type is not None and details.setting_type not in SETTING_TYPES:
        errors.append(FieldError("setting_type", "Select the type of setting"))
    return errors


def _apply(case: Case, details: CaseDetails) -> list[str]:
    """Copy the details onto the case; the names of the fields that changed."""
    nc_year = parse_year_group(details.year_group)
    label = year_group_label(nc_year) if nc_year is not None else None
    values = {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "date_of_birth": details.date_of_birth,
        "request_received_on": details.request_received_on,
        "setting": details.setting,
        "setting_type": details.setting_type,
        "looked_after": details.looked_after,
    }
    changed = [name for name, value in values.items() if getattr(case, name) != value]
    for name in changed:
        setattr(case, name, values[name])
    if label != case.year_group or case.reception_year is None:
        # A year group given now is anchored to today; none falls back to the date of birth.
        if label != case.year_group:
            changed.append("year_group")
        case.year_group = label
        case.year_group_as_of = today() if label is not None else None
        case.reception_year = reception_year(nc_year, case.date_of_birth, today())
    elif label is None and "date_of_birth" in changed:
        case.reception_year = reception_year(None, case.date_of_birth, today())
    # Otherwise the year group stands as recorded, with the reception year worked out then.
    return changed


def create_case(
    case_ref: str, details: CaseDetails, *, actor: User, nonce: str
) -> Case | list[FieldError]:
    """Add a case by hand; the new case, or what is wrong. The caller commits."""
    submissions.claim(nonce, "case_details", actor)
    errors = check_details(details)
    if db.session.scalar(select(Case.id).where(Case.case_ref == case_ref)) is not None:
        errors.insert(0, FieldError("case_ref", "A case with this reference already exists"))
    if errors:
        return errors
    case = Case(case_ref=case_ref)
    _apply(case, details)
    db.session.add(case)
    db.session.flush()
    audit.record("case_created", "case", case.id, actor=actor, case_id=case.id)
    return case


def update_case(
    case: Case, details: CaseDetails, expected_version: int, *, actor: User, nonce: str
) -> list[FieldError]:
    """Change a case's details unless someone else saved it meanwhile (StaleCase); what is
    wrong, if anything. The caller commits."""
    submissions.claim(nonce, "case_details", actor)
    if case.version != expected_version:
        raise StaleCase()
    errors = check_details(details)
    if errors:
        return errors
    changed = _apply(case, details)
    if changed:
        detail = "fields=" + ",".join(changed)
        audit.record(
            "case_details_changed", "case", case.id, detail=detail, actor=actor, case_id=case.id
        )
    return []
