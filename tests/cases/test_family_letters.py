"""Family letters: produced from the case page once the provider accepts the work (or for a
recorded exception), recorded with the words as produced, downloaded as a PDF and a DOCX whose
text says what the template says, and refused, with nothing recorded, for the wrong work."""

from __future__ import annotations

import io
import logging
import secrets
from datetime import date

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.formatting import long_date
from provider_portal.models import (
    AllocationStatus,
    AuditEvent,
    CaseException,
    FamilyLetter,
    LetterTemplate,
    Role,
)
from provider_portal.timescales import today


def _count(model, *where) -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _pdf_text(data: bytes) -> str:
    return " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def _docx_text(data: bytes) -> str:
    return " ".join(" ".join(p.text for p in DocxDocument(io.BytesIO(data)).paragraphs).split())


def _nonce(client, case_id: int) -> str:
    """The form's nonce as the case page drew it (a fresh one when it draws no form)."""
    field = client.page(f"/cases/{case_id}").select_one("input[name='letter-nonce']")
    return str(field["value"]) if field is not None else secrets.token_urlsafe(24)


@pytest.fixture
def accepted(make, client_for):
    """A case whose educational psychology advice Provider P has accepted; a manager."""
    case = make.case(
        first_name="Robin",
        parent_carer_name="Sam Parent",
        request_received_on=date(2024, 6, 1),
    )
    provider = make.provider("Provider P")
    allocation = make.allocation(
        case=case,
        provider=provider,
        provider_accepted_on=date(2024, 8, 2),
        due_on=date(2024, 9, 12),
        statutory_due_on=date(2024, 9, 10),
    )
    return case, allocation, client_for(Role.MANAGER)


def _produce(client, case_id: int, subject: str, sent_by: str = "post", nonce: str | None = None):
    return client.post(
        f"/cases/{case_id}/letters",
        {
            "letter-subject": subject,
            "letter-sent_by": sent_by,
            "letter-nonce": nonce or _nonce(client, case_id),
        },
    )


def test_the_work_accepted_letter_is_produced_recorded_and_downloaded(accepted, app):
    case, allocation, manager = accepted
    response = _produce(manager, case.id, f"work-{allocation.id}", "email")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cases/{case.id}#letters"
    letter = db.session.scalar(select(FamilyLetter))
    assert letter is not None
    assert (letter.kind, letter.sent_by, letter.produced_on) == (
        "work_accepted",
        "email",
        today(),
    )
    assert letter.allocation_id == allocation.id
    assert _count(AuditEvent, AuditEvent.action == "family_letter_produced") == 1
    expected = (
        "Dear Sam Parent, Your child's educational psychology advice is being prepared by an "
        "educational psychologist from Provider P, as part of Robin's education, health and "
        "care needs assessment. We expect it by 10 September 2024. If you have questions, "
        f"please contact {app.config['COUNCIL_CONTACT']}. Case reference: {case.case_ref} "
        f"{long_date(today())}"
    )
    pdf = manager.get(f"/cases/{case.id}/letters/{letter.id}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"] == (
        f'attachment; filename="family-letter-{case.case_ref}-{letter.id}.pdf"'
    )
    assert expected in _pdf_text(pdf.data)
    assert "Who is preparing your child's advice" in _pdf_text(pdf.data)
    docx = manager.get(f"/cases/{case.id}/letters/{letter.id}.docx")
    assert docx.status_code == 200
    assert docx.headers["Content-Disposition"].endswith(f'-{letter.id}.docx"')
    assert expected in _docx_text(docx.data)
    assert _count(AuditEvent, AuditEvent.action == "family_letter_downloaded") == 2
    # The case page lists it, with who produced it and how it went.
    row = manager.page(f"/cases/{case.id}").select_one("#letter-table tbody tr").get_text(" ")
    assert "Who is preparing your child's advice" in row and "Email" in row


def test_without_a_statutory_date_the_contract_date_and_a_plain_greeting(accepted, make):
    case, allocation, manager = accepted
    allocation.statutory_due_on = None
    case.parent_carer_name = None
    db.session.commit()
    assert _produce(manager, case.id, f"work-{allocation.id}").status_code == 303
    body = db.session.scalar(select(FamilyLetter.body))
    assert "We expect it by 12 September 2024." in body
    assert body.startswith("Dear parent or carer,")


def test_the_letter_follows_the_administrators_wording(accepted):
    case, allocation, manager = accepted
    db.session.add(
        LetterTemplate(
            kind="work_accepted",
            title="About {child_first_name}",
            body="{provider} is on it, {{really}}, due {due_date}.",
        )
    )
    db.session.commit()
    assert _produce(manager, case.id, f"work-{allocation.id}").status_code == 303
    letter = db.session.scalar(select(FamilyLetter))
    assert (letter.title, letter.body) == (
        "About Robin",
        "Provider P is on it, {really}, due 10 September 2024.",
    )


def _refused(manager, case, subject: str, sent_by: str, message: str) -> None:
    response = _produce(manager, case.id, subject, sent_by)
    assert response.status_code == 200
    soup = manager.soup(response)
    assert message in soup.select_one(".govuk-error-summary").get_text()
    assert _count(FamilyLetter) == 0
    assert _count(AuditEvent, AuditEvent.action == "family_letter_produced") == 0


def test_work_not_accepted_by_the_provider_gets_no_letter(accepted, make):
    case, _, manager = accepted
    waiting = make.allocation(case=case, work_type="ot_advice")
    page = manager.page(f"/cases/{case.id}")
    offered = [i["value"] for i in page.select("input[name='letter-subject']")]
    assert f"work-{waiting.id}" not in offered
    _refused(manager, case, f"work-{waiting.id}", "post", "has not accepted this work yet")


def test_withdrawn_work_gets_no_letter(accepted):
    case, allocation, manager = accepted
    allocation.status = AllocationStatus.WITHDRAWN
    db.session.commit()
    _refused(manager, case, f"work-{allocation.id}", "post", "withdrawn or declined")


def test_another_cases_work_gets_no_letter(accepted, make):
    case, _, manager = accepted
    other = make.allocation(case=make.case(), provider_accepted_on=date(2024, 8, 2))
    _refused(manager, case, f"work-{other.id}", "post", "Select work or an exception on this case")
    _refused(manager, case, "work-nonsense", "post", "Select work or an exception on this case")


def test_an_unknown_way_of_sending_is_refused(accepted):
    case, allocation, manager = accepted
    _refused(manager, case, f"work-{allocation.id}", "pigeon", "Select how the letter was sent")
    _refused(manager, case, f"work-{allocation.id}", "", "Select how the letter was sent")


def test_a_letter_posted_twice_is_recorded_once(accepted):
    case, allocation, manager = accepted
    nonce = _nonce(manager, case.id)
    for _ in range(2):
        assert _produce(manager, case.id, f"work-{allocation.id}", nonce=nonce).status_code == 303
    assert _count(FamilyLetter) == 1


def test_the_parent_told_letter_for_a_recorded_exception(accepted, app):
    case, allocation, manager = accepted
    exception = CaseException(
        case_id=case.id,
        applies_to="final_plan",
        reason="school_holiday",
        starts_on=date(2024, 7, 19),
        ends_on=date(2024, 9, 2),
    )
    advice = CaseException(
        case_id=case.id,
        applies_to="advice",
        allocation_id=allocation.id,
        reason="missed_appointment",
        starts_on=date(2024, 8, 1),
    )
    db.session.add_all([exception, advice])
    db.session.commit()
    assert _produce(manager, case.id, f"exception-{exception.id}", "by_hand").status_code == 303
    letter = db.session.scalar(select(FamilyLetter))
    assert (letter.kind, letter.exception_id) == ("exception_parent_told", exception.id)
    text = _pdf_text(manager.get(f"/cases/{case.id}/letters/{letter.id}.pdf").data)
    assert (
        "The 20 weeks for issuing the final education, health and care plan will not be met, "
        "for a reason the regulations allow: School or college closed (reg 10(4)(a)). This "
        "covers 19 July 2024 to 2 September 2024."
    ) in text
    assert app.config["COUNCIL_CONTACT"] in text
    assert _produce(manager, case.id, f"exception-{advice.id}").status_code == 303
    told = select(FamilyLetter.body).where(FamilyLetter.exception_id == advice.id)
    body = db.session.scalar(told)
    assert "The 6 weeks for the educational psychology advice from Provider P" in body
    assert "Failed to keep an appointment (reg 8(2)(c))" in body
    assert "the time from 1 August 2024, and it has not ended yet" in body


def test_a_case_with_nothing_to_write_about_says_so(make, client_for):
    case = make.case()
    make.allocation(case=case)  # not accepted yet
    page = client_for(Role.MANAGER).page(f"/cases/{case.id}")
    assert page.select_one("#no-letter-subjects") is not None
    assert "No letters produced." in page.get_text()


def test_another_cases_letter_and_removed_words_are_not_found(accepted, make):
    case, allocation, manager = accepted
    _produce(manager, case.id, f"work-{allocation.id}")
    letter = db.session.scalar(select(FamilyLetter))
    other = make.case()
    assert manager.get(f"/cases/{other.id}/letters/{letter.id}.pdf").status_code == 404
    letter.body = None
    db.session.commit()
    assert manager.get(f"/cases/{case.id}/letters/{letter.id}.docx").status_code == 404
    assert "Words removed" in manager.page(f"/cases/{case.id}").get_text()


def test_recording_an_exception_offers_the_parent_told_letter(accepted):
    case, _, manager = accepted
    nonce = manager.page(f"/cases/{case.id}").select_one("input[name='exception-nonce']")["value"]
    response = manager.post(
        f"/cases/{case.id}/exceptions",
        {
            "exception-reason": "exceptional_personal_circumstances",
            "exception-starts_on": ["1", "7", "2024"],
            "exception-nonce": nonce,
        },
    )
    assert response.status_code == 303
    page = manager.page(f"/cases/{case.id}")
    assert "The letter telling the parent can be produced" in page.get_text()
    exception = db.session.scalar(select(CaseException))
    offered = [i["value"] for i in page.select("input[name='letter-subject']")]
    assert f"exception-{exception.id}" in offered


def test_nothing_of_the_letter_reaches_the_logs(accepted, caplog):
    caplog.set_level(logging.DEBUG)
    case, allocation, manager = accepted
    response = _produce(manager, case.id, f"work-{allocation.id}")
    letter_id = db.session.scalar(select(FamilyLetter.id))
    for fmt in ("pdf", "docx"):
        manager.get(f"/cases/{case.id}/letters/{letter_id}.{fmt}")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    audited = " ".join(str(e.detail) for e in db.session.scalars(select(AuditEvent)))
    for words in ("Robin", "Sam Parent", case.last_name):
        assert words not in logged and words not in audited
        assert words not in response.headers["Location"]


def test_the_case_page_reads_its_letters_in_one_query_however_many(accepted, count_queries):
    case, allocation, manager = accepted

    def page_queries() -> int:
        count_queries.clear()
        manager.page(f"/cases/{case.id}")
        return len(count_queries)

    _produce(manager, case.id, f"work-{allocation.id}")
    page_queries()  # the first view after producing also shows the confirmation
    one = page_queries()
    for _ in range(4):
        _produce(manager, case.id, f"work-{allocation.id}", "email")
    assert _count(FamilyLetter) == 5
    page_queries()
    assert page_queries() == one


def test_the_allocation_page_leads_to_the_letter_once_the_provider_accepts(accepted, make):
    case, allocation, manager = accepted
    link = manager.page(f"/allocations/{allocation.id}").select_one("#family-letter-link")
    assert link["href"] == f"/cases/{case.id}#letters"
    waiting = make.allocation(case=case, work_type="ot_advice")
    assert manager.page(f"/allocations/{waiting.id}").select_one("#family-letter-link") is None


def test_how_a_letter_was_sent_can_be_changed_later(accepted, make):
    case, allocation, manager = accepted
    _produce(manager, case.id, f"work-{allocation.id}", "post")
    letter_id = db.session.scalar(select(FamilyLetter.id))
    url = f"/cases/{case.id}/letters/{letter_id}/sent-by"
    page = manager.page(url)
    assert page.select_one("input[name=sent_by][value=post]").has_attr("checked")
    refused = manager.post(url, {"sent_by": "pigeon"})
    assert refused.status_code == 200
    assert "Select how the letter was sent" in manager.soup(refused).get_text()
    response = manager.post(url, {"sent_by": "by_hand"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/cases/{case.id}#letters"
    db.session.rollback()
    assert db.session.scalar(select(FamilyLetter.sent_by)) == "by_hand"
    assert _count(AuditEvent, AuditEvent.action == "family_letter_sent_by_changed") == 1
    assert manager.post(url, {"sent_by": "by_hand"}).status_code == 303  # unchanged: no row
    assert _count(AuditEvent, AuditEvent.action == "family_letter_sent_by_changed") == 1
    other = make.case()
    assert manager.get(f"/cases/{other.id}/letters/{letter_id}/sent-by").status_code == 404
