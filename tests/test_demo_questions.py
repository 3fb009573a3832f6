"""The demo has contacts for the work and question threads, one waiting, without moving a figure."""

from __future__ import annotations

from flask import Flask
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.demo.work_contacts import CONTACTS
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationMessage, AuditEvent, Case


@freeze_time("2024-11-28 10:00:00")
def test_the_demo_shows_contacts_and_questions(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()

    with_contacts = db.session.scalars(
        select(Case).where(Case.parent_carer_name.is_not(None)).order_by(Case.id)
    ).all()
    assert [c.parent_carer_name for c in with_contacts] == [c.parent_carer_name for c in CONTACTS]
    assert all(a.is_open for c in with_contacts for a in c.allocations if a.provider_id)

    messages = db.session.scalars(select(AllocationMessage).order_by(AllocationMessage.id)).all()
    assert [m.from_council for m in messages] == [False, True, False]
    waiting = db.session.scalars(
        select(Allocation).where(Allocation.unanswered_question_at.is_not(None))
    ).all()
    assert [a.id for a in waiting] == [messages[2].allocation_id]
    # Each post was audited as any other.
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("question%"))
    ).all()
    assert sorted(actions) == ["question_answered", "question_asked", "question_asked"]
