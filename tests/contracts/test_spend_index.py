"""Migration 0016: the contract spend totals are read from one index alone, on both databases,
so the case page's allocation form does not read every allocation for its headroom figures."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from provider_portal.contracts.allocating import is_current
from provider_portal.contracts.queries import spend_by_contract
from provider_portal.extensions import db
from tests.helpers import query_plan


def _plan(query: sa.Select) -> str:
    if db.engine.dialect.name == "postgresql":
        # Earlier tests emptied and refilled the table: mark its pages all-visible and count
        # them again, as autovacuum does for a live table, so an index-only scan is costed
        # as one (enable_indexscan must stay on: it governs index-only scans too).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
            auto.exec_driver_sql("VACUUM ANALYZE allocation")
    connection = db.session.connection()
    try:
        # Tiny tables: rule out the table scans the planner would cost lower here.
        return query_plan(
            connection,
            query,
            rule_out=("seqscan", "bitmapscan"),
            only_index=("allocation", "ix_allocation_contract_spend"),
        )
    finally:
        db.session.rollback()


def test_the_spend_totals_read_only_their_index(app, make):
    on = date(2025, 4, 15)
    contract = make.contract()
    make.allocation(provider=contract.provider, contract=contract, allocated_on=date(2025, 4, 1))
    db.session.commit()
    spend = spend_by_contract(on, is_current(on))
    plan = _plan(sa.select(spend))
    if db.engine.dialect.name == "postgresql":
        assert re.search(r"Index Only Scan using ix_allocation_contract_spend\b", plan), plan
    else:
        assert re.search(r"COVERING INDEX ix_allocation_contract_spend\b", plan), plan
