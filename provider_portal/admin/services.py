"""Provider operations for the administration pages, the CLI, imports and the demo."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from provider_portal import audit
from provider_portal.accounts.rules import PROVIDER_NAME, email_problem, name_problem
from provider_portal.accounts.services import normalise_email
from provider_portal.errors import AccountError, AlreadyExists
from provider_portal.extensions import db
from provider_portal.models import Provider, User

PROVIDER_EXISTS = "A provider with this name already exists"


def create_provider(
    name: str,
    *,
    actor: User | None,
    contact_email: str | None = None,
    via: str | None = None,
) -> Provider:
    """Add a provider; names are unique whatever their case.

    The one way a provider comes to be, from the administration page, `flask providers
    create`, an allocation import and the demo. Raises AccountError naming the field at fault
    (AlreadyExists for a name in use); the audit row says how it was created when via is given.
    """
    name = " ".join(name.split())
    problem = name_problem(name, PROVIDER_NAME)
    if problem:
        raise AccountError(problem, "name")
    if contact_email is not None and contact_email.strip():
        contact_email = normalise_email(contact_email)
        problem = email_problem(contact_email)
        if problem:
            raise AccountError(problem, "contact_email")
    else:
        contact_email = None
    if db.session.scalar(select(Provider.id).where(func.lower(Provider.name) == name.lower())):
        raise AlreadyExists(PROVIDER_EXISTS, "name")
    provider = Provider(name=name, active=True, contact_email=contact_email)
    db.session.add(provider)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:
        raise AlreadyExists(PROVIDER_EXISTS, "name") from error
    audit.record(
        "provider_created",
        "provider",
        provider.id,
        detail=f"via={via}" if via else None,
        actor=actor,
        provider_id=provider.id,
    )
    return provider


def set_provider_active(provider: Provider, active: bool, actor: User) -> None:
    """Stop (or restart) allocating work to a provider; its accounts are left as they are."""
    if provider.active == active:
        return
    provider.active = active
    action = "provider_reactivated" if active else "provider_deactivated"
    audit.record(action, "provider", provider.id, actor=actor, provider_id=provider.id)


def set_team_mailbox(provider: Provider, address: str | None, actor: User) -> bool:
    """Set the provider's team mailbox (stored in lower case), or remove it when address is
    empty; audited. Returns whether it changed. Raises AccountError for an unusable address."""
    mailbox = normalise_email(address) if address and address.strip() else None
    if mailbox is not None:
        problem = email_problem(mailbox)
        if problem:
            raise AccountError(problem, "mailbox")
    if mailbox == provider.team_mailbox:
        return False
    action = "team_mailbox_removed" if mailbox is None else "team_mailbox_set"
    provider.team_mailbox = mailbox
    audit.record(action, "provider", provider.id, actor=actor, provider_id=provider.id)
    return True
