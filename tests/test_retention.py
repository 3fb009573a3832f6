"""Retention: dry run and apply act on the same cases, files go, rows stay, figures hold."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.cases.contacts.services import CONTACT_FIELDS
from provider_portal.documents import DocumentRemoved, checked_file
from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import (
    Allocation,
    AllocationMessage,
    AllocationStatus,
    AuditEvent,
    Case,
    CaseException,
    CasePaper,
    Document,
    Role,
    SendBack,
)
from provider_portal.papers.services import add_paper
from provider_portal.reports.compliance.queries import compliance_report
from provider_portal.reports.monthly.queries import monthly_report
from provider_portal.retention import REMOVED_TEXT
from tests.audit_log.support import stored_document, stored_path
from tests.files import PDF_BYTES
from tests.papers import shared_paper

AS_OF = date(2024, 6, 1)
DAYS = 730  # RETENTION_DAYS_AFTER_CLOSE
LAST_KEPT = AS_OF - timedelta(days=DAYS)  # 2022-06-02: exactly the limit, kept


def _run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["retention", "apply", *args])
    db.session.expire_all()
    return result


def _case_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("case ")]


def _closed_case(make, provider, issued: date, ref: str) -> Case:
    """A case whose final plan was issued on `issued`, with accepted advice and a document."""
    case = make.case(
        case_ref=ref,
        first_name="Jasmine",
        last_name="Okonkwo-" + ref,
        date_of_birth=date(2012, 9, 23),
        setting="Riverside Primary School",
        request_received_on=issued - timedelta(days=150),
        decision_to_assess_on=issued - timedelta(days=120),
        draft_plan_issued_on=issued - timedelta(days=30),
        final_plan_issued_on=issued,
        year_group="Year 6",
    )
    make.allocation(
        case=case,
        provider=provider,
        allocated_on=issued - timedelta(days=110),
        status=AllocationStatus.ACCEPTED,
        returned_on=issued - timedelta(days=80),
        accepted_on=issued - timedelta(days=75),
        amendment_comment="Jasmine's mother asked for the diagnosis to be added",
    )
    db.session.add(
        SendBack(
            allocation=case.allocations[0],
            requested_on=issued - timedelta(days=78),
            comment="Jasmine's mother asked for the diagnosis to be added",
            reasons=[make.reason("outcomes_not_smart")],
        )
    )
    db.session.commit()
    return case


@pytest.fixture
def world(make):
    """Two cases due, one exactly at the limit, a recent one and an open one."""
    provider = make.provider("Northbrook")
    old = _closed_case(make, provider, date(2021, 3, 15), "OLD-1")
    stored_document(old.allocations[0], "pdf", version=1)
    stored_document(old.allocations[0], "docx", version=2)
    db.session.add(
        CaseException(
            case=old,
            applies_to="final_plan",
            reason="exceptional_personal_circumstances",
            starts_on=date(2020, 12, 1),
            note="Family bereavement: Jasmine's grandmother",
        )
    )
    withdrawn = make.allocation(
        case=old,
        provider=provider,
        work_type="ot_advice",
        allocated_on=date(2020, 11, 20),
        status=AllocationStatus.WITHDRAWN,
        withdrawn_on=date(2020, 12, 1),
        withdrawn_reason="Family moved to Leeds",
    )
    declined = make.allocation(
        case=old,
        provider=make.provider("Southway"),
        work_type="salt_advice",
        allocated_on=date(2020, 11, 20),
        status=AllocationStatus.DECLINED,
        declined_on=date(2020, 11, 22),
        decline_reason="We taught Jasmine's brother",
    )
    old.parent_carer_name = "Jasmine's mother"
    old.parent_carer_phone = "07700 900 982"
    old.senco_email = "senco@example.sch.uk"
    for allocation, from_council in ((old.allocations[0], False), (withdrawn, True)):
        db.session.add(
            AllocationMessage(
                allocation=allocation, from_council=from_council, body="Is Jasmine at home?"
            )
        )
    one_day_over = _closed_case(make, provider, LAST_KEPT - timedelta(days=1), "OVER-1")
    stored_document(one_day_over.allocations[0], "pdf")
    at_limit = _closed_case(make, provider, LAST_KEPT, "LIMIT-1")
    kept_document = stored_document(at_limit.allocations[0], "pdf")
    recent = _closed_case(make, provider, date(2024, 1, 10), "RECENT-1")
    open_case = make.case(case_ref="OPEN-1", request_received_on=date(2020, 1, 1))
    db.session.commit()
    return {
        "old": old,
        "over": one_day_over,
        "at_limit": at_limit,
        "recent": recent,
        "open": open_case,
        "withdrawn": withdrawn,
        "declined": declined,
        "kept_document": kept_document,
    }


def _figures():
    monthly = monthly_report(date(2020, 1, 1), date(2024, 6, 1), AS_OF)
    compliance = compliance_report(date(2020, 1, 1), date(2024, 6, 1))
    return monthly.rows, monthly.total, compliance.rows, compliance.total, compliance.rolling


def _snapshot():
    """Everything retention could change, to show a dry run changes none of it."""
    return (
        [
            (c.id, c.first_name, c.last_name, c.date_of_birth, c.setting, c.anonymised_at)
            for c in db.session.scalars(select(Case).order_by(Case.id))
        ],
        [
            (d.id, d.original_filename, d.deleted_at)
            for d in db.session.scalars(select(Document).order_by(Document.id))
        ],
        [
            (a.id, a.amendment_comment, a.withdrawn_reason, a.decline_reason)
            for a in db.session.scalars(select(Allocation).order_by(Allocation.id))
        ],
        [e.note for e in db.session.scalars(select(CaseException))],
        [
            tuple(getattr(c, name) for name in CONTACT_FIELDS)
            for c in db.session.scalars(select(Case).order_by(Case.id))
        ],
        [
            m.body
            for m in db.session.scalars(select(AllocationMessage).order_by(AllocationMessage.id))
        ],
        db.session.scalar(select(func.count(AuditEvent.id))),
    )


def test_dry_run_then_apply(app, store, world):
    old, over = world["old"], world["over"]
    documents = {
        d.id: d.stored_name
        for d in db.session.scalars(
            select(Document).join(Allocation).where(Allocation.case_id.in_([old.id, over.id]))
        )
    }
    assert len(documents) == 3 and set(documents.values()) <= set(store.names())
    figures = _figures()
    before = _snapshot()

    dry = _run(app, "--dry-run", "--as-of", AS_OF.isoformat())
    assert dry.exit_code == 0, dry.output
    assert _case_lines(dry.output) == [
        f"case {old.id} OLD-1: final plan issued 2021-03-15, 2 documents",
        f"case {over.id} OVER-1: final plan issued 2022-06-01, 1 document",
    ]
    assert "Nothing was changed" in dry.output
    assert _snapshot() == before
    assert set(documents.values()) <= set(store.names())

    applied = _run(app, "--as-of", AS_OF.isoformat())
    assert applied.exit_code == 0, applied.output
    assert _case_lines(applied.output) == _case_lines(dry.output)
    assert "Anonymised 2 cases and deleted 3 documents." in applied.output

    # Files gone (from the folder or the bucket); rows kept, marked and renamed.
    assert not set(documents.values()) & set(store.names())
    for document_id in documents:
        document = db.session.get(Document, document_id)
        assert document.deleted_at is not None
        assert document.original_filename == "removed" + (
            ".pdf" if document.content_type == "application/pdf" else ".docx"
        )
    assert {db.session.get(Document, i).original_filename for i in documents} == {
        "removed.pdf",
        "removed.docx",
    }

    # The child's details anonymised; dates and the statutory record kept.
    case = db.session.get(Case, old.id)
    assert (case.first_name, case.last_name, case.setting) == ("Removed", "Removed", None)
    assert case.date_of_birth == date(2012, 1, 1)
    assert case.anonymised_at is not None
    assert case.final_plan_issued_on == date(2021, 3, 15)
    assert case.case_ref == "OLD-1" and case.year_group == "Year 6"
    assert [e.note for e in case.exceptions] == [None]
    assert [e.reason for e in case.exceptions] == ["exceptional_personal_circumstances"]
    accepted = next(a for a in case.allocations if a.status is AllocationStatus.ACCEPTED)
    assert accepted.amendment_comment == REMOVED_TEXT
    # Its request for amendment keeps its reasons, not its words.
    sendback = db.session.scalars(
        select(SendBack).where(SendBack.allocation_id == accepted.id)
    ).one()
    assert sendback.comment == REMOVED_TEXT
    assert [r.code for r in sendback.reasons] == ["outcomes_not_smart"]
    assert accepted.decline_reason is None and accepted.withdrawn_reason is None
    assert db.session.get(Allocation, world["withdrawn"].id).withdrawn_reason == REMOVED_TEXT
    assert db.session.get(Allocation, world["declined"].id).decline_reason == REMOVED_TEXT
    # The contacts for the work cleared, and the question threads' text replaced.
    assert all(getattr(case, name) is None for name in CONTACT_FIELDS)
    bodies = db.session.scalars(select(AllocationMessage.body)).all()
    assert bodies == [REMOVED_TEXT, REMOVED_TEXT]

    # Audited, with no person as the actor.
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["case_anonymised", "document_deleted"]))
    ).all()
    anonymised = sorted((r.object_id, r.case_id) for r in rows if r.action == "case_anonymised")
    details = {r.object_id: r.detail for r in rows if r.action == "case_anonymised"}
    assert details[old.id].endswith("documents=2 messages=2")
    assert details[over.id].endswith("documents=1 messages=0")
    assert anonymised == sorted([(old.id, old.id), (over.id, over.id)])
    deleted = {r.object_id: r for r in rows if r.action == "document_deleted"}
    assert set(deleted) == set(documents)
    assert {r.object_type for r in deleted.values()} == {"document"}
    assert {deleted[i].case_id for i in documents} == {old.id, over.id}
    assert all(r.actor_id is None and r.ip_address is None for r in rows)
    # Every deleted document was on accepted work from Northbrook (old.allocations has no
    # order: on PostgreSQL, after the updates above, [0] can be the declined Southway work).
    assert all(r.provider_id == accepted.provider_id for r in deleted.values())

    # The figures the council publishes are the same.
    assert _figures() == figures

    # Nothing is left to do.
    again = _run(app, "--as-of", AS_OF.isoformat())
    assert again.exit_code == 0, again.output
    assert _case_lines(again.output) == []
    assert "Anonymised 0 cases and deleted 0 documents." in again.output
    assert db.session.scalar(select(func.count(AuditEvent.id))) == before[-1] + 5
    assert _case_lines(_run(app, "--dry-run", "--as-of", AS_OF.isoformat()).output) == []


def test_open_recent_and_exactly_at_the_limit_are_left_alone(app, world):
    keep = [world["at_limit"], world["recent"], world["open"]]
    before = {
        c.id: (c.first_name, c.last_name, c.date_of_birth, c.setting, c.anonymised_at) for c in keep
    }
    result = _run(app, "--as-of", AS_OF.isoformat())
    assert result.exit_code == 0, result.output
    for case in keep:
        case = db.session.get(Case, case.id)
        assert (
            case.first_name,
            case.last_name,
            case.date_of_birth,
            case.setting,
            case.anonymised_at,
        ) == before[case.id]
    kept = db.session.get(Document, world["kept_document"].id)
    assert kept.deleted_at is None and stored_path(kept).exists()
    assert "LIMIT-1" not in result.output and "RECENT-1" not in result.output


@pytest.mark.parametrize(("days_before", "anonymised"), [(DAYS, False), (DAYS + 1, True)])
def test_the_limit_is_exact(app, make, days_before, anonymised):
    case = make.case(case_ref="EDGE-1", final_plan_issued_on=AS_OF - timedelta(days=days_before))
    _run(app, "--as-of", AS_OF.isoformat())
    assert (db.session.get(Case, case.id).anonymised_at is not None) is anonymised


def test_as_of_defaults_to_today_in_london(app, make):
    # 23:30 UTC on 1 June is 00:30 on 2 June in London: 731 days after 2 June 2022.
    case = make.case(case_ref="BST-1", final_plan_issued_on=date(2022, 6, 2))
    with freeze_time("2024-06-01 23:30:00"):
        result = _run(app, "--dry-run")
    assert "as of 2024-06-02" in result.output
    assert _case_lines(result.output) == [
        f"case {case.id} BST-1: final plan issued 2022-06-02, 0 documents"
    ]


def test_a_bad_as_of_date_is_refused(app):
    result = _run(app, "--as-of", "01/06/2024")
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_a_removed_document_is_not_served(app, world, client_for):
    _run(app, "--as-of", AS_OF.isoformat())
    document = db.session.scalar(
        select(Document).join(Allocation).where(Allocation.case_id == world["old"].id).limit(1)
    )
    with app.test_request_context(), pytest.raises(DocumentRemoved) as raised:
        checked_file(document)
    assert raised.value.code == 404
    assert "retention" in raised.value.description
    manager = client_for(Role.MANAGER)
    response = manager.get(f"/allocations/documents/{document.id}")
    assert response.status_code == 404
    assert "removed under the council" in response.get_data(as_text=True)


def test_the_case_page_says_the_details_were_removed(app, world, client_for):
    with freeze_time("2024-06-01 23:30:00"):  # 2 June in London
        _run(app, "--as-of", AS_OF.isoformat())
    manager = client_for(Role.MANAGER)
    soup = manager.page(f"/cases/{world['old'].id}")
    assert "Removed Removed" in soup.get_text()
    assert "Jasmine" not in soup.get_text() and "Riverside" not in soup.get_text()
    assert "retention policy on 2 June 2024" in soup.select_one("#anonymised").get_text()
    assert manager.page(f"/cases/{world['recent'].id}").select_one("#anonymised") is None


@pytest.mark.parametrize(
    ("reason", "shown"),
    [
        ("refused_to_assess", "refused to assess"),
        ("not_issuing", "decided not to issue a plan"),
        ("withdrawn_by_family", "withdrawn by the family"),
        ("moved_away", "moved out of the area"),
        ("ceased", "ceased"),
    ],
)
def test_cases_closed_without_a_plan_are_kept_from_their_closing_date(app, make, reason, shown):
    provider = make.provider("Northbrook")
    due, kept = (
        make.case(
            case_ref=ref,
            first_name="Jasmine",
            request_received_on=date(2021, 1, 4),
            closed_reason=reason,
            closed_on=closed_on,
        )
        for ref, closed_on in (("GONE-1", LAST_KEPT - timedelta(days=1)), ("GONE-2", LAST_KEPT))
    )
    document = stored_document(
        make.allocation(case=due, provider=provider, allocated_on=date(2021, 2, 1))
    )
    # Received long ago and still open: nothing to keep it from, so nothing is removed.
    still_open = make.case(
        case_ref="OPEN-2", first_name="Jasmine", request_received_on=date(2020, 1, 1)
    )
    dry = _run(app, "--dry-run", "--as-of", AS_OF.isoformat())
    assert _case_lines(dry.output) == [
        f"case {due.id} GONE-1: closed ({shown}) 2022-06-01, 1 document"
    ]
    applied = _run(app, "--as-of", AS_OF.isoformat())
    assert applied.exit_code == 0, applied.output
    assert _case_lines(applied.output) == _case_lines(dry.output)
    assert db.session.get(Case, due.id).first_name == "Removed"
    assert db.session.get(Document, document.id).deleted_at is not None
    assert db.session.get(Case, kept.id).first_name == "Jasmine"
    assert db.session.get(Case, still_open.id).first_name == "Jasmine"


def test_case_papers_go_with_the_rest_of_the_cases_documents(app, store, world, make):
    """Papers' files deleted, rows marked and their titles cleared, audited; figures kept."""
    old = world["old"]
    manager = make.user(Role.MANAGER)
    paper = add_paper(
        old,
        "other",
        "Amy Smith's request",
        io.BytesIO(PDF_BYTES),
        "a.pdf",
        actor=manager,
        nonce=new_nonce(),
    )
    db.session.commit()
    assert paper.stored_name in store.names()
    kept = shared_paper(make.allocation(case=world["open"], provider=make.provider()), manager)
    figures = _figures()

    applied = _run(app, "--as-of", AS_OF.isoformat())
    assert applied.exit_code == 0, applied.output
    assert "Anonymised 2 cases and deleted 3 documents and 1 case papers." in applied.output
    db.session.expire_all()
    paper = db.session.get(CasePaper, paper.id)
    assert paper.deleted_at is not None and paper.stored_name not in store.names()
    assert (paper.title, paper.original_filename) == (REMOVED_TEXT, "removed.pdf")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_paper_deleted"))
    assert (event.object_id, event.case_id, event.actor_id) == (paper.id, old.id, None)
    assert db.session.get(CasePaper, kept.id).deleted_at is None
    assert kept.stored_name in store.names()
    assert _figures() == figures
