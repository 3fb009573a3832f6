"""Posting to a piece of work's question thread: the provider asks, the council answers.

allocation.unanswered_question_at says since when the provider's latest question has waited:
set by a provider's post when nothing was waiting (so it keeps the oldest wait), cleared by
the council's answer. Both are single UPDATEs (no version check on the allocation), so a post
never conflicts with a review or an assignment saved at the same moment. The audit rows name
the message, never its text.
"""

from __future__ import annotations

import re

from sqlalchemy import update

from provider_portal import audit, submissions
from provider_portal.errors import AllocationError
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationMessage, User
from provider_portal.notifications.events import work_event

MAX_MESSAGE = 2000
# As web.refuse_control_characters does for a posted form: line breaks and tabs may stay.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _checked(body: str) -> str:
    text = body.strip()
    if not text:
        raise AllocationError("Enter your message", field="body")
    if len(text) > MAX_MESSAGE:
        raise AllocationError(f"Your message must be {MAX_MESSAGE:,} characters or fewer", "body")
    if _CONTROL.search(text):
        raise AllocationError("Your message contains a character that cannot be used", "body")
    return text


def _post(allocation: Allocation, text: str, actor: User, from_council: bool) -> AllocationMessage:
    """Add the message, move the waiting time, write the audit row."""
    message = AllocationMessage(
        allocation_id=allocation.id, author_id=actor.id, from_council=from_council, body=text
    )
    db.session.add(message)
    db.session.flush()
    waiting = update(Allocation).where(Allocation.id == allocation.id)
    if from_council:
        waiting = waiting.values(unanswered_question_at=None)
    else:
        waiting = waiting.where(Allocation.unanswered_question_at.is_(None)).values(
            unanswered_question_at=message.created_at
        )
    db.session.execute(waiting, execution_options={"synchronize_session": False})
    db.session.expire(allocation, ["unanswered_question_at"])
    audit.record(
        "question_answered" if from_council else "question_asked",
        "allocation",
        allocation.id,
        detail=f"message={message.id}",
        actor=actor,
        case_id=allocation.case_id,
        provider_id=allocation.provider_id,
    )
    work_event("question_answered" if from_council else "question_asked", allocation, actor)
    return message


def ask_question(
    allocation: Allocation, body: str, *, actor: User, nonce: str
) -> AllocationMessage:
    """The provider asks the council a question on open work. The caller commits."""
    submissions.claim(nonce, "question", actor)
    text = _checked(body)
    if actor.provider_id != allocation.provider_id:
        raise AllocationError("You cannot ask about this work", "body")
    if not allocation.is_open:
        raise AllocationError("This work is closed: you can no longer ask questions on it", "body")
    return _post(allocation, text, actor, from_council=False)


def answer_question(
    allocation: Allocation, body: str, *, actor: User, nonce: str
) -> AllocationMessage:
    """The council answers on the work's thread; nothing waits for it after. The caller
    commits."""
    submissions.claim(nonce, "question_answer", actor)
    text = _checked(body)
    if actor.provider_id is not None:
        raise AllocationError("Only the council can answer here", "body")
    return _post(allocation, text, actor, from_council=True)
