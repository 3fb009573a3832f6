"""The nonces of forms whose changes were saved, so a form sent twice saves once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_submission",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_form_submission_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_form_submission")),
    )
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_submission_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("form_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_submission_user_id"))
    op.drop_table("form_submission")
