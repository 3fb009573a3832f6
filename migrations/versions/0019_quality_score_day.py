"""The quality checks counted by day, provider, contract, section and score.

The pack's rubric over 24 months joined every score (some 380,000 at 100,000 cases) to its
check for the check's date; it now reads these counts, kept with every check written
(provider_portal.quality.summary). This migration counts the checks already recorded.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# As the application counts them (quality.summary.source), written out here so that this
# migration keeps meaning what it meant when it ran: 0 for no contract, and a row with
# section '' and score 0 counting the checks themselves.
COUNT_EXISTING = """
INSERT INTO quality_score_day (checked_on, provider_id, contract_id, section, score, count)
SELECT quality_check.checked_on, allocation.provider_id, COALESCE(allocation.contract_id, 0),
       quality_score.section, quality_score.score, count(*)
FROM quality_score
JOIN quality_check ON quality_check.id = quality_score.quality_check_id
JOIN allocation ON allocation.id = quality_check.allocation_id
GROUP BY quality_check.checked_on, allocation.provider_id, COALESCE(allocation.contract_id, 0),
         quality_score.section, quality_score.score
UNION ALL
SELECT quality_check.checked_on, allocation.provider_id, COALESCE(allocation.contract_id, 0),
       '', 0, count(*)
FROM quality_check
JOIN allocation ON allocation.id = quality_check.allocation_id
GROUP BY quality_check.checked_on, allocation.provider_id, COALESCE(allocation.contract_id, 0)
"""


def upgrade():
    op.create_table(
        "quality_score_day",
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "checked_on",
            "provider_id",
            "contract_id",
            "section",
            "score",
            name=op.f("pk_quality_score_day"),
        ),
    )
    op.execute(COUNT_EXISTING)


def downgrade():
    op.drop_table("quality_score_day")
