"""An index that holds everything the contract spend totals read, by contract.

The allocation form on the case page, the contracts list and the contract page sum each
current contract's actual and committed spend (contracts.queries.spend_by_contract). With
this index the database reads those sums from the index alone, for the chosen contracts only,
instead of reading every allocation.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = ["contract_id", "allocated_on", "accepted_on", "withdrawn_on", "declined_on", "unit_price"]


def upgrade():
    op.create_index("ix_allocation_contract_spend", "allocation", COLUMNS)


def downgrade():
    op.drop_index("ix_allocation_contract_spend", table_name="allocation")
