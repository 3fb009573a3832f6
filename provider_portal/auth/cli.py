"""`flask totp rotate-key`: every two-factor secret re-encrypted under the newest key."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from provider_portal.auth.two_factor.keys import key_list
from provider_portal.auth.two_factor.services import rotate_secrets
from provider_portal.extensions import db
from provider_portal.settings import setting

totp_cli = AppGroup("totp", help="Two-factor sign-in secrets.")


@totp_cli.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every two-factor secret under the first key in TOTP_ENCRYPTION_KEY.

    Put the new key first, keep the old ones after it, restart the portal, run this, and
    then remove the old keys.
    """
    result = rotate_secrets()
    db.session.commit()
    keys = len(key_list(setting("TOTP_ENCRYPTION_KEY")))
    click.echo(
        f"Re-encrypted {result.reencrypted} two-factor secrets under the first of {keys} "
        f"keys; encrypted {result.plain_encrypted} stored in plain text; "
        f"{result.changed_meanwhile} replaced meanwhile (already under the first key)."
    )
    if result.unreadable:
        accounts = ", ".join(str(user_id) for user_id in result.unreadable)
        raise click.ClickException(
            f"{len(result.unreadable)} secrets could not be decrypted with any key in "
            f"TOTP_ENCRYPTION_KEY (accounts {accounts}): put back the key they were "
            "encrypted with and run this again, or reset those accounts' two-factor sign-in"
        )
    if keys > 1:
        click.echo("Every secret now opens with the first key: the others can be removed.")
