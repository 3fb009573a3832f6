"""A form sent twice records once: the case page's exception and outcome forms carry a one-time
nonce, kept with the change, so a double click, back-and-resubmit or a retry (even two copies
at the same moment) saves one record and one audit row, and is answered as the first time."""

from __future__ import annotations

import contextvars
import threading
from datetime import date

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Case, CaseException, FormSubmission, Role


def _count(model, *where) -> int:
    db.session.rollback()  # see what the requests committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _audited(action: str) -> int:
    return _count(AuditEvent, AuditEvent.action == action)


def _form(client, case_id: int, prefix: str) -> dict[str, object]:
    """The form as the case page drew it: its nonce, version and CSRF token."""
    soup = client.page(f"/cases/{case_id}")
    data: dict[str, object] = {}
    for field in soup.select(f"input[type=hidden][name^='{prefix}-']"):
        data[field["name"]] = field["value"]
    assert data[f"{prefix}-nonce"], "the page draws the form with a nonce"
    return data


@pytest.fixture
def exception_form(make, client_for):
    case = make.case(request_received_on=date(2024, 6, 1))
    manager = client_for(Role.MANAGER)
    data = _form(manager, case.id, "exception")
    data.update(
        {
            "exception-reason": "school_holiday",
            "exception-starts_on": ["12", "7", "2024"],
            "exception-ends_on": ["3", "9", "2024"],
            "exception-note": "School closed for the summer",
        }
    )
    return manager, case, data


def test_an_exception_posted_twice_is_recorded_once(exception_form):
    manager, case, data = exception_form
    first = manager.post(f"/cases/{case.id}/exceptions", data)
    again = manager.post(f"/cases/{case.id}/exceptions", data)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"] == f"/cases/{case.id}"
    assert _count(CaseException) == 1
    assert _audited("exception_recorded") == 1
    assert _count(FormSubmission) == 1
    # The page after the repeat says what the person expects, once.
    page = manager.page(f"/cases/{case.id}")
    assert "Exception recorded" in page.get_text()
    # A fresh form from the page is a new nonce: a second exception is recorded.
    fresh = dict(
        data, **{"exception-nonce": _form(manager, case.id, "exception")["exception-nonce"]}
    )
    assert manager.post(f"/cases/{case.id}/exceptions", fresh).status_code == 303
    assert _count(CaseException) == 2


def test_a_form_with_mistakes_keeps_its_nonce_for_the_corrected_copy(exception_form):
    manager, case, data = exception_form
    wrong = dict(data, **{"exception-ends_on": ["1", "7", "2024"]})  # before the start
    response = manager.post(f"/cases/{case.id}/exceptions", wrong)
    assert response.status_code == 200
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("#exception-nonce")["value"] == data["exception-nonce"]
    assert manager.post(f"/cases/{case.id}/exceptions", data).status_code == 303
    assert _count(CaseException) == 1


def test_a_form_without_a_nonce_records_nothing(exception_form):
    manager, case, data = exception_form
    for nonce in ("", "short", "x" * 65, "not a nonce but long enough to be one!!"):
        response = manager.post(f"/cases/{case.id}/exceptions", {**data, "exception-nonce": nonce})
        assert response.status_code == 400
    assert _count(CaseException) == 0


DECISION = {"assess-decision": "agreed", "assess-decision_to_assess_on": ["1", "7", "2024"]}


def test_an_outcome_posted_twice_is_saved_once_and_not_called_a_conflict(make, client_for):
    case = make.case(request_received_on=date(2024, 6, 1))
    manager = client_for(Role.MANAGER)
    data = {**_form(manager, case.id, "assess"), **DECISION}
    url = f"/cases/{case.id}/outcomes/assessment-decision"
    first = manager.post(url, data)
    # Back, then resubmit: the case's version has moved on and the decision is recorded, but
    # this is the same form: neither a conflict nor "already recorded".
    again = manager.post(url, data)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == f"/cases/{case.id}"
    assert _audited("assessment_decision_recorded") == 1
    assert db.session.get(Case, case.id).decision_to_assess_on == date(2024, 7, 1)


@pytest.mark.parametrize("path", ["exceptions", "outcomes/assessment-decision"])
def test_two_copies_at_the_same_moment_record_once(app, make, client_for, path):
    case = make.case(request_received_on=date(2024, 6, 1))
    manager = client_for(Role.MANAGER)
    prefix = "exception" if path == "exceptions" else "assess"
    data = _form(manager, case.id, prefix)
    data["csrf_token"] = manager.token()
    data.update(
        {
            "exception-reason": "school_holiday",
            "exception-starts_on": ["12", "7", "2024"],
        }
        if path == "exceptions"
        else DECISION
    )
    url = f"/cases/{case.id}/{path}"
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    lock = threading.Lock()

    def post() -> None:
        barrier.wait()
        # The same browser sending the form twice: one session, two requests at once.
        response = manager.http._client.post(url, data=data)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=contextvars.Context().run, args=(post,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [303, 303]
    action = "exception_recorded" if path == "exceptions" else "assessment_decision_recorded"
    assert _audited(action) == 1
    assert _count(FormSubmission) == 1
    if path == "exceptions":
        assert _count(CaseException) == 1
