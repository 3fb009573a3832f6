"""List pages and the report run the same number of queries whatever the data size."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationMessage,
    AllocationPaper,
    AllocationStatus,
    Case,
    CasePaper,
    Document,
    Role,
    WorkType,
)


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
        (Role.MANAGER, "/cases/{case_id}/contacts"),
        (Role.MANAGER, "/allocations/{allocation_id}"),
        (Role.PROVIDER_ADMIN, "/provider/allocations/{allocation_id}"),
        (Role.PROVIDER_ADMIN, "/provider/allocations?status=returned"),
        (Role.PRACTITIONER, "/provider/allocations"),
        (Role.MANAGER, "/allocations?status=declined"),
        (Role.ADMIN, "/audit"),
        (Role.ADMIN, "/audit?case_ref=QCa-00000&date_from=1&date_from=1&date_from=2024"),
        (Role.MANAGER, "/allocations?due=this_week"),
        (Role.MANAGER, "/allocations?due=overdue"),
        (Role.PROVIDER_ADMIN, "/provider/allocations?due=this_week&answer=awaiting"),
        (Role.MANAGER, "/cases/backlog?unallocated=nothing&window=0"),
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
    # 16: the case page also reads its papers, the papers each work type takes and its
    # family letters (one query each); and every page the header's count of the person's
    # unread notifications (one COUNT).
    assert large <= 16


def _add_papers(case: Case, n: int, start: int) -> None:
    """n papers on the case, each shared with every piece of its work."""
    for i in range(start, start + n):
        paper = CasePaper(
            case_id=case.id,
            kind="other",
            title=f"Paper {i}",
            original_filename="p.pdf",
            stored_name=f"paper{i}",
            content_type="application/pdf",
            size_bytes=10,
            sha256="0" * 64,
        )
        db.session.add(paper)
        db.session.flush()
        for allocation in case.allocations:
            db.session.add(AllocationPaper(allocation_id=allocation.id, paper_id=paper.id))
    db.session.commit()


def _add_questions(allocation: Allocation, make, n: int) -> None:
    """n messages by n different people on the work, and n other pieces of work waiting."""
    for i in range(n):
        author = make.user(
            Role.MANAGER if i % 2 else Role.PROVIDER_ADMIN,
            provider=None if i % 2 else allocation.provider,
        )
        db.session.add(
            AllocationMessage(
                allocation=allocation,
                author_id=author.id,
                from_council=bool(i % 2),
                body=f"Message {i}",
            )
        )
        waiting = make.allocation(provider=make.provider())
        waiting.unanswered_question_at = datetime(2024, 8, 1, tzinfo=UTC) + timedelta(hours=i)
    allocation.unanswered_question_at = datetime(2024, 8, 1, tzinfo=UTC)
    db.session.commit()


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.MANAGER, "/allocations/{allocation_id}"),
        (Role.MANAGER, "/allocations"),
        (Role.MANAGER, "/cases/backlog"),
        (Role.PROVIDER_ADMIN, "/provider/allocations/{allocation_id}"),
    ],
)
def test_question_threads_do_not_grow_the_queries(make, client_for, count_queries, role, url):
    provider = make.provider()
    client = client_for(role, provider=provider if role.is_provider else None)
    allocation = make.allocation(provider=provider)
    url = url.format(allocation_id=allocation.id)
    _add_questions(allocation, make, 2)
    small = _count(count_queries, client, url)
    _add_questions(allocation, make, 14)
    large = _count(count_queries, client, url)
    assert small == large, f"{url}: {small} queries with few messages, {large} with more"


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.MANAGER, "/cases/{case_id}"),
        (Role.PROVIDER_ADMIN, "/provider/allocations/{allocation_id}"),
        (Role.MANAGER, "POST /cases/backlog/allocate {bulk}"),
        (Role.ADMIN, "/admin/work-types/{work_type_id}"),
    ],
)
def test_paper_pages_do_not_grow_with_papers(make, client_for, count_queries, role, url):
    provider = make.provider()
    client = client_for(role, provider=provider if role.is_provider else None)
    cases = [_add_data(provider, 1, f"p{i}") for i in range(3)]
    for case in cases:
        case.allocations[0].status = AllocationStatus.ALLOCATED
        _add_papers(case, 1, case.id * 1000)
    bulk = "&".join(
        [f"bulk-work_type=ep_advice&bulk-provider={provider.id}"]
        + [f"case_id={case.id}" for case in cases]
    )
    ids = {
        "case_id": cases[0].id,
        "allocation_id": cases[0].allocations[0].id,
        "work_type_id": cases[0].allocations[0].work_type_id,
        "bulk": bulk,
    }
    small = _count(count_queries, client, url.format(**ids))
    for case in cases:
        _add_papers(case, 15, case.id * 1000 + 1)
    large = _count(count_queries, client, url.format(**ids))
    assert small == large, f"{url}: {small} queries with few papers, {large} with more"


def _add_outbox(make, n: int) -> None:
    """n emails, each to a different person or provider's team mailbox, in every status."""
    from provider_portal.models import OutboxMessage
    from provider_portal.models.notifications import OUTBOX_STATUSES

    for i in range(n):
        provider = make.provider()
        user = make.user(Role.PROVIDER_ADMIN, provider=provider) if i % 2 else None
        db.session.add(
            OutboxMessage(
                user_id=user.id if user else None,
                provider_id=None if user else provider.id,
                to_address=user.email if user else "team@provider.example",
                template="work_allocated" if i % 3 else "digest",
                status=OUTBOX_STATUSES[i % len(OUTBOX_STATUSES)],
            )
        )
    db.session.commit()


@pytest.mark.parametrize("url", ["/admin/outbox", "/admin/outbox?status=failed&page=2"])
def test_the_outbox_does_not_grow_the_queries(make, client_for, count_queries, url):
    client = client_for(Role.ADMIN)
    _add_outbox(make, 4)
    small = _count(count_queries, client, url)
    _add_outbox(make, 240)
    large = _count(count_queries, client, url)
    assert small == large, f"{url}: {small} queries with few emails, {large} with more"
    assert large <= 10


def _add_home_data(make, n: int, batch: str) -> None:
    """n providers with a contract each, and n pieces of work of every kind the home pages
    count (one case each): new, due this week, overdue, sent back, returned, with a
    question waiting."""
    from provider_portal.timescales import today

    on = today()
    providers = []
    for i in range(n):
        provider = make.provider(f"Home {batch} {i}")
        make.contract(provider=provider, stated_monthly_capacity=10 + i)
        providers.append(provider)
    kinds = [
        (AllocationStatus.ALLOCATED, None),
        (AllocationStatus.ALLOCATED, on),
        (AllocationStatus.AMENDMENT_REQUESTED, on),
        (AllocationStatus.RETURNED, on),
    ]
    work_type = db.session.query(WorkType).filter_by(code="plan_writing").one()
    for i in range(n):
        for j, (status, accepted) in enumerate(kinds):
            case = Case(
                case_ref=f"HM{batch}-{i:05d}-{j}",
                first_name="Sam",
                last_name=f"Home{i}",
                date_of_birth=date(2014, 1, 1),
                request_received_on=date(2024, 1, 1) + timedelta(i % 100),
            )
            db.session.add(case)
            db.session.add(
                Allocation(
                    case=case,
                    provider=providers[(i + j) % n],
                    work_type=work_type,
                    allocated_on=on - timedelta(days=i % 3),
                    due_on=on + timedelta(days=(i + j) % 9 - 3),
                    status=status,
                    provider_accepted_on=accepted,
                    unanswered_question_at=datetime(2024, 8, 1, tzinfo=UTC) if j == 3 else None,
                )
            )
    db.session.commit()


@pytest.mark.parametrize(
    ("role", "url"),
    [(Role.MANAGER, "/home"), (Role.ADMIN, "/home"), (Role.PROVIDER_ADMIN, "/provider/home")],
)
def test_the_home_pages_do_not_grow_with_data(make, client_for, count_queries, role, url):
    client = client_for(role, provider=make.provider() if role.is_provider else None)
    _add_home_data(make, 2, "a")
    if role.is_provider:
        _give_work_to(client.user.provider, 2)
    small = _count(count_queries, client, url)
    _add_home_data(make, 40, "b")
    if role.is_provider:
        _give_work_to(client.user.provider, 40)
    large = _count(count_queries, client, url)
    assert small == large, f"{url}: {small} queries with little data, {large} with more"
    # The provider's home also shows how it compares (the league table's aggregates).
    assert large <= (16 if role.is_provider else 12)


def _give_work_to(provider, n: int) -> None:
    """Move n pieces of the home data's work of each kind to the provider."""
    allocations = db.session.scalars(
        sa.select(Allocation).where(Allocation.provider_id != provider.id).limit(4 * n)
    ).all()
    for allocation in allocations:
        allocation.provider_id = provider.id
    db.session.commit()


def test_the_bulk_check_does_not_grow_with_the_selection_or_conflicts(
    make, client_for, count_queries
):
    provider = make.provider()
    other = make.provider()
    client = client_for(Role.MANAGER)
    form = {"bulk-work_type": "ep_advice", "bulk-provider": str(provider.id)}

    def check(n: int, batch: str) -> int:
        cases = [
            make.case(case_ref=f"BK{batch}{i:03d}", request_received_on=date(2024, 1, 1))
            for i in range(n)
        ]
        for case in cases[: n // 2]:  # half already have the work open elsewhere
            make.allocation(case=case, provider=other)
        client.post("/cases/backlog/selection", {"selection": "clear"})
        client.post("/cases/backlog/selection", {"case_id": [str(c.id) for c in cases]})
        client.token()
        count_queries.clear()
        response = client.post("/cases/backlog/allocate", form)
        assert response.status_code == 200 and "conflict-list" in response.get_data(as_text=True)
        return len(count_queries)

    small = check(2, "a")
    large = check(60, "b")
    assert small == large, f"bulk check: {small} queries for 2 cases, {large} for 60"
