"""The audit trail as CSV: the page's filters, fixed columns, formulas neutralised, audited."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from provider_portal.audit_log.queries import CSV_HEADER
from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role
from tests.audit_log.support import event, utc

IN_2023 = "date_from=1&date_from=1&date_from=2023&date_to=31&date_to=12&date_to=2023"


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


@pytest.fixture
def admin(client_for):
    return client_for(Role.ADMIN)


def test_columns_and_values(make, admin):
    provider = make.provider("Northbrook")
    person = make.user(Role.PRACTITIONER, provider=provider, email="pat@northbrook.example")
    case = make.case(case_ref="EHC-7")
    allocation = make.allocation(case=case, provider=provider)
    event(
        "allocation_viewed",
        utc(2023, 6, 1, 12, 30, 5),  # 13:30 BST: the export keeps UTC
        person,
        object_type="allocation",
        object_id=allocation.id,
        ip_address="192.0.2.7",
        detail="version=2",
    )
    event("case_anonymised", utc(2023, 6, 2), None, object_type="case", object_id=case.id)

    rows = _csv(admin.get(f"/audit.csv?{IN_2023}"))
    assert rows[0] == list(CSV_HEADER)
    assert rows[0] == [
        "occurred_at_utc",
        "actor_id",
        "actor_email",
        "action",
        "object_type",
        "object_id",
        "case_ref",
        "provider",
        "ip_address",
        "detail",
    ]
    assert rows[1:] == [
        [
            "2023-06-02T00:00:00Z",
            "",
            "",
            "case_anonymised",
            "case",
            str(case.id),
            "EHC-7",
            "",
            "",
            "",
        ],
        [
            "2023-06-01T12:30:05Z",
            str(person.id),
            "pat@northbrook.example",
            "allocation_viewed",
            "allocation",
            str(allocation.id),
            "EHC-7",
            "Northbrook",
            "192.0.2.7",
            "version=2",
        ],
    ]


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_formula_like_values_are_neutralised(make, admin, value):
    case = make.case(case_ref="=CASE()")
    event("case_viewed", utc(2023, 6, 1), case_id=case.id, detail=value)
    rows = _csv(admin.get(f"/audit.csv?{IN_2023}"))
    assert rows[1][CSV_HEADER.index("detail")] == "'" + value
    assert rows[1][CSV_HEADER.index("case_ref")] == "'=CASE()"


def test_one_line_per_event_whatever_the_detail_holds(admin):
    event("case_viewed", utc(2023, 6, 1), detail="\r=1")
    event("case_viewed", utc(2023, 6, 2), detail="first line\r\nsecond line")
    response = admin.get(f"/audit.csv?{IN_2023}")
    assert response.get_data(as_text=True).count("\n") == 3
    rows = _csv(response)
    assert [r[CSV_HEADER.index("detail")] for r in rows[1:]] == [
        "first line\\r\\nsecond line",
        "\\r=1",
    ]


def test_same_filters_as_the_page(make, admin):
    one = make.user(Role.MANAGER)
    two = make.user(Role.MANAGER)
    event("case_viewed", utc(2023, 6, 1), one)
    event("case_viewed", utc(2023, 6, 2), two)
    event("report_exported", utc(2023, 6, 3), one)
    event("case_viewed", utc(2024, 6, 3), one)
    rows = _csv(admin.get(f"/audit.csv?{IN_2023}&person={one.id}&action=case_viewed&page=2"))
    assert [(r[1], r[3], r[0]) for r in rows[1:]] == [
        (str(one.id), "case_viewed", "2023-06-01T00:00:00Z")
    ]
    page = admin.page(f"/audit?{IN_2023}&person={one.id}&action=case_viewed")
    link = page.select_one("#audit-export")["href"]
    assert link.startswith("/audit.csv?") and f"person={one.id}" in link
    assert _csv(admin.get(link)) == rows


def test_the_export_is_audited(make, admin):
    case = make.case(case_ref="EHC-9")
    event("case_viewed", utc(2023, 6, 1), case_id=case.id)
    before = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    rows = _csv(admin.get(f"/audit.csv?{IN_2023}&case_ref=EHC-9"))
    assert len(rows) == 2
    exported = db.session.scalars(
        select(AuditEvent).where(AuditEvent.id > before, AuditEvent.action == "audit_exported")
    ).all()
    assert len(exported) == 1
    assert exported[0].actor_id == admin.user.id
    assert exported[0].ip_address == "127.0.0.1"
    assert exported[0].detail == f"case={case.id} from=2023-01-01 to=2023-12-31 rows=1"
    # The page itself changes nothing.
    count = db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    admin.page(f"/audit?{IN_2023}")
    assert db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == count


def test_an_export_past_the_limit_is_refused_and_not_audited(make, admin, monkeypatch):
    from provider_portal.audit_log import services

    event("case_viewed", utc(2023, 6, 1))
    event("case_viewed", utc(2023, 6, 2))
    monkeypatch.setattr(services, "MAX_EXPORT_ROWS", 1)
    response = admin.get(f"/audit.csv?{IN_2023}")
    assert response.status_code == 400
    assert "limited to 1 rows. Choose a shorter date range" in response.get_data(as_text=True)
    exported = select(AuditEvent).where(AuditEvent.action == "audit_exported")
    assert db.session.scalar(exported) is None


def test_export_trail_is_the_service_the_route_calls(make):
    from provider_portal.audit_log.queries import AuditFilters
    from provider_portal.audit_log.services import export_trail

    person = make.user(Role.ADMIN)
    event("case_viewed", utc(2023, 6, 1))
    body = export_trail(AuditFilters(action="case_viewed"), person)
    db.session.commit()
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == list(CSV_HEADER) and len(rows) == 2
    exported = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "audit_exported"))
    assert exported.actor_id == person.id and exported.detail == "action=case_viewed rows=1"
