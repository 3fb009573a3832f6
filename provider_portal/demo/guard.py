"""Demo data only where it belongs: never in production.

`flask demo seed` creates an administrator whose password is published in the README, and
`flask demo generate` fills the database with invented children; either in production would
be a way in, or a mess in the real records.
"""

from __future__ import annotations

import click

from provider_portal.settings import change_setting, setting

DEMO_ENVIRONMENTS = ("development", "test")


def refuse_outside_development() -> None:
    """Stop the command (exit status 1) unless PORTAL_ENV is development or test; and send
    none of the email the demo writes."""
    environment = setting("PORTAL_ENV")
    if environment not in DEMO_ENVIRONMENTS:
        raise click.ClickException(
            f"Demo data can only be loaded when PORTAL_ENV is development or test (it is "
            f"{environment or 'not set'}): it creates accounts with a published password."
        )
    # The demo is made-up history: its email is never sent (and a delivery thread after each
    # commit would only contend with the demo's own writes).
    change_setting("DELIVER_AFTER_COMMIT", False)
