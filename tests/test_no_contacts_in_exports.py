"""The contacts for the work are for the provider's page only: never in a report, an export,
a page title, an audit row or a log line."""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import date

from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role
from tests.cases.test_contacts import CONTACTS, save

EXPORTS = (
    "/reports/monthly.csv?start=2024-01&end=2024-12",
    "/reports/compliance.csv?start=2024-01&end=2024-12",
    "/reports/pack.csv",
    "/reports/pack.xlsx",
    "/reports/foi.csv",
    "/reports/sen2.csv?year=2024",
    "/reports/sen2-validation.csv?year=2024",
    "/reports/spend.csv",
)


def _text(body: bytes) -> str:
    """A CSV as text, or every part of an XLSX (a zip of XML) joined."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            return "\n".join(book.read(name).decode() for name in book.namelist())
    return body.decode("utf-8-sig")


def test_contacts_stay_out_of_exports_titles_audit_and_logs(app, make, client_for, caplog):
    caplog.set_level(logging.DEBUG)
    provider = make.provider("Northbrook")
    case = make.case(request_received_on=date(2024, 5, 1))
    allocation = make.allocation(
        case=case, provider=provider, provider_accepted_on=date(2024, 8, 2)
    )
    manager = client_for(Role.MANAGER)
    provider_admin = client_for(Role.PROVIDER_ADMIN, provider=provider)
    monitor = client_for(Role.MONITOR)

    assert save(manager, case.id, CONTACTS).status_code == 303
    bad = save(manager, case.id, {**CONTACTS, "contacts-senco_phone": "12345"})  # refused
    assert bad.status_code == 200
    titles = [manager.soup(bad).title.get_text()]
    pages = [
        (manager, f"/cases/{case.id}"),
        (manager, f"/cases/{case.id}/contacts"),
        (manager, f"/allocations/{allocation.id}"),
        (manager, "/cases/backlog"),
        (provider_admin, f"/provider/allocations/{allocation.id}"),
    ]
    for client, url in pages:
        page = client.page(url)
        titles.append(page.title.get_text())
    # The provider's page does show them (the values searched for below are live).
    assert CONTACTS["contacts-senco_email"] in page.select_one("#contact-list").get_text()
    exported = []
    for url in EXPORTS:
        response = monitor.get(url)
        assert response.status_code == 200, url
        exported.append(_text(response.get_data()))
    backlog = app.test_cli_runner().invoke(args=["report", "backlog"])
    assert backlog.exit_code == 0, backlog.output
    exported.append(backlog.output)

    db.session.rollback()
    audit_rows = [
        " ".join(str(value) for value in row)
        for row in db.session.execute(select(AuditEvent.__table__))
    ]
    assert any("case_contacts_changed" in row for row in audit_rows)
    logged = [record.getMessage() for record in caplog.records]
    for where, texts in (
        ("titles", titles),
        ("exports", exported),
        ("audit", audit_rows),
        ("logs", logged),
    ):
        found = [v for v in CONTACTS.values() for text in texts if v in text]
        assert not found, f"{where}: {found}"
