"""Case papers shared with providers, contacts for the work, questions, and family letters.

case_paper holds the council's papers for a case (stored like provider documents); a paper goes
to a piece of work only through a row in allocation_paper, which un-sharing ends at once.
work_type_paper_kind is each work type's default set of kinds. The case gains minimal contact
fields for the people the provider needs to reach. allocation_message is the question thread
of one piece of work; allocation.unanswered_question_at says since when a provider question
has waited for the council. letter_template and family_letter hold the letters that tell the
family who is assessing (or that a time limit will not be met) and the record of each one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_CONTACTS = (
    ("parent_carer_name", 200),
    ("parent_carer_phone", 50),
    ("parent_carer_email", 254),
    ("senco_name", 200),
    ("senco_phone", 50),
    ("senco_email", 254),
)


def _user_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"fk_{table}_{column}_user_account")
    )


def upgrade():
    op.create_table(
        "case_paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("original_filename", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], name=op.f("fk_case_paper_case_id_case")),
        _user_fk("case_paper", "uploaded_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_paper")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_case_paper_stored_name")),
    )
    op.create_index(op.f("ix_case_paper_case_id"), "case_paper", ["case_id"], unique=False)

    op.create_table(
        "allocation_paper",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("paper_id", sa.Integer(), nullable=False),
        sa.Column("shared_by_id", sa.Integer(), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unshared_by_id", sa.Integer(), nullable=True),
        sa.Column("unshared_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocation.id"],
            name=op.f("fk_allocation_paper_allocation_id_allocation"),
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["case_paper.id"], name=op.f("fk_allocation_paper_paper_id_case_paper")
        ),
        _user_fk("allocation_paper", "shared_by_id"),
        _user_fk("allocation_paper", "unshared_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_paper")),
        sa.UniqueConstraint(
            "allocation_id", "paper_id", name=op.f("uq_allocation_paper_allocation_id")
        ),
    )
    op.create_index(
        op.f("ix_allocation_paper_allocation_id"), "allocation_paper", ["allocation_id"]
    )
    op.create_index(op.f("ix_allocation_paper_paper_id"), "allocation_paper", ["paper_id"])

    op.create_table(
        "work_type_paper_kind",
        sa.Column("work_type_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_type_id"],
            ["work_type.id"],
            name=op.f("fk_work_type_paper_kind_work_type_id_work_type"),
        ),
        sa.PrimaryKeyConstraint("work_type_id", "kind", name=op.f("pk_work_type_paper_kind")),
    )
    # Every work type starts with the papers any assessment needs; an administrator edits them.
    work_type_kind = sa.table(
        "work_type_paper_kind", sa.column("work_type_id", sa.Integer), sa.column("kind", sa.String)
    )
    bind = op.get_bind()
    for (work_type_id,) in bind.execute(sa.text("SELECT id FROM work_type")).all():
        bind.execute(
            work_type_kind.insert(),
            [
                {"work_type_id": work_type_id, "kind": kind}
                for kind in ("request_for_assessment", "parental_views", "consent_to_share")
            ],
        )

    with op.batch_alter_table("case", schema=None) as batch_op:
        for column, length in _CONTACTS:
            batch_op.add_column(sa.Column(column, sa.String(length=length), nullable=True))

    op.create_table(
        "allocation_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("from_council", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocation.id"],
            name=op.f("fk_allocation_message_allocation_id_allocation"),
        ),
        _user_fk("allocation_message", "author_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocation_message")),
    )
    op.create_index(
        op.f("ix_allocation_message_allocation_id"), "allocation_message", ["allocation_id"]
    )
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unanswered_question_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_allocation_unanswered_question_at"), ["unanswered_question_at"]
        )

    op.create_table(
        "letter_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _user_fk("letter_template", "updated_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_template")),
        sa.UniqueConstraint("kind", name=op.f("uq_letter_template_kind")),
    )
    op.create_table(
        "family_letter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("allocation_id", sa.Integer(), nullable=True),
        sa.Column("exception_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("produced_on", sa.Date(), nullable=False),
        sa.Column("produced_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_by", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["case.id"], name=op.f("fk_family_letter_case_id_case")
        ),
        sa.ForeignKeyConstraint(
            ["allocation_id"],
            ["allocation.id"],
            name=op.f("fk_family_letter_allocation_id_allocation"),
        ),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["case_exception.id"],
            name=op.f("fk_family_letter_exception_id_case_exception"),
        ),
        _user_fk("family_letter", "produced_by_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_letter")),
    )
    op.create_index(op.f("ix_family_letter_case_id"), "family_letter", ["case_id"])

    # The letters' default wording (provider_portal.letters.DEFAULT_TEMPLATES, as it was
    # written when this ran): administrators change it on the family letters page.
    letter_template = sa.table(
        "letter_template",
        sa.column("kind", sa.String),
        sa.column("title", sa.String),
        sa.column("body", sa.Text),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        letter_template,
        [
            {
                "kind": "work_accepted",
                "title": "Who is preparing your child's advice",
                "body": (
                    "Dear {parent_carer_name},\n"
                    "\n"
                    "Your child's {work_type} is being prepared by {practitioner_role} from {provider}, "
                    "as part of {child_first_name}'s education, health and care needs assessment. "
                    "We expect it by {due_date}.\n"
                    "\n"
                    "If you have questions, please contact {council_contact}.\n"
                    "\n"
                    "Case reference: {case_ref}\n"
                    "{today}"
                ),
                "updated_at": now,
                "version": 1,
            },
            {
                "kind": "exception_parent_told",
                "title": "A time limit in your child's assessment will not be met",
                "body": (
                    "Dear {parent_carer_name},\n"
                    "\n"
                    "We are writing about {child_first_name}'s education, health and care needs "
                    "assessment. The law sets a time limit for each step. {time_limit} will not be met, "
                    "for a reason the regulations allow: {exception_reason}. "
                    "This covers {exception_period}.\n"
                    "\n"
                    "If you have questions, please contact {council_contact}.\n"
                    "\n"
                    "Case reference: {case_ref}\n"
                    "{today}"
                ),
                "updated_at": now,
                "version": 1,
            },
        ],
    )


def downgrade():
    op.execute(
        sa.text(
            "DELETE FROM letter_template WHERE kind IN ('work_accepted', 'exception_parent_told')"
        )
    )
    op.drop_index(op.f("ix_family_letter_case_id"), table_name="family_letter")
    op.drop_table("family_letter")
    op.drop_table("letter_template")
    with op.batch_alter_table("allocation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_unanswered_question_at"))
        batch_op.drop_column("unanswered_question_at")
    op.drop_index(op.f("ix_allocation_message_allocation_id"), table_name="allocation_message")
    op.drop_table("allocation_message")
    with op.batch_alter_table("case", schema=None) as batch_op:
        for column, _ in reversed(_CONTACTS):
            batch_op.drop_column(column)
    op.drop_table("work_type_paper_kind")
    op.drop_index(op.f("ix_allocation_paper_paper_id"), table_name="allocation_paper")
    op.drop_index(op.f("ix_allocation_paper_allocation_id"), table_name="allocation_paper")
    op.drop_table("allocation_paper")
    op.drop_index(op.f("ix_case_paper_case_id"), table_name="case_paper")
    op.drop_table("case_paper")
