"""Why work is sent back, and the quality rubric scored on acceptance.

- sendback_reason: the list an administrator keeps, seeded with the reasons councils give for
  plans and for advice. Reasons are retired (retired_on), never deleted.
- sendback and sendback_reason_link: one row per request for amendment, with its reasons.
  Existing work that was sent back gets one row per counted request (amendment_count), dated
  the latest request the allocation recorded, with its comment and no reasons: the dates of
  earlier requests were never kept.
- quality_check and quality_score: the rubric scored when the council accepted the work.
- contract.quality_check: whether the rubric is asked for on acceptance (on by default).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# (code, label, applies_to): the reasons every installation starts with, in display order.
SEED_REASONS = (
    ("outcomes_not_smart", "Outcomes are not SMART", "plan"),
    ("provision_not_specific", "Provision is not specific or quantified", "plan"),
    ("views_missing", "Parental or child's views are missing", "plan"),
    ("needs_provision_mismatch", "Needs and provision do not match", "plan"),
    ("personal_details", "Personal details are wrong or missing", "plan"),
    ("health_social_care_incomplete", "Health or social care sections are incomplete", "plan"),
    ("placement_wording", "Placement wording", "plan"),
    ("outside_expertise", "Not within the professional's expertise", "advice"),
    ("recommendations_not_specific", "Recommendations are not specific", "advice"),
    ("child_views_not_recorded", "The child's views are not recorded", "advice"),
    ("late_evidence", "Late evidence was not considered", "advice"),
    ("other_advice", "Other", "advice"),
)


def upgrade():
    reasons = op.create_table(
        "sendback_reason",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(50), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("applies_to", sa.String(10), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("retired_on", sa.Date()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sendback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("allocation_id", sa.Integer(), sa.ForeignKey("allocation.id"), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("comment", sa.Text()),
        sa.Column("requested_by_id", sa.Integer(), sa.ForeignKey("user_account.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sendback_allocation", "sendback", ["allocation_id", "requested_on"])
    op.create_index("ix_sendback_requested_on", "sendback", ["requested_on"])
    op.create_table(
        "sendback_reason_link",
        sa.Column(
            "sendback_id",
            sa.Integer(),
            sa.ForeignKey("sendback.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "reason_id", sa.Integer(), sa.ForeignKey("sendback_reason.id"), primary_key=True
        ),
    )
    op.create_index(
        "ix_sendback_reason_link_reason", "sendback_reason_link", ["reason_id", "sendback_id"]
    )
    op.create_table(
        "quality_check",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "allocation_id",
            sa.Integer(),
            sa.ForeignKey("allocation.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), sa.ForeignKey("user_account.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_quality_check_checked_on", "quality_check", ["checked_on"])
    op.create_table(
        "quality_score",
        sa.Column(
            "quality_check_id",
            sa.Integer(),
            sa.ForeignKey("quality_check.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("section", sa.String(10), primary_key=True),
        sa.Column("score", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("contract") as batch:
        batch.add_column(
            sa.Column("quality_check", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    created = datetime.now(UTC)
    op.bulk_insert(
        reasons,
        [
            {
                "code": code,
                "label": label,
                "applies_to": applies_to,
                "display_order": order,
                "created_at": created,
            }
            for order, (code, label, applies_to) in enumerate(SEED_REASONS, start=1)
        ],
    )
    # One row per counted request for work already sent back (see the module's docstring).
    # A small recursive series gives amendment_count rows per allocation on both databases.
    op.execute(
        sa.text(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
            INSERT INTO sendback (allocation_id, requested_on, comment, requested_by_id,
                                  created_at)
            SELECT a.id, a.amendment_requested_on, a.amendment_comment,
                   a.amendment_requested_by_id, :created
            FROM allocation a JOIN n ON n.i <= a.amendment_count
            WHERE a.amendment_count > 0 AND a.amendment_requested_on IS NOT NULL
            ORDER BY a.id, n.i
            """
        ).bindparams(created=created)
    )


def downgrade():
    with op.batch_alter_table("contract") as batch:
        batch.drop_column("quality_check")
    op.drop_table("quality_score")
    op.drop_index("ix_quality_check_checked_on", table_name="quality_check")
    op.drop_table("quality_check")
    op.drop_index("ix_sendback_reason_link_reason", table_name="sendback_reason_link")
    op.drop_table("sendback_reason_link")
    op.drop_index("ix_sendback_requested_on", table_name="sendback")
    op.drop_index("ix_sendback_allocation", table_name="sendback")
    op.drop_table("sendback")
    op.drop_table("sendback_reason")
