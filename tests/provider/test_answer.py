"""The provider administrator accepts or declines allocated work; a decline closes it."""

from __future__ import annotations

from datetime import date

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, AuditEvent, Document, Role
from tests.provider.conftest import upload


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _url(org, action: str = "") -> str:
    return f"/provider/allocations/{org.allocation.id}" + (f"/{action}" if action else "")


@freeze_time("2024-08-05 10:00:00")
def test_admin_accepts_the_work_then_can_upload(client_for, org):
    admin = client_for(org.admin)
    soup = admin.page(_url(org))
    assert soup.select_one("#upload-document") is None  # nothing to upload before accepting
    assert soup.find("button", string=lambda s: s and "Accept this work" in s)
    assert "Not answered yet" in soup.select_one("#allocation-answer").get_text()

    response = admin.post(_url(org, "accept"), {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(_url(org))

    allocation = db.session.get(Allocation, org.allocation.id)
    assert allocation.provider_accepted_on == date(2024, 8, 5)
    assert allocation.provider_accepted_by_id == org.admin.id
    assert allocation.status is AllocationStatus.ALLOCATED
    [event] = _events("allocation_provider_accepted")
    assert (event.actor_id, event.object_id) == (org.admin.id, allocation.id)
    assert (event.case_id, event.provider_id) == (org.case.id, org.provider.id)

    soup = admin.page(_url(org))
    assert (
        "Accepted 5 August 2024 by Helen Ward" in soup.select_one("#allocation-answer").get_text()
    )
    assert soup.select_one("#upload-document") is not None
    assert upload(admin, org.allocation.id).status_code == 303


def test_accept_with_htmx_swaps_the_work_panel(client_for, org):
    admin = client_for(org.admin)
    response = admin.post(_url(org, "accept"), {}, htmx=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.find("html") is None
    assert "You accepted this work" in soup.select_one(".govuk-notification-banner").get_text()
    assert soup.select_one("#upload-document") is not None


def test_answering_twice_is_refused(client_for, org):
    admin = client_for(org.admin)
    assert admin.post(_url(org, "accept"), {}).status_code == 303
    for action, data in (("accept", {}), ("decline", {"decline-reason": "Too busy"})):
        response = admin.post(_url(org, action), data)
        assert response.status_code == 200
        assert "no longer waiting for your answer" in response.get_data(as_text=True)
    allocation = db.session.get(Allocation, org.allocation.id)
    assert allocation.status is AllocationStatus.ALLOCATED
    assert allocation.decline_reason is None
    assert len(_events("allocation_provider_accepted")) == 1
    assert _events("allocation_declined") == []


@pytest.mark.parametrize("reason", ["", "   ", "\t"])
def test_decline_needs_a_reason_and_saves_nothing(client_for, org, reason):
    admin = client_for(org.admin)
    response = admin.post(_url(org, "decline"), {"decline-reason": reason})
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.title.get_text().startswith("Error: ")
    summary = soup.select_one(".govuk-error-summary")
    assert "Enter why you are declining this work" in summary.get_text()
    assert summary.select_one("a")["href"] == "#decline-reason"
    assert soup.select_one("#decline-reason") is not None
    allocation = db.session.get(Allocation, org.allocation.id)
    assert allocation.status is AllocationStatus.ALLOCATED
    assert allocation.declined_on is None and allocation.closed_on is None
    assert _events("allocation_declined") == []


@freeze_time("2024-08-06 09:00:00")
def test_decline_closes_the_work_the_council_sees_why_and_can_reallocate(client_for, make, org):
    admin = client_for(org.admin)
    soup = admin.page(_url(org))
    assert "Declining cannot be undone" in soup.select_one(".govuk-warning-text").get_text()
    reason = "No EP with capacity before October <b>sorry</b>"
    response = admin.post(_url(org, "decline"), {"decline-reason": f"  {reason}  "})
    assert response.status_code == 303

    allocation = db.session.get(Allocation, org.allocation.id)
    assert allocation.status is AllocationStatus.DECLINED
    assert allocation.declined_on == date(2024, 8, 6)
    assert allocation.closed_on == date(2024, 8, 6)
    assert allocation.decline_reason == reason
    assert allocation.declined_by_id == org.admin.id
    assert not allocation.is_open
    [event] = _events("allocation_declined")
    assert (event.case_id, event.provider_id, event.actor_id) == (
        org.case.id,
        org.provider.id,
        org.admin.id,
    )

    # The provider still sees it, closed, with no forms.
    soup = admin.page(_url(org))
    assert "You declined this work on 6 August 2024" in soup.select_one("#declined").get_text()
    assert "3 September 2024" in soup.select_one("#access-until").get_text()
    assert soup.select_one("#decline-reason") is None
    assert soup.select_one("#upload-document") is None

    manager = client_for(Role.MANAGER)
    soup = manager.page(f"/allocations/{allocation.id}")
    assert "Declined by provider" in soup.select_one("#allocation-status").get_text()
    declined = soup.select_one("#declined").get_text()
    assert "Declined by provider on 6 August 2024 (Helen Ward)" in declined
    assert reason in declined  # escaped text, shown as written
    assert soup.select_one("#declined b") is None
    assert soup.select_one("#withdraw-reason") is None  # closed work cannot be withdrawn
    soup = manager.page(f"/cases/{org.case.id}")
    assert "Declined by provider" in soup.select_one("#allocation-table").get_text()
    soup = manager.page("/allocations?status=declined")
    assert "Declined by provider" in soup.select_one("#allocation-list").get_text()

    other = make.provider("Clearwater")
    response = manager.post(
        f"/cases/{org.case.id}/allocations", {"work_type": "ep_advice", "provider": str(other.id)}
    )
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 2


def test_decline_with_htmx_returns_the_closed_panel(client_for, org):
    admin = client_for(org.admin)
    response = admin.post(_url(org, "decline"), {"decline-reason": "No capacity"}, htmx=True)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.find("html") is None
    assert "You declined this work" in soup.select_one(".govuk-notification-banner").get_text()
    assert soup.select_one("#declined") is not None


def test_decline_error_with_htmx_returns_the_form_with_its_summary(client_for, org):
    admin = client_for(org.admin)
    response = admin.post(_url(org, "decline"), {"decline-reason": ""}, htmx=True)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.find("html") is None
    assert (
        "Enter why you are declining this work"
        in soup.select_one(".govuk-error-summary").get_text()
    )


def test_decline_error_without_javascript_puts_its_summary_at_the_top(client_for, org):
    admin = client_for(org.admin)
    response = admin.post(_url(org, "decline"), {"decline-reason": ""})
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.title.get_text().startswith("Error: ")
    main = soup.select_one("main")
    (summary,) = main.select(".govuk-error-summary")
    assert "Enter why you are declining this work" in summary.get_text()
    # Above the heading, as the GOV.UK error summary goes, not part way down in the panel.
    assert str(main).index("govuk-error-summary") < str(main).index("<h1")


def test_practitioners_cannot_answer(client_for, org):
    org.allocation.assigned_to_id = org.p1.id
    db.session.commit()
    p1 = client_for(org.p1)
    soup = p1.page(_url(org))
    assert "administrator needs to accept" in soup.select_one("#awaiting-answer").get_text()
    assert soup.select_one("#decline-reason") is None
    assert soup.select_one("#upload-document") is None
    assert p1.post(_url(org, "accept"), {}).status_code == 403
    assert p1.post(_url(org, "decline"), {"decline-reason": "No"}).status_code == 403
    allocation = db.session.get(Allocation, org.allocation.id)
    assert allocation.provider_accepted_on is None
    assert allocation.status is AllocationStatus.ALLOCATED


def test_another_provider_cannot_answer(client_for, make, org):
    q_admin = client_for(Role.PROVIDER_ADMIN, provider=make.provider("Q"))
    assert q_admin.post(_url(org, "accept"), {}).status_code == 404
    assert q_admin.post(_url(org, "decline"), {"decline-reason": "No"}).status_code == 404
    allocation = db.session.get(Allocation, org.allocation.id)
    assert allocation.provider_accepted_on is None
    assert allocation.status is AllocationStatus.ALLOCATED


def test_uploads_and_returns_wait_for_acceptance(app, client_for, org):
    admin = client_for(org.admin)
    response = upload(admin, org.allocation.id)
    assert response.status_code == 200
    assert "Accept the work before you upload to it" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    response = admin.post(_url(org, "return"), {})
    assert response.status_code == 200
    assert "Accept the work before you return it" in response.get_data(as_text=True)
    assert db.session.get(Allocation, org.allocation.id).status is AllocationStatus.ALLOCATED
