"""Two managers allocating the same work at the same moment: the database lets one win."""

from __future__ import annotations

import contextvars
import threading

from sqlalchemy import func, select

from provider_portal.allocations.services import allocate
from provider_portal.errors import AllocationError
from provider_portal.extensions import db
from provider_portal.models import Allocation, AuditEvent, Case, Provider, WorkType


def test_concurrent_allocations_of_one_case_let_exactly_one_succeed(app, make):
    case_id = make.case().id
    provider_ids = [make.provider().id for _ in range(6)]
    barrier = threading.Barrier(len(provider_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(provider_id: int) -> None:
        barrier.wait()
        # As two web requests would: each in its own request context and session.
        with app.test_request_context(method="POST"):
            case = db.session.get(Case, case_id)
            provider = db.session.get(Provider, provider_id)
            work_type = db.session.scalar(select(WorkType).where(WorkType.code == "ep_advice"))
            try:
                allocate(case, provider, work_type, actor=None)
                db.session.commit()
                result = "won"
            except AllocationError:
                db.session.rollback()
                result = "conflict"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [
        threading.Thread(target=contextvars.Context().run, args=(attempt, pid))
        for pid in provider_ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * 5 + ["won"]
    db.session.rollback()  # end the test's read snapshot to see what the threads committed
    assert db.session.scalar(select(func.count()).select_from(Allocation)) == 1
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "allocation_created")
        )
        == 1
    )
