"""`flask users create`: an account from the command line, through create_user.

The first administrator comes from here; everyone else is invited from the pages.
"""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy import select

from provider_portal.accounts.services import create_user
from provider_portal.errors import AccountError
from provider_portal.extensions import db
from provider_portal.models import Provider, Role

users_cli = AppGroup("users", help="Accounts.")


def refused(error: AccountError, options: dict[str, str]) -> click.ClickException:
    """The service's message, naming the option at fault when there is one; nothing is saved."""
    db.session.rollback()
    option = options.get(error.field or "")
    if option:
        return click.BadParameter(error.message, param_hint=option)
    return click.UsageError(error.message)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", help="Full name (default: the part of the email before @)")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--provider", "provider_name", help="The provider, for provider roles")
def users_create(email: str, name: str | None, role: str, provider_name: str | None) -> None:
    """Create an account; the password comes from PORTAL_PASSWORD or is asked for."""
    password = os.environ.get("PORTAL_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    provider = None
    if provider_name:
        provider = db.session.scalar(select(Provider).where(Provider.name == provider_name))
        if provider is None:
            raise click.UsageError(f"No provider called {provider_name!r}")
    try:
        user = create_user(
            email,
            name or email.split("@")[0],
            Role(role),
            provider,
            password=password,
            actor=None,
            via="cli",
        )
    except AccountError as error:
        raise refused(
            error, {"email": "--email", "name": "--name", "provider": "--provider"}
        ) from error
    db.session.commit()
    click.echo(f"Created {user.role.label.lower()} account {user.email}")
