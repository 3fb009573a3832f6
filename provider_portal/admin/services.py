"""Provider operations for the administration pages and the CLI."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from provider_portal import audit
from provider_portal.errors import AccountError
from provider_portal.extensions import db
from provider_portal.models import Provider, User

PROVIDER_EXISTS = "A provider with this name already exists"


def create_provider(name: str, actor: User) -> Provider:
    """Add a provider; names are unique whatever their case."""
    name = " ".join(name.split())
    if db.session.scalar(select(Provider.id).where(func.lower(Provider.name) == name.lower())):
        raise AccountError(PROVIDER_EXISTS, "name")
    provider = Provider(name=name, active=True)
    db.session.add(provider)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise AccountError(PROVIDER_EXISTS, "name") from error
    audit.record("provider_created", "provider", provider.id, actor=actor, provider_id=provider.id)
    return provider


def set_provider_active(provider: Provider, active: bool, actor: User) -> None:
    """Stop (or restart) allocating work to a provider; its accounts are left as they are."""
    if provider.active == active:
        return
    provider.active = active
    action = "provider_reactivated" if active else "provider_deactivated"
    audit.record(action, "provider", provider.id, actor=actor, provider_id=provider.id)
