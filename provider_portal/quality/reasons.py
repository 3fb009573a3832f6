"""The send-back reasons every installation starts with (migration 0015 inserts the same list).

ensure_default_reasons() adds them to a database made with create_all (the demo, the tests).
"""

from __future__ import annotations

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import SendBackReason

# (code, label, applies_to), in display order.
DEFAULT_REASONS: tuple[tuple[str, str, str], ...] = (
    ("outcomes_not_smart", "Outcomes are not SMART", "plan"),
    ("provision_not_specific", "Provision is not specific or quantified", "plan"),
    ("views_missing", "Parental or child's views are missing", "plan"),
    ("needs_provision_mismatch", "Needs and provision do not match", "plan"),
    ("personal_details", "Personal details are wrong or missing", "plan"),
    ("health_social_care_incomplete", "Health or social care sections are incomplete", "plan"),
    ("placement_wording", "Placement wording", "plan"),
    ("outside_expertise", "Not within the professional's expertise", "advice"),
    ("recommendations_not_specific", "Recommendations are not specific", "advice"),
    ("child_views_not_recorded", "The child's views are not recorded", "advice"),
    ("late_evidence", "Late evidence was not considered", "advice"),
    ("other_advice", "Other", "advice"),
)


def ensure_default_reasons() -> None:
    """Add any default reason the database lacks (by code); the caller commits."""
    existing = set(db.session.scalars(select(SendBackReason.code)))
    db.session.add_all(
        SendBackReason(code=code, label=label, applies_to=applies_to, display_order=order)
        for order, (code, label, applies_to) in enumerate(DEFAULT_REASONS, start=1)
        if code not in existing
    )
