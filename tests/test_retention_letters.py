"""Retention removes the words of a case's family letters; the record of each stays."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, FamilyLetter, Role
from tests.test_retention import AS_OF, _closed_case, _run


def _letter(case, allocation_id: int, producer) -> FamilyLetter:
    letter = FamilyLetter(
        case_id=case.id,
        kind="work_accepted",
        allocation_id=allocation_id,
        title="About Jasmine",
        body="Dear Mrs Okonkwo, Jasmine's advice is being prepared.",
        produced_on=date(2020, 12, 3),
        produced_by_id=producer.id,
        sent_by="post",
    )
    db.session.add(letter)
    return letter


def test_anonymising_a_case_clears_its_letters_words_and_keeps_the_record(app, make, client_for):
    provider = make.provider("Northbrook")
    manager = make.user(Role.MANAGER)
    old = _closed_case(make, provider, date(2021, 3, 15), "OLD-1")
    recent = _closed_case(make, provider, date(2024, 1, 10), "RECENT-1")
    removed = _letter(old, old.allocations[0].id, manager)
    kept = _letter(recent, recent.allocations[0].id, manager)
    db.session.commit()
    removed_id, kept_id = removed.id, kept.id

    assert _run(app, "--as-of", AS_OF.isoformat()).exit_code == 0

    removed, kept = db.session.get(FamilyLetter, removed_id), db.session.get(FamilyLetter, kept_id)
    assert removed.body is None
    assert removed.title == "Who is preparing the advice"
    assert (removed.produced_on, removed.produced_by_id, removed.sent_by, removed.kind) == (
        date(2020, 12, 3),
        manager.id,
        "post",
        "work_accepted",
    )
    assert kept.body is not None and kept.title == "About Jasmine"
    audited = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "family_letter_removed")
    ).all()
    assert [(e.object_id, e.case_id, e.detail) for e in audited] == [
        (removed_id, old.id, "retention")
    ]
    page = client_for(manager).page(f"/cases/{old.id}")
    row = page.select_one("#letter-table tbody tr").get_text(" ")
    assert "Words removed" in row and "Post" in row and "Jasmine" not in page.get_text()
    assert client_for(manager).get(f"/cases/{old.id}/letters/{removed_id}.pdf").status_code == 404
