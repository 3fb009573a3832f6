"""The council withdraws open work with a reason; it closes, for the council and the provider."""

from __future__ import annotations

import io
from datetime import date

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, AuditEvent, Role
from tests.files import PDF_BYTES


@pytest.fixture
def work(make):
    """EP advice with Northbrook, accepted and assigned to their practitioner, allocated
    1 August 2024."""
    provider = make.provider("Northbrook")
    practitioner = make.user(Role.PRACTITIONER, provider=provider, name="Tom Okafor")
    allocation = make.allocation(
        provider=provider,
        allocated_on=date(2024, 8, 1),
        provider_accepted_on=date(2024, 8, 2),
        assigned_to_id=practitioner.id,
    )
    return allocation, practitioner


def _withdrawn_events() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "allocation_withdrawn"))
    )


@pytest.mark.parametrize("reason", ["", "  \n "])
def test_a_reason_is_required_and_nothing_changes(client_for, work, reason):
    allocation, _ = work
    manager = client_for(Role.MANAGER)
    response = manager.post(f"/allocations/{allocation.id}/withdraw", {"withdraw-reason": reason})
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.select_one(".govuk-error-summary")
    assert "Enter why you are withdrawing this work" in summary.get_text()
    assert summary.select_one("a")["href"] == "#withdraw-reason"
    db.session.refresh(allocation)
    assert allocation.status is AllocationStatus.ALLOCATED
    assert allocation.closed_on is None
    assert _withdrawn_events() == []


@freeze_time("2024-08-20 11:00:00")
def test_withdrawing_closes_the_work_and_tells_the_provider(client_for, make, work):
    allocation, practitioner = work
    manager = client_for(make.user(Role.MANAGER, name="Morgan Ellis"))
    soup = manager.page(f"/allocations/{allocation.id}")
    assert "Withdrawing cannot be undone" in soup.select_one(".govuk-warning-text").get_text()
    assert "Accepted 2 August 2024" in soup.get_text()
    assert "Tom Okafor" in soup.get_text()  # who is doing the work

    response = manager.post(
        f"/allocations/{allocation.id}/withdraw", {"withdraw-reason": "Family moved away"}
    )
    assert response.status_code == 303
    db.session.refresh(allocation)
    assert allocation.status is AllocationStatus.WITHDRAWN
    assert allocation.withdrawn_on == allocation.closed_on == date(2024, 8, 20)
    assert allocation.withdrawn_reason == "Family moved away"
    assert allocation.withdrawn_by_id == manager.user.id
    [event] = _withdrawn_events()
    assert (event.case_id, event.provider_id, event.object_id) == (
        allocation.case_id,
        allocation.provider_id,
        allocation.id,
    )

    soup = manager.page(f"/allocations/{allocation.id}")
    withdrawn = soup.select_one("#withdrawn").get_text()
    assert "Withdrawn on 20 August 2024 by Morgan Ellis" in withdrawn
    assert "Family moved away" in withdrawn
    assert soup.select_one("#withdraw-reason") is None
    soup = manager.page("/allocations?status=withdrawn")
    assert soup.select_one("#allocation-count").get_text() == "1 allocation"

    # The provider sees it withdrawn, with the reason, and can no longer work on it.
    provider = client_for(practitioner)
    soup = provider.page(f"/provider/allocations/{allocation.id}")
    assert "Withdrawn" in soup.select_one("#allocation-status").get_text()
    assert "Family moved away" in soup.select_one("#withdrawn").get_text()
    assert "17 September 2024" in soup.select_one("#access-until").get_text()
    assert soup.select_one("#upload-document") is None
    response = provider.post(
        f"/provider/allocations/{allocation.id}/documents",
        {"upload-document": (io.BytesIO(PDF_BYTES), "late.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert "This work is not open for uploads" in response.get_data(as_text=True)
    response = provider.post(f"/provider/allocations/{allocation.id}/return", {})
    assert "This work has been withdrawn by the council" in response.get_data(as_text=True)
    db.session.refresh(allocation)
    assert allocation.status is AllocationStatus.WITHDRAWN

    # The case can be allocated again.
    other = make.provider("Clearwater")
    response = manager.post(
        f"/cases/{allocation.case_id}/allocations",
        {"work_type": "ep_advice", "provider": str(other.id)},
    )
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 2


def test_withdraw_with_htmx_swaps_the_review_panel(client_for, work):
    allocation, _ = work
    manager = client_for(Role.MANAGER)
    response = manager.post(
        f"/allocations/{allocation.id}/withdraw", {"withdraw-reason": "Duplicate"}, htmx=True
    )
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.find("html") is None
    assert "Work withdrawn" in soup.select_one(".govuk-notification-banner").get_text()
    assert soup.select_one("#withdrawn") is not None


@pytest.mark.parametrize(
    "status", [AllocationStatus.RETURNED, AllocationStatus.AMENDMENT_REQUESTED]
)
def test_returned_or_amended_work_can_be_withdrawn(client_for, make, status):
    allocation = make.allocation(status=status, returned_on=date(2024, 8, 20))
    manager = client_for(Role.MANAGER)
    response = manager.post(f"/allocations/{allocation.id}/withdraw", {"withdraw-reason": "x"})
    assert response.status_code == 303
    db.session.refresh(allocation)
    assert allocation.status is AllocationStatus.WITHDRAWN


@pytest.mark.parametrize(
    "status", [AllocationStatus.ACCEPTED, AllocationStatus.DECLINED, AllocationStatus.WITHDRAWN]
)
def test_closed_work_cannot_be_withdrawn(client_for, make, status):
    allocation = make.allocation(status=status, closed_on=date(2024, 8, 20))
    manager = client_for(Role.MANAGER)
    assert manager.page(f"/allocations/{allocation.id}").select_one("#withdraw-reason") is None
    response = manager.post(f"/allocations/{allocation.id}/withdraw", {"withdraw-reason": "x"})
    assert response.status_code == 200
    assert "Only work that is still open can be withdrawn" in response.get_data(as_text=True)
    db.session.refresh(allocation)
    assert allocation.status is status
    assert _withdrawn_events() == []


@pytest.mark.parametrize("role", [Role.MONITOR, Role.PROVIDER_ADMIN, Role.PRACTITIONER])
def test_only_the_council_withdraws(client_for, work, role):
    allocation, _ = work
    client = client_for(role, provider=allocation.provider if role.is_provider else None)
    response = client.post(f"/allocations/{allocation.id}/withdraw", {"withdraw-reason": "x"})
    assert response.status_code == 403
    db.session.refresh(allocation)
    assert allocation.status is AllocationStatus.ALLOCATED
