"""Keeping the list of send-back reasons: add, change, retire and reinstate (never delete).

A retired reason is no longer offered; the send-backs that gave it keep it, so old figures
stay explainable. The caller commits.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from provider_portal import audit
from provider_portal.errors import QualityError
from provider_portal.extensions import db
from provider_portal.models import REASON_APPLIES_TO, SendBackReason, User
from provider_portal.timescales import today

MAX_LABEL_LENGTH = 200
MAX_ORDER = 999


def all_reasons() -> list[SendBackReason]:
    """Every reason, current and retired: plans' first, then advice's, each in display order."""
    return list(
        db.session.scalars(
            select(SendBackReason).order_by(
                SendBackReason.applies_to.desc(), SendBackReason.display_order, SendBackReason.id
            )
        )
    )


def reason_by_id(reason_id: int) -> SendBackReason | None:
    return db.session.get(SendBackReason, reason_id)


def _checked(label: str, applies_to: str, display_order: int, reason_id: int | None) -> str:
    label = " ".join(label.split())
    if not label:
        raise QualityError("Enter the reason", field="label")
    if len(label) > MAX_LABEL_LENGTH:
        raise QualityError(
            f"The reason must be {MAX_LABEL_LENGTH} characters or fewer", field="label"
        )
    if applies_to not in REASON_APPLIES_TO:
        raise QualityError("Select whether the reason is for plans or advice", field="applies_to")
    if not 0 <= display_order <= MAX_ORDER:
        raise QualityError(
            f"Enter the order as a whole number from 0 to {MAX_ORDER}", field="display_order"
        )
    same = db.session.scalar(
        select(SendBackReason.id).where(
            func.lower(SendBackReason.label) == label.lower(),
            SendBackReason.applies_to == applies_to,
            SendBackReason.id != (reason_id or 0),
        )
    )
    if same is not None:
        raise QualityError(f"There is already a reason ‘{label}’ for this work", field="label")
    return label


def _new_code(label: str) -> str:
    """A code for the reason from its words, unique among every reason ever added."""
    stem = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:40] or "reason"
    taken = set(
        db.session.scalars(select(SendBackReason.code).where(SendBackReason.code.like(f"{stem}%")))
    )
    code, number = stem, 2
    while code in taken:
        code, number = f"{stem}_{number}", number + 1
    return code


def _event(action: str, reason: SendBackReason, actor: User | None, detail: str) -> None:
    audit.record(action, "sendback_reason", reason.id, detail=detail, actor=actor)


def add_reason(
    label: str, applies_to: str, display_order: int, *, actor: User | None
) -> SendBackReason:
    """A new current reason for plans or for advice."""
    label = _checked(label, applies_to, display_order, None)
    reason = SendBackReason(
        code=_new_code(label), label=label, applies_to=applies_to, display_order=display_order
    )
    db.session.add(reason)
    db.session.flush()
    _event("sendback_reason_added", reason, actor, f"code={reason.code} applies_to={applies_to}")
    return reason


def update_reason(
    reason: SendBackReason,
    label: str,
    applies_to: str,
    display_order: int,
    *,
    actor: User | None,
) -> list[str]:
    """Change a reason's words, kind of work or order; the names of what changed."""
    values = {
        "label": _checked(label, applies_to, display_order, reason.id),
        "applies_to": applies_to,
        "display_order": display_order,
    }
    changed = [name for name, value in values.items() if getattr(reason, name) != value]
    for name in changed:
        setattr(reason, name, values[name])
    if changed:
        _event("sendback_reason_changed", reason, actor, "fields=" + ",".join(changed))
    return changed


def retire_reason(reason: SendBackReason, *, actor: User | None) -> bool:
    """Stop offering the reason from today; False when it was retired already."""
    if reason.retired_on is not None:
        return False
    reason.retired_on = today()
    _event("sendback_reason_retired", reason, actor, f"code={reason.code}")
    return True


def reinstate_reason(reason: SendBackReason, *, actor: User | None) -> bool:
    """Offer a retired reason again; False when it was current already."""
    if reason.retired_on is None:
        return False
    reason.retired_on = None
    _event("sendback_reason_reinstated", reason, actor, f"code={reason.code}")
    return True
