"""The links a message carries: absolute, to the work's page on the council's or the
provider's side, built with or without a request (the reminders run from the command line)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for

from provider_portal.mail import portal_link
from provider_portal.models import Allocation
from provider_portal.notifications.kinds import PROVIDER


def link(endpoint: str, **values: Any) -> str:
    """An absolute link to a page of the portal (PORTAL_URL and the page's path)."""
    if has_request_context():
        return portal_link(url_for(endpoint, **values))
    # From the command line (the reminders build thousands): the URL map alone, without the
    # whole request context each link used to set up.
    root = current_app.config["APPLICATION_ROOT"]
    return portal_link(
        current_app.url_map.bind("localhost", script_name=root).build(endpoint, values)
    )


def work_link(allocation: Allocation, side: str) -> str:
    """The link to the work's page for the council or for the provider."""
    if side == PROVIDER:
        return link("provider.show", allocation_id=allocation.id)
    return link("allocations.show", allocation_id=allocation.id)


def notifications_link() -> str:
    """The link to the person's Notifications page, where a digest too long to list in full
    sends people."""
    return link("notifications.index")
