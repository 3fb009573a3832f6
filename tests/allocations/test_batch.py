"""allocate_batch: every case under the contract confirmed, or none, with its own audit row;
and the rows the services write when someone views an allocation or a case, or downloads."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.allocations.services import (
    APPROVAL_NEEDED,
    allocate_batch,
    open_document,
    record_viewed,
)
from provider_portal.cases.services import record_viewed as record_case_viewed
from provider_portal.documents import IntegrityFailure, keep, receive_upload
from provider_portal.extensions import db
from provider_portal.models import Allocation, AuditEvent, Document, Role
from tests.files import PDF_BYTES

TODAY = "2026-11-23 12:00:00"


@pytest.fixture
def northbrook(make):  # type: ignore[no-untyped-def]
    """Northbrook's one contract: £3,000, EP advice at £1,000, nothing spent."""
    provider = make.provider("Northbrook")
    contract = make.contract(
        provider=provider,
        reference="NB-1",
        value="3000",
        start_on=date(2026, 4, 1),
        end_on=date(2027, 3, 31),
        prices={"ep_advice": "1000"},
    )
    return provider, contract


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _allocations(provider) -> list[Allocation]:  # type: ignore[no-untyped-def]
    return list(db.session.scalars(select(Allocation).where(Allocation.provider_id == provider.id)))


@freeze_time(TODAY)
def test_every_case_is_allocated_and_the_batch_audited(make, northbrook):
    provider, contract = northbrook
    manager = make.user(Role.MANAGER)
    cases = [make.case() for _ in range(2)]
    outcome = allocate_batch(
        cases, provider, make.work_type("ep_advice"), actor=manager, contract_id=contract.id
    )
    assert outcome.done and outcome.refused is None and outcome.conflicts == []
    assert [a.case for a in outcome.allocations] == cases
    assert {(a.contract, a.unit_price) for a in outcome.allocations} == {
        (contract, Decimal("1000.00"))
    }
    assert outcome.cost is not None and outcome.cost.contract == contract
    assert (outcome.cost.total, outcome.cost.left_after) == (Decimal("2000.00"), Decimal("1000"))
    [event] = _events("bulk_allocation")
    assert event.detail == (f"cases=2 provider={provider.id} work_type=ep_advice contract=NB-1")
    assert (event.actor_id, event.provider_id) == (manager.id, provider.id)
    assert len(_events("allocation_created")) == 2
    # The caller commits: nothing is kept until it does.
    db.session.rollback()
    assert _allocations(provider) == [] and _events("bulk_allocation") == []


@freeze_time(TODAY)
def test_one_case_that_cannot_be_allocated_stops_them_all(make, northbrook):
    provider, contract = northbrook
    taken = make.case(case_ref="TAKEN-1")
    make.allocation(case=taken, provider=make.provider("Other"), allocated_on=date(2026, 11, 2))
    cases = [make.case(), taken, make.case()]
    outcome = allocate_batch(
        cases, provider, make.work_type("ep_advice"), actor=None, contract_id=contract.id
    )
    assert not outcome.done and outcome.refused is None
    assert outcome.allocations == []
    assert outcome.conflicts == [
        "Case TAKEN-1 already has educational psychology advice allocated to Other"
    ]
    # Undone by the service itself: the caller need not roll back.
    assert _allocations(provider) == []
    assert _events("bulk_allocation") == [] and _events("allocation_created") == []
    assert [c.case_ref for c in cases][1] == "TAKEN-1"  # the cases can still be shown


@freeze_time(TODAY)
def test_the_contract_must_be_confirmed(make, northbrook):
    provider, contract = northbrook
    cases = [make.case()]
    outcome = allocate_batch(
        cases, provider, make.work_type("ep_advice"), actor=None, contract_id=None
    )
    assert not outcome.done and outcome.refused is not None
    assert (outcome.refused.message, outcome.refused.field) == (
        "Select the contract this work goes under",
        "contract",
    )
    # The figures the check page shows again: the provider's only contract.
    assert [o.contract for o in outcome.options] == [contract]
    assert outcome.cost is outcome.options[0]
    assert _allocations(provider) == []


@freeze_time(TODAY)
def test_going_over_the_contract_value_needs_approval(make, northbrook):
    provider, contract = northbrook
    ep = make.work_type("ep_advice")
    cases = [make.case() for _ in range(4)]  # £4,000 against £3,000 left
    outcome = allocate_batch(cases, provider, ep, actor=None, contract_id=contract.id)
    assert outcome.refused is not None
    assert (outcome.refused.message, outcome.refused.field) == (APPROVAL_NEEDED, "approved")
    assert outcome.cost is not None and outcome.cost.over_by == Decimal("1000.00")
    assert _allocations(provider) == []

    outcome = allocate_batch(
        cases, provider, ep, actor=None, contract_id=contract.id, approved=True
    )
    assert outcome.done and len(outcome.allocations) == 4
    [event] = _events("bulk_allocation")
    assert event.detail is not None
    assert event.detail.endswith("contract=NB-1 over_by=1000.00 approved=yes")


@freeze_time(TODAY)
def test_a_provider_without_a_contract_is_allocated_uncosted(make):
    provider = make.provider("Solo")
    outcome = allocate_batch(
        [make.case()], provider, make.work_type("ep_advice"), actor=None, contract_id=None
    )
    assert outcome.done and outcome.cost is None and outcome.options == []
    assert outcome.allocations[0].contract is None
    [event] = _events("bulk_allocation")
    assert event.detail == f"cases=1 provider={provider.id} work_type=ep_advice"


def test_viewing_an_allocation_and_a_case_is_audited(make):
    allocation = make.allocation()
    record_viewed(allocation)
    record_case_viewed(allocation.case)
    [viewed] = _events("allocation_viewed")
    assert (viewed.object_type, viewed.object_id) == ("allocation", allocation.id)
    assert (viewed.case_id, viewed.provider_id) == (allocation.case_id, allocation.provider_id)
    [seen] = _events("case_viewed")
    assert (seen.object_type, seen.object_id, seen.case_id) == (
        "case",
        allocation.case_id,
        allocation.case_id,
    )


def _document(app, make) -> Document:  # type: ignore[no-untyped-def]
    allocation = make.allocation()
    stored = receive_upload(io.BytesIO(PDF_BYTES), "advice.pdf")
    keep(stored)
    document = Document(
        allocation=allocation,
        version=1,
        original_filename=stored.original_filename,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
    )
    db.session.add(document)
    db.session.commit()
    return document


def test_a_download_is_checked_and_audited(app, make):
    document = _document(app, make)
    with open_document(document) as handle:
        assert handle.read() == PDF_BYTES
    [event] = _events("document_downloaded")
    assert (event.object_id, event.case_id) == (document.id, document.allocation.case_id)
    assert _events("document_integrity_failure") == []


def test_a_file_changed_on_disk_is_audited_and_refused(app, make):
    document = _document(app, make)
    (Path(app.config["UPLOAD_FOLDER"]) / document.stored_name).write_bytes(b"%PDF-changed")
    with pytest.raises(IntegrityFailure):
        open_document(document)
    [event] = _events("document_integrity_failure")
    assert (event.object_id, event.provider_id) == (document.id, document.allocation.provider_id)
    assert _events("document_downloaded") == []
