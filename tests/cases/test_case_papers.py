"""Case papers on the case page: added with the provider uploads' checks, chosen when
allocating (single and bulk), shared with open work later, un-shared, downloaded."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.errors import PaperError
from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import (
    Allocation,
    AllocationPaper,
    AllocationStatus,
    AuditEvent,
    CasePaper,
    Role,
)
from provider_portal.papers.services import share
from tests.files import PDF_BYTES
from tests.papers import JPEG_BYTES, PNG_BYTES, post_paper, shared_paper
from tests.provider.conftest import stored_files


def _papers() -> list[CasePaper]:
    return list(db.session.scalars(select(CasePaper).order_by(CasePaper.id)))


def _shared(allocation_id: int) -> set[str]:
    """The titles shared (and not un-shared) with a piece of work."""
    return set(
        db.session.scalars(
            select(CasePaper.title)
            .join(AllocationPaper, AllocationPaper.paper_id == CasePaper.id)
            .where(
                AllocationPaper.allocation_id == allocation_id,
                AllocationPaper.unshared_at.is_(None),
            )
        )
    )


def _actions(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    ("data", "filename", "content_type"),
    [
        (PDF_BYTES, "request.pdf", "application/pdf"),
        (JPEG_BYTES, "scan.jpeg", "image/jpeg"),
        (PNG_BYTES, "scan.png", "image/png"),
    ],
)
def test_manager_adds_a_paper_stored_like_a_provider_upload(
    app, make, client_for, data, filename, content_type
):
    case = make.case()
    manager = client_for(Role.MANAGER)
    response = post_paper(manager, case.id, data, filename, title="Request from Amy's school")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/cases/{case.id}#case-papers")
    (paper,) = _papers()
    assert paper.content_type == content_type
    assert paper.stored_name != filename and len(paper.stored_name) == 32
    stored = Path(app.config["UPLOAD_FOLDER"]) / paper.stored_name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == paper.sha256
    (event,) = _actions("case_paper_uploaded")
    assert event.case_id == case.id and event.detail == "kind=request_for_assessment"
    page = manager.page(f"/cases/{case.id}")
    assert "Request from Amy's school" in page.select_one("#paper-table").get_text()


@pytest.mark.parametrize(
    ("fields", "message", "target"),
    [
        ({"kind": "bank_statements"}, "Select what kind of paper this is", "#paper-kind"),
        ({"title": "  "}, "Enter a title for the paper", "#paper-title"),
        ({"data": b"<html>hi</html>", "filename": "a.pdf"}, "JPEG or PNG image", "#paper-file"),
        ({"data": b"GIF89a" + b"\0" * 20, "filename": "a.jpg"}, "JPEG or PNG", "#paper-file"),
        ({"data": b"", "filename": "a.pdf"}, "The selected file is empty", "#paper-file"),
    ],
)
def test_bad_paper_is_an_error_summary_and_nothing_is_saved(
    app, make, client_for, fields, message, target
):
    case = make.case()
    manager = client_for(Role.MANAGER)
    response = post_paper(manager, case.id, **fields)
    assert response.status_code == 200
    soup = manager.soup(response)
    link = soup.select_one(".govuk-error-summary a")
    assert message in link.get_text() and link["href"] == target
    assert soup.title.get_text().startswith("Error: ")
    assert _papers() == [] and stored_files(app) == []
    assert _actions("case_paper_uploaded") == []


def test_refused_file_is_audited_without_its_name(make, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    post_paper(manager, case.id, b"MZ" + b"\0" * 30, "Amy Smith.pdf")
    (event,) = _actions("case_paper_upload_refused")
    assert event.detail == "reason=not_a_paper" and "Amy" not in (event.detail or "")


def test_the_same_form_sent_twice_adds_one_paper(app, make, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    nonce = new_nonce()
    assert post_paper(manager, case.id, nonce=nonce).status_code == 303
    assert post_paper(manager, case.id, nonce=nonce).status_code == 303
    assert len(_papers()) == 1 and len(stored_files(app)) == 1


def test_monitor_and_providers_cannot_add_papers(make, client_for):
    case = make.case()
    for role in (Role.MONITOR, Role.PROVIDER_ADMIN):
        assert post_paper(client_for(role, provider=make.provider()), case.id).status_code == 403
    assert _papers() == []


def _three_papers(make, case, manager_user) -> dict[str, CasePaper]:
    """A request (default kind), school evidence (not) and consent (default) on the case."""
    other = make.allocation(case=make.case(), provider=make.provider(), work_type="ep_advice")
    papers = {}
    for kind in ("request_for_assessment", "school_evidence", "consent_to_share"):
        papers[kind] = shared_paper(other, manager_user, kind=kind, title=kind)
        # Moved onto the case under test, unshared from the other case's work.
        db.session.execute(
            AllocationPaper.__table__.delete().where(AllocationPaper.paper_id == papers[kind].id)
        )
        papers[kind].case_id = case.id
    db.session.commit()
    return papers


def _allocate(manager, case, provider, **extra):
    return manager.post(
        f"/cases/{case.id}/allocations",
        {"work_type": "ep_advice", "provider": str(provider.id), **extra},
    )


def test_allocating_shares_the_work_types_kinds_by_default(make, client_for):
    case = make.case()
    provider = make.provider()
    manager = client_for(Role.MANAGER)
    _three_papers(make, case, manager.user)
    page = manager.page(f"/cases/{case.id}")
    assert page.select_one("input[name=papers_choice][checked]")["value"] == "default"
    assert "Educational psychology advice: request for assessment" in page.select_one(
        "#paper-defaults"
    ).get_text(" ")
    response = _allocate(manager, case, provider)
    assert response.status_code == 303
    allocation = db.session.scalar(select(Allocation).where(Allocation.case_id == case.id))
    assert _shared(allocation.id) == {"request_for_assessment", "consent_to_share"}
    events = [e for e in _actions("case_paper_shared") if e.provider_id == provider.id]
    assert len(events) == 2


def test_allocating_with_papers_ticked_shares_exactly_those(make, client_for):
    case = make.case()
    provider = make.provider()
    manager = client_for(Role.MANAGER)
    papers = _three_papers(make, case, manager.user)
    elsewhere = shared_paper(
        make.allocation(case=make.case(), provider=provider), manager.user, title="elsewhere"
    )
    ticked = [str(papers["school_evidence"].id), str(elsewhere.id)]
    response = _allocate(manager, case, provider, papers_choice="chosen", papers=ticked)
    assert response.status_code == 303
    allocation = db.session.scalar(select(Allocation).where(Allocation.case_id == case.id))
    assert _shared(allocation.id) == {"school_evidence"}  # never another case's paper


def test_allocating_with_nothing_ticked_shares_nothing(make, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    _three_papers(make, case, manager.user)
    assert _allocate(manager, case, make.provider(), papers_choice="chosen").status_code == 303
    allocation = db.session.scalar(select(Allocation).where(Allocation.case_id == case.id))
    assert _shared(allocation.id) == set()


def test_a_paper_added_later_is_shared_with_all_open_work_in_one_action(make, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    advice = make.allocation(case=case, provider=make.provider(), work_type="ep_advice")
    closed = make.allocation(
        case=case,
        provider=make.provider(),
        work_type="plan_writing",
        status=AllocationStatus.WITHDRAWN,
        closed_on=date(2024, 8, 2),
    )
    post_paper(manager, case.id, kind="school_evidence", title="SENCo report")
    (paper,) = _papers()
    response = manager.post(f"/cases/{case.id}/papers/{paper.id}/share")
    assert response.status_code == 303
    assert _shared(advice.id) == {"SENCo report"} and _shared(closed.id) == set()
    # Sent again: nothing more is shared.
    manager.post(f"/cases/{case.id}/papers/{paper.id}/share")
    assert len(_actions("case_paper_shared")) == 1


def test_sharing_with_no_open_work_is_an_error(make, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    post_paper(manager, case.id)
    (paper,) = _papers()
    response = manager.post(f"/cases/{case.id}/papers/{paper.id}/share")
    assert response.status_code == 200
    summary = manager.soup(response).select_one(".govuk-error-summary")
    assert "There is no open work on this case to share the paper with" in summary.get_text()
    assert db.session.scalar(select(func.count(AllocationPaper.id))) == 0


def test_manager_stops_sharing_a_paper_with_one_piece_of_work(make, client_for):
    case = make.case()
    manager = client_for(Role.MANAGER)
    allocation = make.allocation(case=case, provider=make.provider())
    paper = shared_paper(allocation, manager.user, title="Consent form")
    url = f"/cases/{case.id}/papers/{paper.id}/work/{allocation.id}/unshare"
    assert manager.post(url).status_code == 303
    assert _shared(allocation.id) == set()
    assert len(_actions("case_paper_unshared")) == 1
    # Again: it is not shared, so the page says so and nothing changes.
    response = manager.post(url)
    assert "This paper is not shared with that work" in response.get_data(as_text=True)
    # Another case's ids: 404.
    other = make.allocation(case=make.case(), provider=make.provider())
    assert (
        manager.post(f"/cases/{case.id}/papers/{paper.id}/work/{other.id}/unshare").status_code
        == 404
    )


def test_council_download_is_checked_and_audited(app, make, client_for, store):
    case = make.case()
    manager = client_for(Role.MANAGER)
    post_paper(manager, case.id, title="Parental views")
    (paper,) = _papers()
    response = manager.get(f"/cases/{case.id}/papers/{paper.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert len(_actions("case_paper_downloaded")) == 1
    assert manager.get(f"/cases/{make.case().id}/papers/{paper.id}").status_code == 404
    # A file changed on disk is refused and the failure audited.
    store.write(paper.stored_name, b"%PDF-1.4 changed")
    assert manager.get(f"/cases/{case.id}/papers/{paper.id}").status_code == 500
    assert len(_actions("case_paper_integrity_failure")) == 1


def _bulk(manager, cases, provider, confirm=None):
    data = {
        "bulk-work_type": "ep_advice",
        "bulk-provider": str(provider.id),
        "case_id": [str(case.id) for case in cases],
    }
    if confirm is None:
        return manager.post("/cases/backlog/allocate", data)
    return manager.post("/cases/backlog/allocate/confirm", {**data, **confirm})


@freeze_time("2024-12-01 10:00:00")
def test_bulk_check_lists_the_papers_and_confirm_shares_the_kinds_ticked(make, client_for):
    first, second = make.case(), make.case()
    provider = make.provider()
    manager = client_for(Role.MANAGER)
    _three_papers(make, first, manager.user)
    page = manager.soup(_bulk(manager, [first, second], provider))
    listed = page.select_one("#case-list").get_text(" ")
    assert "shares request_for_assessment, consent_to_share" in listed
    assert "no case papers shared" in listed
    ticked = {box["value"] for box in page.select("input[name=confirm-paper_kinds][checked]")}
    assert ticked == {"request_for_assessment", "parental_views", "consent_to_share"}
    response = _bulk(
        manager, [first, second], provider, {"confirm-paper_kinds": ["school_evidence", "x"]}
    )
    assert response.status_code == 303
    allocation = db.session.scalar(select(Allocation).where(Allocation.case_id == first.id))
    assert _shared(allocation.id) == {"school_evidence"}
    assert [e.provider_id for e in _actions("case_paper_shared")].count(provider.id) == 1


def test_papers_are_shared_only_with_open_work_on_their_own_case(make):
    manager = make.user(Role.MANAGER)
    allocation = make.allocation(case=make.case(), provider=make.provider())
    paper = shared_paper(allocation, manager)
    closed = make.allocation(
        case=allocation.case,
        provider=make.provider(),
        work_type="plan_writing",
        status=AllocationStatus.WITHDRAWN,
        closed_on=date(2024, 8, 2),
    )
    with pytest.raises(PaperError, match="work that is still open"):
        share(closed, [paper], actor=manager)
    elsewhere = make.allocation(case=make.case(), provider=make.provider())
    with pytest.raises(PaperError, match="case's own papers"):
        share(elsewhere, [paper], actor=manager)
    db.session.rollback()
    assert _shared(closed.id) == set() and _shared(elsewhere.id) == set()
