"""The "Match your columns" step of the upload page, and the answers remembered per person."""

from __future__ import annotations

import io
import json
import logging
from datetime import date
from typing import Any

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.imports.columns import headers_key
from provider_portal.models import AuditEvent, Case, ImportMapping, Role
from tests.helpers import check_page_hygiene
from tests.imports.files import csv_bytes
from tests.imports.progress import done_banner, finished

URL = "/cases/import"
COLUMNS_URL = "/cases/import/columns"
HEADER = "Child No,Forename,Surname,Born,When it came in,Notes"
LINES = [f"EHC{n},Child{n},Family{n},14/03/2015,15/08/2024,note {n}" for n in range(1, 8)]
HEADERS = ["child no", "forename", "surname", "born", "when it came in", "notes"]
ANSWERS = {
    "column_case_ref": "child no",
    "column_date_of_birth": "born",
    "column_request_received_on": "when it came in",
}


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


@pytest.fixture
def manager(client_for):  # type: ignore[no-untyped-def]
    return client_for(Role.MANAGER)


def _file(*lines: str) -> tuple[io.BytesIO, str]:
    return (io.BytesIO(csv_bytes(*(lines or (HEADER, *LINES)))), "export.csv")


def _upload(client, **form: Any):  # type: ignore[no-untyped-def]
    form = {"kind": "cases", "nonce": new_nonce(), "file": _file(), **form}
    return client.post(URL, form, content_type="multipart/form-data")


def _answer(client, answers: dict[str, str] | None = None, **form: Any):  # type: ignore[no-untyped-def]
    form = {
        "kind": "cases",
        "create_missing_providers": "",
        "headers": json.dumps(HEADERS),
        "nonce": new_nonce(),
        "file": _file(),
        **(ANSWERS if answers is None else answers),
        **form,
    }
    return client.post(COLUMNS_URL, form, content_type="multipart/form-data")


def _soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    check_page_hygiene(soup)
    return soup


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case)) or 0


def _summary_links(soup: BeautifulSoup) -> list[tuple[str, str]]:
    summary = soup.find(class_="govuk-error-summary")
    return [(a["href"], a.get_text(strip=True)) for a in summary.find_all("a")]


def test_an_unmatched_required_column_gets_a_question_and_a_preview(manager, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    response = _upload(manager)
    soup = _soup(response)
    assert soup.h1.get_text(strip=True) == "Match your columns"
    assert _cases() == 0
    form = soup.find("form", action=COLUMNS_URL)
    assert form["method"] == "post" and form["enctype"] == "multipart/form-data"
    questions = [
        (select["name"], soup.find("label", attrs={"for": select["id"]}).get_text(strip=True))
        for select in form.find_all("select")
    ]
    assert questions == [
        ("column_case_ref", "Which of your columns is the case reference?"),
        ("column_date_of_birth", "Which of your columns is the date of birth?"),
        (
            "column_request_received_on",
            "Which of your columns is the date the request was received?",
        ),
    ]
    offered = [o["value"] for o in form.find("select").find_all("option")]
    assert offered == ["", "child no", "born", "when it came in", "notes"]
    hidden = {i["name"]: i["value"] for i in form.find_all("input", type="hidden")}
    assert (hidden["kind"], json.loads(hidden["headers"])) == ("cases", HEADERS)
    assert len(hidden["nonce"]) >= 32
    assert form.find("input", type="file")["name"] == "file"
    matched = soup.find(id="columns-matched").get_text(" ", strip=True)
    assert "First name forename" in matched and "Last name surname" in matched
    # At most five rows of the children's details, only in the page's body.
    preview = soup.find("table", id="columns-preview")
    assert [th.get_text(strip=True) for th in preview.thead.find_all("th")] == [
        "Your column",
        *(f"Line {n}" for n in range(2, 7)),
    ]
    rows = [
        [c.get_text(strip=True) for c in tr.find_all(["th", "td"])] for tr in preview.tbody("tr")
    ]
    assert rows[0] == ["child no", "EHC1", "EHC2", "EHC3", "EHC4", "EHC5"]
    assert rows[-1] == ["notes", "note 1", "note 2", "note 3", "note 4", "note 5"]
    text = response.get_data(as_text=True)
    assert "Child6" not in text and "EHC6" not in text
    assert response.headers["Cache-Control"] == "no-store"
    for link in soup.find_all(href=True):
        assert "EHC1" not in link["href"] and "Child1" not in link["href"]
    assert not any("Child1" in record.getMessage() for record in caplog.records)


def test_answering_imports_the_file_and_remembers_the_answers(manager) -> None:  # type: ignore[no-untyped-def]
    banner = done_banner(finished(manager, _answer(manager)))
    assert "Imported 7 cases: 7 new, 0 updated" in banner
    assert '"child no" as the case reference' in banner
    assert 'This column was ignored: "notes"' in banner
    assert _cases() == 7
    case = db.session.scalar(select(Case).where(Case.case_ref == "EHC1"))
    assert case is not None
    assert (case.first_name, case.date_of_birth, case.request_received_on) == (
        "Child1",
        date(2015, 3, 14),
        date(2024, 8, 15),
    )
    saved = db.session.scalar(select(ImportMapping))
    assert saved is not None
    assert (saved.user_id, saved.kind, saved.headers_key) == (
        manager.user.id,
        "cases",
        headers_key(HEADERS),
    )
    assert json.loads(saved.mapping) == {
        "child no": "case_ref",
        "born": "date_of_birth",
        "when it came in": "request_received_on",
    }
    actions = [
        (e.action, e.detail)
        for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        if "import" in e.action
    ]
    assert actions == [
        ("import_columns_matched", "kind=cases columns=case_ref,date_of_birth,request_received_on"),
        ("cases_imported", "rows=7 created=7 updated=0"),
    ]


def test_the_next_file_with_the_same_headings_goes_straight_through(manager, client_for) -> None:  # type: ignore[no-untyped-def]
    finished(manager, _answer(manager))
    # Spelled differently but the same once case and punctuation are set aside.
    again = _upload(
        manager, file=_file("CHILD_NO,forename,surname,born,When It Came In,notes", LINES[0])
    )
    banner = done_banner(finished(manager, again))
    assert "Your columns were matched as you chose" in banner
    assert "Imported 1 case: 0 new, 1 updated" in banner
    # The answers are the manager's: a colleague with the same file is asked.
    colleague = client_for(Role.ADMIN)
    assert _soup(_upload(colleague)).h1.get_text(strip=True) == "Match your columns"


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        (
            {},
            [
                ("#column_case_ref", "Select which of your columns is the case reference"),
                ("#column_date_of_birth", "Select which of your columns is the date of birth"),
                ("#column_request_received_on", "Select which of your columns is the request date"),
            ],
        ),
        (
            {**ANSWERS, "column_date_of_birth": "child no"},
            [
                (
                    "#column_date_of_birth",
                    '"child no" is already the case reference. Choose a different column for each',
                )
            ],
        ),
        (
            {**ANSWERS, "column_case_ref": "forename"},
            [("#column_case_ref", "Select which of your columns is the case reference")],
        ),
    ],
)
def test_answers_that_cannot_be_used(manager, answers: dict[str, str], errors: list) -> None:  # type: ignore[no-untyped-def,type-arg]
    soup = _soup(_answer(manager, answers))
    assert soup.title.get_text(strip=True).startswith("Error: Match your columns")
    assert _summary_links(soup) == errors
    for href, _ in errors:
        assert soup.find(id=href[1:]) is not None
    assert soup.find("table", id="columns-preview") is not None  # read again from the file
    assert _cases() == 0
    assert db.session.scalar(select(func.count()).select_from(ImportMapping)) == 0


def test_the_file_must_come_again_and_be_the_same_file(manager) -> None:  # type: ignore[no-untyped-def]
    missing = _soup(_answer(manager, file=(io.BytesIO(b""), "")))
    assert _summary_links(missing) == [("#file", "Select the file again")]
    assert missing.find(id="columns-preview-missing") is not None
    other = _soup(_answer(manager, file=_file("a,b", "1,2")))
    assert _summary_links(other) == [
        (
            "#file",
            "This file's columns are not the ones you are matching. Select the same file, or "
            "start again with the new one",
        )
    ]
    broken = _soup(_answer(manager, file=(io.BytesIO(b"PK\x03\x04broken"), "export.xlsx")))
    assert _summary_links(broken) == [("#file", "The file is not a valid Excel workbook (.xlsx)")]
    assert _cases() == 0


def test_a_file_with_problems_after_matching_lists_them_and_keeps_the_answers(manager) -> None:  # type: ignore[no-untyped-def]
    bad = _file(HEADER, "EHC1,Alex,Smith,31/04/2015,15/08/2024,")
    soup = finished(manager, _answer(manager, file=bad))
    assert soup.h1.get_text(strip=True) == "Your file was not imported"
    table = soup.find("table", id="import-problems")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.tbody("tr")]
    assert rows == [["2", "date_of_birth", "Date of birth must be a real date"]]
    assert "matched as you chose" in soup.find(id="import-columns-chosen").get_text()
    ignored = soup.find(id="import-columns-ignored").get_text(strip=True)
    assert ignored == 'This column was ignored: "notes".'
    assert soup.find("input", attrs={"name": "kind", "value": "cases"}).has_attr("checked")
    assert soup.find("input", attrs={"name": "nonce"})["value"]
    assert db.session.scalar(select(func.count()).select_from(ImportMapping)) == 1


def test_ambiguous_headings_are_a_problem_not_a_question(manager) -> None:  # type: ignore[no-untyped-def]
    file = _file(
        "case_ref,first_name,last_name,dob,date request received,receiveddate",
        "EHC1,Alex,Smith,2015-01-01,2024-08-15,2024-08-16",
    )
    soup = finished(manager, _upload(manager, file=file))
    assert soup.h1.get_text(strip=True) == "Your file was not imported"
    assert _summary_links(soup) == [
        ("#file", "The file has 1 problem. Fix it and upload the file again")
    ]
    problem = soup.find("table", id="import-problems").tbody.get_text(" ", strip=True)
    assert '"date request received" and "receiveddate" could each be the request date' in problem


def test_the_same_upload_sent_twice_imports_once(manager) -> None:  # type: ignore[no-untyped-def]
    nonce = new_nonce()
    line = "case_ref,first_name,last_name,dob,date request received"
    first = _upload(manager, nonce=nonce, file=_file(line, "EHC1,Alex,Smith,2015-01-01,2024-08-15"))
    finished(manager, first)
    again = _upload(manager, nonce=nonce, file=_file(line, "EHC1,Alex,Smith,2015-01-01,2024-08-15"))
    assert again.status_code == 303
    banner = manager.page("/cases").find(class_="govuk-notification-banner--success").get_text()
    assert "The file was imported when you first sent it" in banner
    events = select(func.count()).where(AuditEvent.action == "cases_imported")
    assert db.session.scalar(events) == 1


def test_an_upload_without_its_nonce_is_refused(manager) -> None:  # type: ignore[no-untyped-def]
    form = {"kind": "cases", "file": _file()}
    response = manager.post(URL, form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert _cases() == 0


@pytest.mark.parametrize(
    "form",
    [
        {"headers": "not json"},
        {"headers": json.dumps({"a": 1})},
        {"headers": json.dumps([])},
        {"headers": json.dumps(["x" * 1001])},
        {"kind": "people"},
    ],
)
def test_a_hand_made_columns_step_is_a_bad_request(manager, form: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert _answer(manager, **form).status_code == 400
    assert _cases() == 0


def test_an_allocation_log_matched_by_hand_keeps_its_provider_choice(manager, make) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    header = "case_ref,firm,work_type,allocated_on"
    upload = _upload(
        manager,
        kind="allocations",
        create_missing_providers="y",
        file=_file(header, "EHC1,Brand New Therapy,ot_advice,2024-09-02"),
    )
    soup = _soup(upload)
    assert [s["name"] for s in soup.find_all("select")] == ["column_provider"]
    assert soup.find("input", attrs={"name": "create_missing_providers"})["value"] == "y"
    response = _answer(
        manager,
        {"column_provider": "firm"},
        kind="allocations",
        create_missing_providers="y",
        headers=json.dumps(header.split(",")),
        file=_file(header, "EHC1,Brand New Therapy,ot_advice,2024-09-02"),
    )
    banner = done_banner(finished(manager, response))
    assert "Imported 1 allocation and created 1 provider" in banner
