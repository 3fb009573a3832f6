"""List pages and the report run the same number of queries whatever the data size."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import parse_qsl

import pytest

from provider_portal.extensions import db
from provider_portal.models import Allocation, AllocationStatus, Case, Document, Role, WorkType


def _add_data(provider, n: int, batch: str) -> Case:
    work_types = db.session.query(WorkType).all()
    first = None
    for i in range(n):
        case = Case(
            case_ref=f"QC{batch}-{i:05d}",
            first_name="Sam",
            last_name=f"Count{i}",
            date_of_birth=date(2014, 1, 1),
            request_received_on=date(2024, 1, 1) + timedelta(i % 200),
        )
        db.session.add(case)
        for j, work_type in enumerate(work_types[:2]):
            allocation = Allocation(
                case=case,
                provider=provider,
                work_type=work_type,
                allocated_on=date(2024, 8, 1) + timedelta(days=i % 90),
                due_on=date(2024, 9, 12),
                status=AllocationStatus.RETURNED,
                returned_on=date(2024, 9, 1),
            )
            db.session.add(allocation)
            db.session.add(
                Document(
                    allocation=allocation,
                    version=1,
                    original_filename="a.pdf",
                    stored_name=f"{batch}x{i}x{j}",
                    content_type="application/pdf",
                    size_bytes=10,
                    sha256="0" * 64,
                )
            )
        first = first or case
    db.session.commit()
    return first


def _count(count_queries, client, url) -> int:
    """Statements for one GET, or for "POST <path> <form>" (a posted search)."""
    if url.startswith("POST "):
        _, path, form = url.split(" ")
        client.token()  # read before counting: the token comes from a page of its own
        count_queries.clear()
        response = client.post(path, dict(parse_qsl(form)))
        assert response.status_code == 200, response.status_code
        return len(count_queries)
    count_queries.clear()
    client.page(url)
    return len(count_queries)


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.MANAGER, "/cases"),
        (Role.MANAGER, "/cases/backlog"),
        (Role.MANAGER, "/cases/backlog?flags=phase_transfer&band=over_26&unallocated=ep_advice"),
        (Role.MANAGER, "POST /cases q=count&allocation=open"),
        (Role.MANAGER, "POST /cases/backlog q=count&window=4"),
        (Role.MANAGER, "/allocations"),
        (Role.MANAGER, "/allocations?status=returned"),
        (Role.MANAGER, "/reports/monthly?start=2024-01&end=2024-12"),
        (Role.MANAGER, "/reports/compliance?start=2024-01&end=2024-12"),
        (Role.PROVIDER_ADMIN, "/provider/allocations"),
        (Role.MANAGER, "/cases/{case_id}"),
        (Role.MANAGER, "/allocations/{allocation_id}"),
        (Role.PROVIDER_ADMIN, "/provider/allocations/{allocation_id}"),
        (Role.PROVIDER_ADMIN, "/provider/allocations?status=returned"),
        (Role.PRACTITIONER, "/provider/allocations"),
        (Role.MANAGER, "/allocations?status=declined"),
        (Role.ADMIN, "/audit"),
        (Role.ADMIN, "/audit?case_ref=QCa-00000&date_from=1&date_from=1&date_from=2024"),
    ],
)
def test_queries_do_not_grow_with_data(make, client_for, count_queries, role, url):
    provider = make.provider()
    client = client_for(role, provider=provider if role.is_provider else None)
    case = _add_data(provider, 3, "a")
    ids = {"case_id": case.id, "allocation_id": case.allocations[0].id}
    small = _count(count_queries, client, url.format(**ids))
    _add_data(make.provider(), 60, "b")
    _add_data(provider, 60, "c")
    large = _count(count_queries, client, url.format(**ids))
    assert small == large, f"{url}: {small} queries with little data, {large} with more"
    # 13: the case page, which also lists the case's family letters (one query).
    assert large <= 13
