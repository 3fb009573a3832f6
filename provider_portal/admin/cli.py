"""`flask providers create | list`: setting up providers by script, through create_provider."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from provider_portal.accounts.cli import refused
from provider_portal.admin.queries import account_counts, all_providers
from provider_portal.admin.services import create_provider
from provider_portal.errors import AccountError
from provider_portal.extensions import db

providers_cli = AppGroup("providers", help="Providers.")

LIST_HEADER = ("name", "status", "contact_email", "active_accounts")


@providers_cli.command("create")
@click.option("--name", required=True, help="The provider's name, unique whatever its case")
@click.option("--email", "contact_email", help="Who at the provider the council writes to")
def providers_create(name: str, contact_email: str | None) -> None:
    """Add a provider the council can allocate work to."""
    try:
        provider = create_provider(name, actor=None, contact_email=contact_email, via="cli")
    except AccountError as error:
        raise refused(error, {"name": "--name", "contact_email": "--email"}) from error
    db.session.commit()
    click.echo(f"Created provider {provider.name}")


@providers_cli.command("list")
def providers_list() -> None:
    """Every provider in name order: active or inactive, contact email, active accounts."""
    counts = account_counts()
    click.echo("\t".join(LIST_HEADER))
    for provider in all_providers():
        status = "active" if provider.active else "inactive"
        row = (provider.name, status, provider.contact_email or "", str(counts.get(provider.id, 0)))
        click.echo("\t".join(row))
