"""Two-factor secrets encrypted at rest: every stored secret is encrypted under the first key
in TOTP_ENCRYPTION_KEY, and the column widened to hold the Fernet token.

The key comes from the running configuration (`flask db upgrade` starts the portal, which
refuses to start in production without one). Going down decrypts every secret again, with any
of the configured keys, and refuses if one cannot be decrypted rather than lose it.

This migration keeps its own copy of the few lines it needs (the portal's own are in
provider_portal/auth/two_factor/keys.py), so later changes there cannot change what it does.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from alembic import op
import sqlalchemy as sa
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TOKEN_PREFIX = "gAAAAA"
users = sa.table(
    "user_account", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String)
)


def _keyring():
    keys = [k.strip() for k in current_app.config["TOTP_ENCRYPTION_KEY"].split(",") if k.strip()]
    return MultiFernet([Fernet(key) for key in keys])


def _secrets(connection):
    return connection.execute(
        sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))
    ).all()


def upgrade():
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
    connection = op.get_bind()
    keyring = _keyring()
    for user_id, secret in _secrets(connection):
        if secret.startswith(TOKEN_PREFIX):
            continue
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(totp_secret=keyring.encrypt(secret.encode("ascii")).decode("ascii"))
        )


def downgrade():
    connection = op.get_bind()
    keyring = _keyring()
    for user_id, secret in _secrets(connection):
        if not secret.startswith(TOKEN_PREFIX):
            continue
        # InvalidToken here stops the downgrade: the key for this secret is not configured.
        plain = keyring.decrypt(secret.encode("ascii")).decode("ascii")
        connection.execute(
            users.update().where(users.c.id == user_id).values(totp_secret=plain)
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
