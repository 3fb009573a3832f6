"""Who on the provider's side sees what: practitioners only their own work, and nobody on the
provider's side sees closed work for longer than PROVIDER_ACCESS_DAYS_AFTER_CLOSE days."""

from __future__ import annotations

import io
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.allocations.services import accept, decline, record_return, withdraw
from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Document, Role
from tests.files import PDF_BYTES
from tests.provider.conftest import upload


@pytest.fixture
def p1_work(client_for, org):
    """The allocation accepted, assigned to P1, with a document P1 uploaded."""
    org.allocation.provider_accepted_on = date(2024, 8, 2)
    org.allocation.assigned_to_id = org.p1.id
    db.session.commit()
    assert upload(client_for(org.p1), org.allocation.id).status_code == 303
    document = db.session.scalar(select(Document))
    return org, document


def _document_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Document)) or 0


def test_practitioner_cannot_reach_work_assigned_to_someone_else(client_for, p1_work):
    org, document = p1_work
    p2 = client_for(org.p2)
    base = f"/provider/allocations/{org.allocation.id}"
    assert p2.get(base).status_code == 404
    assert upload(p2, org.allocation.id).status_code == 404
    assert p2.post(f"{base}/return", {}).status_code == 404
    assert p2.get(f"/provider/documents/{document.id}").status_code == 404
    assert p2.post(f"{base}/return", {}, htmx=True).status_code == 404
    assert _document_count() == 1
    assert db.session.get(Allocation, org.allocation.id).status is AllocationStatus.ALLOCATED

    assert "EHC24-0101" not in p2.page("/provider/allocations").get_text()


def test_the_assigned_practitioner_and_the_administrator_can(client_for, p1_work):
    org, document = p1_work
    base = f"/provider/allocations/{org.allocation.id}"
    for user in (org.p1, org.admin):
        client = client_for(user)
        assert "EHC24-0101" in client.page("/provider/allocations").get_text()
        client.page(base)
        download = client.get(f"/provider/documents/{document.id}")
        assert download.status_code == 200 and download.data == PDF_BYTES
    p1 = client_for(org.p1)
    assert upload(p1, org.allocation.id).status_code == 303
    assert p1.post(f"{base}/return", {}).status_code == 303
    assert db.session.get(Allocation, org.allocation.id).status is AllocationStatus.RETURNED


def test_lists_follow_the_same_scope(client_for, make, org):
    theirs = make.allocation(provider=org.provider, assigned_to_id=org.p2.id)
    nobodys = make.allocation(provider=org.provider)
    elsewhere = make.allocation(provider=make.provider("Q"), assigned_to_id=org.p1.id)

    def listed(user) -> set[str]:
        soup = client_for(user).page("/provider/allocations")
        return {a.get_text() for a in soup.select("#allocation-list tbody a")}

    refs = {a.id: a.case.case_ref for a in (org.allocation, theirs, nobodys, elsewhere)}
    org.allocation.assigned_to_id = org.p1.id
    db.session.commit()
    assert listed(org.p1) == {refs[org.allocation.id]}
    assert listed(org.p2) == {refs[theirs.id]}
    assert listed(org.admin) == {refs[org.allocation.id], refs[theirs.id], refs[nobodys.id]}
    assert "Work Northbrook Psychology has assigned to you" in (
        client_for(org.p1).page("/provider/allocations").get_text()
    )


def test_unassigned_work_is_invisible_to_practitioners(client_for, org):
    p1 = client_for(org.p1)
    assert p1.get(f"/provider/allocations/{org.allocation.id}").status_code == 404
    assert client_for(org.admin).get(f"/provider/allocations/{org.allocation.id}").status_code == (
        200
    )


def test_list_filters_by_status(client_for, make, org):
    make.allocation(provider=org.provider, status=AllocationStatus.RETURNED)
    admin = client_for(org.admin)
    soup = admin.page("/provider/allocations?status=returned")
    assert soup.select_one("#allocation-count").get_text() == "1 allocation"
    assert "Returned" in soup.select_one("#allocation-list tbody").get_text()
    soup = admin.page("/provider/allocations?status=allocated", htmx=True)
    assert "EHC24-0101" in soup.get_text()


# --- access after the work closes ----------------------------------------------------------

CLOSED_ON = date(2024, 9, 10)


def _close(allocation: Allocation, how: str) -> None:
    if how == "accepted by the council":
        record_return(allocation, actor=None, returned_on=date(2024, 9, 1))
        accept(allocation, actor=None, accepted_on=CLOSED_ON)
    elif how == "withdrawn":
        withdraw(allocation, "Family moved away", actor=None, withdrawn_on=CLOSED_ON)
    elif how == "declined":
        allocation.provider_accepted_on = None
        decline(allocation, "No capacity", actor=None, declined_on=CLOSED_ON)
    elif how == "accepted before closed_on was recorded":
        allocation.status = AllocationStatus.ACCEPTED
        allocation.returned_on = date(2024, 9, 1)
        allocation.accepted_on = CLOSED_ON
    db.session.commit()
    assert allocation.closed_on in (CLOSED_ON, None)


@pytest.mark.parametrize(
    "how",
    [
        "accepted by the council",
        "withdrawn",
        "declined",
        "accepted before closed_on was recorded",
    ],
)
@pytest.mark.parametrize("who", ["admin", "p1"])
def test_provider_access_ends_28_days_after_closing(app, client_for, p1_work, how, who):
    org, document = p1_work
    assert app.config["PROVIDER_ACCESS_DAYS_AFTER_CLOSE"] == 28
    _close(db.session.get(Allocation, org.allocation.id), how)
    user = org.admin if who == "admin" else org.p1
    page = f"/provider/allocations/{org.allocation.id}"
    download = f"/provider/documents/{document.id}"

    with freeze_time("2024-10-08 22:30:00"):  # 23:30 in London, still 8 October: day 28
        client = client_for(user)
        soup = client.page(page)
        assert "8 October 2024" in soup.select_one("#access-until").get_text()
        assert client.get(download).status_code == 200
        assert "EHC24-0101" in client.page("/provider/allocations").get_text()

    with freeze_time("2024-10-08 23:30:00"):  # 00:30 on 9 October in London: day 29
        client = client_for(user)
        assert client.get(page).status_code == 404
        assert client.get(download).status_code == 404
        assert "EHC24-0101" not in client.page("/provider/allocations").get_text()

    # The council keeps its access.
    manager = client_for(Role.MANAGER)
    manager.page(f"/allocations/{org.allocation.id}")
    assert manager.get(f"/allocations/documents/{document.id}").status_code == 200


def test_closed_work_without_any_closing_date_is_hidden(client_for, p1_work):
    org, document = p1_work
    allocation = db.session.get(Allocation, org.allocation.id)
    allocation.status = AllocationStatus.WITHDRAWN  # as a hand edit might leave it
    db.session.commit()
    admin = client_for(org.admin)
    assert admin.get(f"/provider/allocations/{allocation.id}").status_code == 404
    assert admin.get(f"/provider/documents/{document.id}").status_code == 404


def test_documents_removed_by_retention_are_gone(client_for, p1_work):
    org, document = p1_work
    from datetime import UTC, datetime

    document.deleted_at = datetime.now(UTC)
    db.session.commit()
    assert client_for(org.p1).get(f"/provider/documents/{document.id}").status_code == 404


def test_upload_to_someone_elses_work_writes_no_file(app, client_for, p1_work):
    import os

    org, _ = p1_work
    before = sorted(os.listdir(app.config["UPLOAD_FOLDER"]))
    response = client_for(org.p2).post(
        f"/provider/allocations/{org.allocation.id}/documents",
        {"upload-document": (io.BytesIO(PDF_BYTES), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert sorted(os.listdir(app.config["UPLOAD_FOLDER"])) == before
