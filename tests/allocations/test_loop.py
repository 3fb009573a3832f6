"""The whole loop through the test client: allocate, upload, return, review, accept."""

from __future__ import annotations

import io
from datetime import date

from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, AuditEvent, Document, Role
from tests.files import PDF_BYTES, docx_bytes


def _allocate(manager, case, provider, work_type="ep_advice", htmx=False):
    return manager.post(
        f"/cases/{case.id}/allocations",
        {"work_type": work_type, "provider": str(provider.id)},
        htmx=htmx,
    )


@freeze_time("2024-08-15 10:00:00")
def test_manager_allocates_and_due_date_follows_turnaround(client_for, make):
    case = make.case()
    provider = make.provider("Northbrook Psychology")
    manager = client_for(Role.MANAGER)
    response = _allocate(manager, case, provider)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    allocation = db.session.scalar(select(Allocation))
    assert allocation.allocated_on == date(2024, 8, 15)
    assert allocation.due_on == date(2024, 9, 26)  # 42 days later
    assert allocation.status is AllocationStatus.ALLOCATED
    soup = manager.page(f"/cases/{case.id}")
    assert "allocated to Northbrook Psychology, due 26 September 2024" in soup.get_text()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "allocation_created")
        )
        == 1
    )


def test_htmx_allocation_returns_the_fragment(client_for, make):
    case = make.case()
    provider = make.provider("Clearwater")
    manager = client_for(Role.MANAGER)
    response = _allocate(manager, case, provider, work_type="plan_writing", htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert "Draft EHC plan allocated to Clearwater" in body
    assert 'id="allocation-table"' in body
    assert "HX-Request" in response.headers["Vary"]


def test_allocation_form_errors_show_summary_and_save_nothing(client_for, make):
    case = make.case()
    manager = client_for(Role.MANAGER)
    response = manager.post(f"/cases/{case.id}/allocations", {"work_type": "", "provider": ""})
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "There is a problem" in text
    assert "Select the type of work" in text and "Select a provider" in text
    assert "<title>Error: " in text
    # One summary, at the top of the page above the heading, linking to the fields.
    main = manager.soup(response).select_one("main")
    (summary,) = main.select(".govuk-error-summary")
    assert str(main).index("govuk-error-summary") < str(main).index("<h1")
    assert [a["href"] for a in summary.select("a")] == ["#work_type", "#provider"]
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 0


def test_second_open_allocation_of_same_work_type_is_refused(client_for, make):
    case = make.case(case_ref="EHC777")
    first = make.provider("First")
    second = make.provider("Second")
    manager = client_for(Role.MANAGER)
    assert _allocate(manager, case, first).status_code == 303
    response = _allocate(manager, case, second)
    assert response.status_code == 200
    assert "Case EHC777 already has educational psychology advice allocated to First" in (
        response.get_data(as_text=True)
    )
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 1


def test_database_refuses_a_second_open_allocation(make):
    """The partial unique index holds even when code skips the check."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    case = make.case()
    make.allocation(case=case)
    with pytest.raises(IntegrityError):
        make.allocation(case=case)
    db.session.rollback()
    # A closed allocation does not block a new one.
    make.allocation(case=case, work_type="plan_writing", status=AllocationStatus.WITHDRAWN)
    make.allocation(case=case, work_type="plan_writing")


def test_unknown_provider_or_work_type_is_rejected(client_for, make):
    case = make.case()
    manager = client_for(Role.MANAGER)
    response = manager.post(
        f"/cases/{case.id}/allocations", {"work_type": "nonsense", "provider": "99999"}
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


@freeze_time("2024-09-01 09:00:00")
def test_provider_uploads_returns_and_manager_accepts(client_for, make):
    provider = make.provider("Northbrook")
    allocation = make.allocation(provider=provider, allocated_on=date(2024, 8, 20))
    provider_user = client_for(Role.PROVIDER_ADMIN, provider=provider)

    # The provider accepts the work first.
    response = provider_user.post(f"/provider/allocations/{allocation.id}/accept", {})
    assert response.status_code == 303

    # Returning before uploading anything is refused.
    response = provider_user.post(f"/provider/allocations/{allocation.id}/return", {})
    assert response.status_code == 200
    assert "Upload the completed work" in response.get_data(as_text=True)

    response = provider_user.post(
        f"/provider/allocations/{allocation.id}/documents",
        {"upload-document": (io.BytesIO(PDF_BYTES), "advice report.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    document = db.session.scalar(select(Document))
    assert document.version == 1
    assert document.content_type == "application/pdf"
    assert document.original_filename == "advice report.pdf"

    response = provider_user.post(f"/provider/allocations/{allocation.id}/return", {})
    assert response.status_code == 303
    db.session.expire_all()
    allocation = db.session.get(Allocation, allocation.id)
    assert allocation.status is AllocationStatus.RETURNED
    assert allocation.returned_on == date(2024, 9, 1)

    manager = client_for(Role.MANAGER)
    soup = manager.page(f"/allocations/{allocation.id}")
    link = soup.select_one("#document-table a")
    download = manager.get(link["href"])
    assert download.status_code == 200
    assert download.data == PDF_BYTES
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    response = manager.post(f"/allocations/{allocation.id}/accept", {}, htmx=True)
    assert response.status_code == 200
    assert "Work accepted" in response.get_data(as_text=True)
    db.session.expire_all()
    allocation = db.session.get(Allocation, allocation.id)
    assert allocation.status is AllocationStatus.ACCEPTED
    assert allocation.accepted_on == date(2024, 9, 1)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {
        "document_uploaded",
        "allocation_returned",
        "document_downloaded",
        "allocation_accepted",
    } <= actions


def test_send_back_for_amendment_then_new_version(client_for, make):
    provider = make.provider("Clearwater")
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    allocation = make.allocation(
        provider=provider,
        status=AllocationStatus.RETURNED,
        returned_on=date(2024, 8, 30),
        assigned_to_id=practitioner.id,
    )
    manager = client_for(Role.MANAGER)
    response = manager.post(f"/allocations/{allocation.id}/amendment", {"amend-comment": ""})
    assert response.status_code == 200
    assert "Enter what needs to be amended" in response.get_data(as_text=True)

    response = manager.post(
        f"/allocations/{allocation.id}/amendment",
        {
            "amend-comment": "Section F needs specific, quantified provision.",
            "amend-reasons": str(make.reason("outside_expertise").id),
        },
    )
    assert response.status_code == 303

    provider_user = client_for(practitioner)
    soup = provider_user.page(f"/provider/allocations/{allocation.id}")
    assert (
        "Section F needs specific, quantified provision."
        in soup.select_one("#amendment-comment").get_text()
    )
    for _ in range(2):
        response = provider_user.post(
            f"/provider/allocations/{allocation.id}/documents",
            {"upload-document": (io.BytesIO(docx_bytes()), "plan.docx")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 303
    versions = list(db.session.scalars(select(Document.version).order_by(Document.version)))
    assert versions == [1, 2]
    assert (
        provider_user.post(f"/provider/allocations/{allocation.id}/return", {}).status_code == 303
    )
    db.session.expire_all()
    allocation = db.session.get(Allocation, allocation.id)
    assert allocation.status is AllocationStatus.RETURNED
    assert allocation.returned_on == date(2024, 8, 30)  # the first return still counts
    assert allocation.amendment_count == 1


def test_accept_refused_unless_returned(client_for, make):
    allocation = make.allocation()
    manager = client_for(Role.MANAGER)
    response = manager.post(f"/allocations/{allocation.id}/accept", {})
    assert response.status_code == 200
    assert "Only returned work can be accepted" in response.get_data(as_text=True)
