"""Contracts: value and variations, prices by work type from a date, targets; and the
contract each allocation was made under. Money is whole pence in integer columns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("original_value", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "suspended", "ended", name="contractstatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("monthly_volume", sa.Integer(), nullable=True),
        sa.Column("on_time_target_percent", sa.Integer(), nullable=True),
        sa.Column("max_rework_percent", sa.Integer(), nullable=True),
        sa.Column("stated_monthly_capacity", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_contract_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_contract_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("reference", name=op.f("uq_contract_reference")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "contract_price",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("work_type_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contract.id"], name=op.f("fk_contract_price_contract_id_contract")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_contract_price_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["work_type_id"],
            ["work_type.id"],
            name=op.f("fk_contract_price_work_type_id_work_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_price")),
        sa.UniqueConstraint(
            "contract_id", "work_type_id", "effective_from", name="uq_contract_price_from"
        ),
    )
    op.create_table(
        "contract_turnaround",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("work_type_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_turnaround_contract_id_contract"),
        ),
        sa.ForeignKeyConstraint(
            ["work_type_id"],
            ["work_type.id"],
            name=op.f("fk_contract_turnaround_work_type_id_work_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_turnaround")),
        sa.UniqueConstraint("contract_id", "work_type_id", name="uq_contract_turnaround"),
    )
    op.create_table(
        "contract_variation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approval_reference", sa.String(length=100), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_variation_contract_id_contract"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_contract_variation_created_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_variation")),
    )
    with op.batch_alter_table("contract_variation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_variation_contract_id"), ["contract_id"], unique=False
        )

    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contract_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("unit_price", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_allocation_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_allocation_contract_id_contract"), "contract", ["contract_id"], ["id"]
        )
        batch_op.create_index(
            batch_op.f("ix_allocation_accepted_on"), ["accepted_on"], unique=False
        )


def downgrade():
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_accepted_on"))
        batch_op.drop_constraint(
            batch_op.f("fk_allocation_contract_id_contract"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_allocation_contract_id"))
        batch_op.drop_column("unit_price")
        batch_op.drop_column("contract_id")

    with op.batch_alter_table("contract_variation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_variation_contract_id"))

    op.drop_table("contract_variation")
    op.drop_table("contract_turnaround")
    op.drop_table("contract_price")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contract_provider_id"))

    op.drop_table("contract")
