"""What the bulk check page shows before several cases are allocated at once (the batch
itself is allocations.services.allocate_batch): the cases, the contract figures, and the
provider's load and capacity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from provider_portal.contracts.allocating import (
    ContractCost,
    preselected,
    provider_contract_costs,
)
from provider_portal.extensions import db
from provider_portal.models import (
    OPEN_STATUSES,
    Allocation,
    AllocationStatus,
    Case,
    Provider,
    WorkType,
)
from provider_portal.timescales import month_start

MAX_BULK = 200


@dataclass
class ProviderLoad:
    """A provider's open work, by type, to judge capacity before allocating more."""

    by_work_type: list[tuple[str, int]]
    total: int
    overdue: int


@dataclass(frozen=True)
class OpenWork:
    """A selected case that already has open work of the type chosen: left out of the batch."""

    case_id: int
    case_ref: str
    provider_name: str
    status: AllocationStatus


def open_work_of_type(case_ids: list[int], work_type: WorkType) -> dict[int, OpenWork]:
    """By case id, the cases among case_ids with open work of this type (one query)."""
    if not case_ids:
        return {}
    rows = db.session.execute(
        select(Allocation.case_id, Case.case_ref, Provider.name, Allocation.status)
        .join(Case, Case.id == Allocation.case_id)
        .join(Provider, Provider.id == Allocation.provider_id)
        .where(
            Allocation.case_id.in_(case_ids),
            Allocation.work_type_id == work_type.id,
            Allocation.status.in_(OPEN_STATUSES),
        )
        .order_by(Case.case_ref, Allocation.id)
    )
    found: dict[int, OpenWork] = {}
    for case_id, case_ref, provider_name, status in rows:
        found.setdefault(case_id, OpenWork(case_id, case_ref, provider_name, status))
    return found


def cases_for(ids: list[int]) -> list[Case]:
    if not ids:
        return []
    found = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def provider_load(provider: Provider, as_of: date) -> ProviderLoad:
    """Open allocations of this provider per work type, and how many are past due."""
    rows = db.session.execute(
        select(WorkType.name, func.count(Allocation.id))
        .join(Allocation, Allocation.work_type_id == WorkType.id)
        .where(Allocation.provider_id == provider.id, Allocation.status.in_(OPEN_STATUSES))
        .group_by(WorkType.name)
        .order_by(WorkType.name)
    ).all()
    overdue = db.session.scalar(
        select(func.count(Allocation.id)).where(
            Allocation.provider_id == provider.id,
            Allocation.status.in_(OPEN_STATUSES),
            # The board's date: the statutory one for advice, the contract's for other work.
            func.coalesce(Allocation.statutory_due_on, Allocation.due_on) < as_of,
        )
    )
    by_type = [(name, int(count)) for name, count in rows]
    return ProviderLoad(by_type, sum(c for _, c in by_type), int(overdue or 0))


def allocated_this_month(provider: Provider, on: date) -> int:
    """Work given to the provider since the first of the month (not withdrawn or declined,
    as the monthly report counts it)."""
    count = db.session.scalar(
        select(func.count(Allocation.id)).where(
            Allocation.provider_id == provider.id,
            Allocation.allocated_on >= month_start(on),
            Allocation.allocated_on <= on,
            Allocation.status.not_in((AllocationStatus.WITHDRAWN, AllocationStatus.DECLINED)),
        )
    )
    return int(count or 0)


@dataclass
class BulkCheck:
    """What the check page shows before a bulk allocation: the contract(s) the work can go
    under with the price, the total and the headroom, and the provider's load and capacity."""

    count: int
    options: list[ContractCost]
    chosen: ContractCost | None
    load: ProviderLoad
    this_month: int

    @property
    def choosing(self) -> bool:
        """The provider has several current contracts: the person chooses one."""
        return len(self.options) > 1

    @property
    def capacity(self) -> list[tuple[str, int]]:
        """(contract reference, stated monthly capacity) of the contracts that state one."""
        return [
            (option.contract.reference, option.contract.stated_monthly_capacity)
            for option in self.options
            if option.contract.stated_monthly_capacity is not None
        ]


def bulk_figures(
    provider: Provider,
    work_type: WorkType,
    count: int,
    on: date,
    options: list[ContractCost] | None = None,
    chosen: ContractCost | None = None,
) -> BulkCheck:
    """The figures for allocating `count` cases of the work to the provider on a day.

    options and chosen are the contract figures when a batch was tried already (see
    allocations.services.BatchOutcome); otherwise they are read, and the provider's only
    current contract is the one shown.
    """
    if options is None:
        options = provider_contract_costs(provider, work_type, count, on)
        chosen = preselected(options, None)
    return BulkCheck(
        count=count,
        options=options,
        chosen=chosen,
        load=provider_load(provider, on),
        this_month=allocated_this_month(provider, on),
    )
