"""Who deactivated an account, so a provider administrator cannot undo the council.

Accounts deactivated before this get the person from the latest "user_deactivated" row of
the audit trail, which every deactivation has written since accounts could be deactivated
(and which the database keeps append-only); an account with no such row is left empty,
which the portal treats as deactivated by the council.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_user_account_deactivated_by_id_user_account"),
            "user_account",
            ["deactivated_by_id"],
            ["id"],
        )
    op.execute(
        "UPDATE user_account SET deactivated_by_id = ("
        " SELECT audit_event.actor_id FROM audit_event"
        " WHERE audit_event.action = 'user_deactivated'"
        " AND audit_event.object_type = 'user' AND audit_event.object_id = user_account.id"
        " ORDER BY audit_event.id DESC LIMIT 1"
        ") WHERE active = false"
    )


def downgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_user_account_deactivated_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("deactivated_by_id")
