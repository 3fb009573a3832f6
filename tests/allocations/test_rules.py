"""Rules of the allocation services, and the case and provider on every allocation audit row."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from provider_portal.allocations.services import (
    accept,
    allocate,
    assign,
    decline,
    provider_accept,
    record_return,
    request_amendment,
    withdraw,
)
from provider_portal.errors import AllocationError
from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, AuditEvent, Document, Role
from provider_portal.provider.services import add_document
from tests.files import PDF_BYTES


def test_a_provider_user_must_accept_before_returning(make):
    provider = make.provider()
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    allocation = make.allocation(provider=provider)
    with pytest.raises(AllocationError, match="Accept the work before you return it"):
        record_return(allocation, actor=practitioner)
    db.session.rollback()
    assert allocation.status is AllocationStatus.ALLOCATED


@pytest.mark.parametrize("actor_role", [None, Role.MANAGER, Role.ADMIN])
def test_imports_and_the_council_record_returns_without_acceptance(make, actor_role):
    allocation = make.allocation()
    actor = make.user(actor_role) if actor_role else None
    record_return(allocation, actor=actor, returned_on=date(2024, 8, 20))
    db.session.commit()
    assert allocation.status is AllocationStatus.RETURNED
    assert allocation.provider_accepted_on is None


def test_work_returned_by_the_council_can_be_amended_and_returned_by_the_provider(make):
    """An import recorded the return, so there is no acceptance; the provider still did the work
    and must be able to send the amended version back."""
    provider = make.provider()
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    allocation = make.allocation(provider=provider, assigned_to_id=practitioner.id)
    record_return(allocation, actor=None, returned_on=date(2024, 8, 20))
    request_amendment(allocation, "Section F", actor=None)
    add_document(allocation, io.BytesIO(PDF_BYTES), "v2.pdf", actor=practitioner)
    db.session.flush()
    db.session.refresh(allocation)
    record_return(allocation, actor=practitioner)
    db.session.commit()
    assert allocation.status is AllocationStatus.RETURNED


def test_a_provider_cannot_answer_or_assign_another_providers_work(make):
    allocation = make.allocation(provider=make.provider("P"))
    q_admin = make.user(Role.PROVIDER_ADMIN, provider=make.provider("Q"))
    with pytest.raises(AllocationError, match="not allocated to your organisation"):
        provider_accept(allocation, actor=q_admin)
    with pytest.raises(AllocationError, match="not allocated to your organisation"):
        decline(allocation, "No", actor=q_admin)
    with pytest.raises(AllocationError, match="not allocated to your organisation"):
        assign(allocation, q_admin, actor=q_admin)
    db.session.rollback()
    assert allocation.provider_accepted_on is None and allocation.assigned_to_id is None


def test_dates_cannot_come_before_the_allocation(make):
    allocation = make.allocation(allocated_on=date(2024, 8, 1))
    before = date(2024, 7, 31)
    with pytest.raises(AllocationError):
        provider_accept(allocation, actor=None, accepted_on=before)
    with pytest.raises(AllocationError):
        decline(allocation, "No", actor=None, declined_on=before)
    with pytest.raises(AllocationError):
        withdraw(allocation, "No", actor=None, withdrawn_on=before)


def test_the_council_accepting_closes_the_work(make):
    allocation = make.allocation(status=AllocationStatus.RETURNED, returned_on=date(2024, 9, 1))
    accept(allocation, actor=None, accepted_on=date(2024, 9, 5))
    assert allocation.closed_on == date(2024, 9, 5)


ALLOCATION_EVENTS = {
    "allocation_created",
    "allocation_viewed",
    "allocation_provider_accepted",
    "allocation_assigned",
    "allocation_returned",
    "allocation_amendment_requested",
    "allocation_accepted",
    "allocation_withdrawn",
    "allocation_declined",
    "document_uploaded",
    "document_downloaded",
    "document_integrity_failure",
}


def test_every_allocation_event_names_its_case_and_provider(app, client_for, make):
    provider = make.provider("Northbrook")
    case = make.case()
    admin = client_for(Role.PROVIDER_ADMIN, provider=provider)
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    manager = client_for(Role.MANAGER)

    response = manager.post(
        f"/cases/{case.id}/allocations", {"work_type": "ep_advice", "provider": str(provider.id)}
    )
    assert response.status_code == 303
    [first] = case.allocations
    base = f"/provider/allocations/{first.id}"
    admin.page(base)
    assert admin.post(f"{base}/accept", {}).status_code == 303
    assert (
        admin.post(f"{base}/assignment", {"assign-assigned_to": str(practitioner.id)}).status_code
        == 303
    )
    response = admin.post(
        f"{base}/documents",
        {"upload-document": (io.BytesIO(PDF_BYTES), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    document = db.session.scalar(select(Document))
    assert admin.get(f"/provider/documents/{document.id}").status_code == 200
    assert admin.post(f"{base}/return", {}).status_code == 303
    manager.page(f"/allocations/{first.id}")
    assert manager.get(f"/allocations/documents/{document.id}").status_code == 200
    response = manager.post(
        f"/allocations/{first.id}/amendment",
        {"amend-comment": "More", "amend-reasons": str(make.reason("outside_expertise").id)},
    )
    assert response.status_code == 303
    assert (
        manager.post(f"/allocations/{first.id}/withdraw", {"withdraw-reason": "x"}).status_code
        == 303
    )

    # A file changed on disk: the failed download is audited too.
    (Path(app.config["UPLOAD_FOLDER"]) / document.stored_name).write_bytes(b"%PDF-changed")
    assert manager.get(f"/allocations/documents/{document.id}").status_code == 500

    response = manager.post(
        f"/cases/{case.id}/allocations", {"work_type": "ep_advice", "provider": str(provider.id)}
    )
    assert response.status_code == 303
    second = allocate(case, provider, make.work_type("plan_writing"), actor=None)
    db.session.commit()
    db.session.refresh(case)
    again = next(
        a
        for a in case.allocations
        if a.status is AllocationStatus.ALLOCATED and a.work_type.code == "ep_advice"
    )
    assert (
        admin.post(
            f"/provider/allocations/{again.id}/decline", {"decline-reason": "No"}
        ).status_code
        == 303
    )
    record_return(second, actor=None)
    accept(second, actor=None)
    db.session.commit()

    events = list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(ALLOCATION_EVENTS)))
    )
    assert {event.action for event in events} == ALLOCATION_EVENTS
    wrong = [
        (event.action, event.case_id, event.provider_id)
        for event in events
        if (event.case_id, event.provider_id) != (case.id, provider.id)
    ]
    assert wrong == []


def test_a_concurrent_change_is_refused_not_overwritten(make):
    """Two administrators answer at once: the second sees a message, not a silent overwrite."""
    from sqlalchemy import update

    from provider_portal.models import Allocation

    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs writing requests one at a time (BEGIN IMMEDIATE)")
    allocation = make.allocation()
    table = Allocation.__table__
    assert allocation.version == 1  # read, as the second request would
    # The first answer commits in another request, on another connection.
    with db.engine.begin() as connection:
        connection.execute(
            update(table)
            .where(table.c.id == allocation.id)
            .values(version=table.c.version + 1, declined_on=date(2024, 8, 2))
        )
    with pytest.raises(AllocationError, match="Someone else changed this work"):
        provider_accept(allocation, actor=None, accepted_on=date(2024, 8, 2))
    db.session.rollback()
    db.session.refresh(allocation)
    assert allocation.provider_accepted_on is None
