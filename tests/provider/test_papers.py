"""Case papers on the provider's work page: only through the one scoped loader, for the
organisation's administrator and the assigned practitioner, while the work may be seen."""

from __future__ import annotations

from datetime import date

from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.allocations.services import withdraw
from provider_portal.extensions import db
from provider_portal.models import AllocationStatus, AuditEvent, Role
from provider_portal.models.types import utcnow
from provider_portal.papers.services import unshare
from tests.files import PDF_BYTES
from tests.papers import shared_paper


def _setup(org, make, client_for):
    """P1 assigned to the work; a paper shared with it; a paper on the case not shared."""
    org.allocation.assigned_to_id = org.p1.id
    db.session.commit()
    manager = make.user(Role.MANAGER)
    paper = shared_paper(org.allocation, manager, title="Request for assessment")
    unshared = shared_paper(org.allocation, manager, kind="other", title="Council file note")
    unshare(org.allocation, unshared, actor=manager)
    db.session.commit()
    return manager, paper, unshared


def _url(org, paper) -> str:
    return f"/provider/allocations/{org.allocation.id}/papers/{paper.id}"


def test_administrator_and_assigned_practitioner_see_and_download_papers(org, make, client_for):
    _, paper, _ = _setup(org, make, client_for)
    for user in (org.admin, org.p1):
        client = client_for(user)
        page = client.page(f"/provider/allocations/{org.allocation.id}")
        table = page.select_one("#paper-table").get_text(" ")
        assert "Request for assessment" in table and "Council file note" not in table
        response = client.get(_url(org, paper))
        assert response.status_code == 200 and response.data == PDF_BYTES
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["Cache-Control"] == "no-store"
    downloads = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "case_paper_downloaded")
            .order_by(AuditEvent.id)
        )
    )
    assert [e.actor_id for e in downloads] == [org.admin.id, org.p1.id]
    assert {e.provider_id for e in downloads} == {org.provider.id}
    assert {e.detail for e in downloads} == {
        f"kind=request_for_assessment allocation={org.allocation.id}"
    }


def test_others_get_404(org, make, client_for):
    _, paper, unshared = _setup(org, make, client_for)
    assert client_for(org.p2).get(_url(org, paper)).status_code == 404  # not assigned
    other = make.provider("Q")
    q_admin = client_for(make.user(Role.PROVIDER_ADMIN, provider=other))
    assert q_admin.get(_url(org, paper)).status_code == 404
    # Q's own work on another case: P's paper id through it is still 404.
    q_work = make.allocation(case=make.case(), provider=other)
    assert q_admin.get(f"/provider/allocations/{q_work.id}/papers/{paper.id}").status_code == 404
    # Un-shared: gone at once.
    assert client_for(org.admin).get(_url(org, unshared)).status_code == 404


def test_withdrawing_the_work_ends_access_at_once(org, make, client_for):
    manager, paper, _ = _setup(org, make, client_for)
    admin = client_for(org.admin)
    withdraw(org.allocation, "Family moved away", actor=manager)
    db.session.commit()
    assert admin.get(_url(org, paper)).status_code == 404
    page = admin.page(f"/provider/allocations/{org.allocation.id}")
    assert "The council has not shared any papers with this work." in page.get_text()


def test_access_ends_with_the_works_access_period(org, make, client_for):
    _, paper, _ = _setup(org, make, client_for)
    org.allocation.status = AllocationStatus.ACCEPTED
    org.allocation.returned_on = date(2024, 9, 1)
    org.allocation.accepted_on = date(2024, 9, 2)
    org.allocation.closed_on = date(2024, 9, 2)
    db.session.commit()
    with freeze_time("2024-09-30 12:00:00"):  # 28 days after closing: still open to them
        assert client_for(org.admin).get(_url(org, paper)).status_code == 200
    with freeze_time("2024-10-01 12:00:00"):
        assert client_for(org.admin).get(_url(org, paper)).status_code == 404


def test_a_paper_whose_file_retention_removed_is_404(org, make, client_for):
    _, paper, _ = _setup(org, make, client_for)
    paper.deleted_at = utcnow()
    db.session.commit()
    assert client_for(org.admin).get(_url(org, paper)).status_code == 404
