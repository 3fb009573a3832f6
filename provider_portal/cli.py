"""`flask` commands: thin wrappers over the same services the pages use."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from provider_portal.extensions import db
from provider_portal.models import Provider, Role, User

users_cli = AppGroup("users", help="Accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", help="Full name (default: the part of the email before @)")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--provider", "provider_name", help="The provider, for provider roles")
def users_create(email: str, name: str | None, role: str, provider_name: str | None) -> None:
    """Create an account; the password comes from PORTAL_PASSWORD or is asked for."""
    from provider_portal import audit
    from provider_portal.auth.services import hash_password
    from provider_portal.models.types import utcnow
    from provider_portal.passwords import password_problem

    password = os.environ.get("PORTAL_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    problem = password_problem(password)
    if problem:
        raise click.UsageError(problem)
    role_value = Role(role)
    provider = None
    if role_value.is_provider:
        if not provider_name:
            raise click.UsageError("Provider users need --provider")
        provider = db.session.scalar(select(Provider).where(Provider.name == provider_name))
        if provider is None:
            raise click.UsageError(f"No provider called {provider_name!r}")
    elif provider_name:
        raise click.UsageError("Only provider users belong to a provider")
    if db.session.scalar(select(User).where(func.lower(User.email) == email.lower())):
        raise click.UsageError(f"An account for {email} already exists")
    user = User(
        email=email.lower(),
        name=name or email.split("@")[0],
        role=role_value,
        provider=provider,
        password_hash=hash_password(password),
        password_set_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user_created", "user", user.id, detail=f"role={role_value.value} via=cli")
    db.session.commit()
    click.echo(f"Created {role_value.label.lower()} account {user.email}")


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    from provider_portal.contracts.cli import contracts_cli
    from provider_portal.demo import demo_cli
    from provider_portal.imports.cli import allocations_cli, cases_cli
    from provider_portal.reports.cli import report_cli
    from provider_portal.retention import retention_cli

    for group in (
        report_cli,
        users_cli,
        cases_cli,
        allocations_cli,
        contracts_cli,
        demo_cli,
        retention_cli,
    ):
        app.cli.add_command(group)
