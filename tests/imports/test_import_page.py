"""The upload page at /cases/import."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from freezegun import freeze_time
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.imports import jobs as import_jobs
from provider_portal.models import Allocation, AuditEvent, Case, Provider, Role
from tests.helpers import check_page_hygiene
from tests.imports.files import ALLOCATION_HEADER, CASE_HEADER, csv_bytes, write_xlsx
from tests.imports.progress import done_banner, finished

URL = "/cases/import"
TITLE = "Import cases or an allocation log"


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time("2025-03-01 12:00:00"):
        yield


@pytest.fixture
def manager(client_for):  # type: ignore[no-untyped-def]
    return client_for(Role.MANAGER)


def _upload(data: bytes, name: str) -> tuple[io.BytesIO, str]:
    return (io.BytesIO(data), name)


def _post(client, **form: Any):  # type: ignore[no-untyped-def]
    form.setdefault("nonce", new_nonce())
    return client.post(URL, form, content_type="multipart/form-data")


def _soup(response) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    check_page_hygiene(soup)
    return soup


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case)) or 0


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_the_page_for_council_staff(client_for, role: Role) -> None:  # type: ignore[no-untyped-def]
    soup = client_for(role).page(URL)
    assert soup.h1.get_text(strip=True) == TITLE
    assert soup.title.get_text(strip=True).startswith(TITLE)
    form = soup.find("form", enctype="multipart/form-data")
    assert form["action"] == URL and form["method"] == "post" and form.has_attr("novalidate")
    assert form.find("input", attrs={"name": "csrf_token"})
    radios = [(r["value"], r["id"]) for r in form.find_all("input", type="radio")]
    assert radios == [("cases", "kind"), ("allocations", "kind-2")]
    file_input = form.find("input", type="file")
    assert (file_input["name"], file_input["id"]) == ("file", "file")
    assert ".csv" in file_input["accept"] and ".xlsx" in file_input["accept"]
    checkbox = form.find("input", type="checkbox")
    assert checkbox["name"] == "create_missing_providers"
    assert soup.find("label", attrs={"for": checkbox["id"]}).get_text(strip=True) == (
        "Create providers that do not exist yet"
    )
    assert soup.find(class_="govuk-error-summary") is None
    assert soup.find(style=True) is None


@pytest.mark.parametrize("role", [Role.MONITOR, Role.PROVIDER_ADMIN, Role.PRACTITIONER])
def test_other_roles_are_forbidden(client_for, role: Role) -> None:  # type: ignore[no-untyped-def]
    client = client_for(role)
    client.page(URL, status=403)
    response = _post(
        client,
        kind="cases",
        file=_upload(csv_bytes(CASE_HEADER, "EHC1,A,B,2015-01-01,2024-08-15"), "c.csv"),
    )
    assert response.status_code == 403
    assert _cases() == 0


def test_signed_out_people_are_sent_to_sign_in(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(URL)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_a_good_csv_is_imported_and_the_manager_is_shown_the_summary(manager) -> None:  # type: ignore[no-untyped-def]
    data = csv_bytes(
        CASE_HEADER,
        "EHC1,Alex,Smith,15/08/2015,2024-08-15",
        "EHC2,Sam,Jones,2015-01-01,1/2/2025",
    )
    response = _post(manager, kind="cases", file=_upload(data, "cases.csv"))
    soup = finished(manager, response)
    assert soup.h1.get_text(strip=True) == "Your file was imported"
    assert "Imported 2 cases: 2 new, 0 updated" in done_banner(soup)
    assert soup.find("a", id="import-cases")["href"] == "/cases"
    assert sorted(db.session.scalars(select(Case.case_ref))) == ["EHC1", "EHC2"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cases_imported"))
    assert event is not None
    assert (event.actor_id, event.detail) == (manager.user.id, "rows=2 created=2 updated=0")


def test_a_bad_csv_shows_every_problem_and_saves_nothing(manager) -> None:  # type: ignore[no-untyped-def]
    data = csv_bytes(
        CASE_HEADER,
        "EHC1,Alex,Smith,2015-01-01,2024-08-15",
        "EHC2,Sam,Jones,31/04/2015,2024-08-15",
        "EHC3,<b>Ali</b>,,2015-01-01,2024-08-15",
    )
    response = _post(manager, kind="cases", file=_upload(data, "cases.csv"))
    soup = finished(manager, response)
    assert soup.title.get_text(strip=True).startswith("Error: Your file was not imported")
    summary = soup.find(class_="govuk-error-summary")
    assert (
        summary.find(class_="govuk-error-summary__title").get_text(strip=True)
        == "The file was not imported"
    )
    link = summary.find("a")
    assert link["href"] == "#file"
    assert (
        link.get_text(strip=True) == "The file has 2 problems. Fix them and upload the file again"
    )
    table = soup.find("table", id="import-problems")
    assert [th.get_text(strip=True) for th in table.find_all("th")] == ["Line", "Column", "Problem"]
    rows = [
        [td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")
    ]
    assert rows == [
        ["3", "date_of_birth", "Date of birth must be a real date"],
        ["4", "last_name", "Enter the last name"],
    ]
    assert "<b>Ali</b>" not in str(soup)
    assert _cases() == 0
    assert (
        list(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%import%")))
        )
        == []
    )


def test_only_the_first_problems_are_shown_when_there_are_very_many(manager, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(import_jobs, "MAX_PROBLEMS_SHOWN", 2)
    lines = [f"EHC{n},Alex,Smith,31/04/2015,2024-08-15" for n in range(3)]
    response = _post(manager, kind="cases", file=_upload(csv_bytes(CASE_HEADER, *lines), "c.csv"))
    soup = finished(manager, response)
    assert len(soup.find("table", id="import-problems").tbody.find_all("tr")) == 2
    assert (
        soup.find(id="import-problems-more").get_text(strip=True)
        == "This shows the first 2 of 3 problems."
    )


def test_no_file_and_no_choice(manager) -> None:  # type: ignore[no-untyped-def]
    response = _post(manager)
    assert response.status_code == 200
    soup = _soup(response)
    assert soup.title.get_text(strip=True).startswith("Error: ")
    summary = soup.find(class_="govuk-error-summary")
    assert (
        summary.find(class_="govuk-error-summary__title").get_text(strip=True)
        == "There is a problem"
    )
    links = [(a["href"], a.get_text(strip=True)) for a in summary.find_all("a")]
    assert links == [
        ("#kind", "Select what the file contains"),
        ("#file", "Select a CSV or Excel file"),
    ]
    for href, _ in links:
        assert soup.find(id=href[1:]) is not None


def test_an_empty_file_choice(manager) -> None:  # type: ignore[no-untyped-def]
    # What a browser sends when no file was chosen: a part with an empty filename.
    response = _post(manager, kind="cases", file=_upload(b"", ""))
    summary = _soup(response).find(class_="govuk-error-summary")
    assert [a.get_text(strip=True) for a in summary.find_all("a")] == ["Select a CSV or Excel file"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cases.csv", b"", "The file is empty"),
        (
            "cases.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
            "Old Excel files (.xls) cannot be imported",
        ),
        ("cases.xlsm", b"PK\x03\x04", "Workbooks with macros (.xlsm) cannot be imported"),
        ("cases.xlsx", b"PK\x03\x04broken", "The file is not a valid Excel workbook (.xlsx)"),
        (
            "photo.png",
            b"\x89PNG\r\n",
            "The file must be a CSV file (.csv) or an Excel workbook (.xlsx)",
        ),
    ],
)
def test_files_that_cannot_be_read(manager, name: str, content: bytes, message: str) -> None:  # type: ignore[no-untyped-def]
    response = _post(manager, kind="cases", file=_upload(content, name))
    assert response.status_code == 200
    soup = _soup(response)
    error = soup.find(class_="govuk-error-message")
    assert message in error.get_text()
    assert soup.find(class_="govuk-error-summary").find("a")["href"] == "#file"


def test_an_xlsx_allocation_log_creating_providers(manager, make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    make.case(case_ref="EHC1")
    path = write_xlsx(
        tmp_path,
        [
            ALLOCATION_HEADER.split(","),
            [
                "EHC1",
                "Brand New Therapy",
                "ot_advice",
                date(2024, 9, 2),
                None,
                date(2024, 9, 20),
                None,
            ],
        ],
    )
    without = _post(manager, kind="allocations", file=_upload(path.read_bytes(), "log.xlsx"))
    assert (
        "There is no provider called Brand New Therapy"
        in finished(manager, without).find(id="import-problems").get_text()
    )
    assert db.session.scalar(select(func.count()).select_from(Provider)) == 0

    response = _post(
        manager,
        kind="allocations",
        create_missing_providers="y",
        file=_upload(path.read_bytes(), "log.xlsx"),
    )
    soup = finished(manager, response)
    allocation = db.session.scalar(select(Allocation))
    assert allocation is not None
    assert (allocation.provider.name, allocation.returned_on, allocation.allocated_by_id) == (
        "Brand New Therapy",
        date(2024, 9, 20),
        manager.user.id,
    )
    assert "Imported 1 allocation and created 1 provider" in done_banner(soup)


def test_without_a_csrf_token_nothing_happens(manager) -> None:  # type: ignore[no-untyped-def]
    data = csv_bytes(CASE_HEADER, "EHC1,Alex,Smith,2015-01-01,2024-08-15")
    response = manager.post(
        URL,
        {"kind": "cases", "file": _upload(data, "c.csv")},
        csrf=False,
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _cases() == 0
