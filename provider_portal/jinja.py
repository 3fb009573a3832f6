"""Jinja set-up: our templates beside the GOV.UK macros, loud undefined names, and every
filter, global and context value the templates use, registered here and nowhere else."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Flask, current_app, g, url_for
from flask_login import current_user
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader, Undefined
from jinja2.exceptions import UndefinedError
from jinja2.utils import missing

from provider_portal import formatting
from provider_portal.timescales import exception_label, financial_year_label


class LoudUndefined(Undefined):
    """Printing or using an undefined *name* fails; missing keys of a dict stay falsy.

    The GOV.UK macros test optional parameters (`params.classes`), which must stay quiet,
    but a mistyped variable in one of our templates must fail the test that renders it.
    """

    __slots__ = ()

    def _loud(self) -> bool:
        return self._undefined_obj is missing

    def _fail(self) -> NoReturn:
        raise UndefinedError(self._undefined_message)

    def __str__(self) -> str:
        if self._loud():
            self._fail()
        return ""

    def __iter__(self) -> Any:
        if self._loud():
            self._fail()
        return iter(())

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        if self._loud():
            self._fail()
        return self._fail_with_undefined_error()


def configure_jinja(app: Flask, template_folder: str) -> None:
    """Use the project templates first, then the GOV.UK Frontend macro packages."""
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [
            FileSystemLoader(template_folder),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_options = {**app.jinja_options, "trim_blocks": True, "lstrip_blocks": True}
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.undefined = LoudUndefined
    register_template_helpers(app)


SERVICE_NAME = "Assessment provider portal"
# provider_portal.formatting's functions that templates use as filters, by the same names.
FORMATTING_FILTERS = (
    "long_date",
    "short_date",
    "month_year",
    "timestamp",
    "date_and_time",
    "plural",
    "describe_overdue",
)


def home_url() -> str:
    """Where "home" leads: the page that suits the signed-in person, or sign-in."""
    return url_for("auth.home")


def unread_notifications() -> int:
    """The signed-in person's unread notifications for the header: one COUNT per page."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        from provider_portal.notifications.queries import unread_count

        g.unread_notifications = unread_count(current_user.id)
    count: int = g.unread_notifications
    return count


def template_context() -> dict[str, object]:
    """Values bound to the request: the CSP nonce, the service name, the person and the
    council whose service this is (its name, logo and footer links)."""
    from provider_portal.branding import council_from

    return {
        "cspNonce": g.get("csp_nonce", ""),
        "serviceName": SERVICE_NAME,
        "current_user": current_user,
        "council": council_from(current_app.config),
    }


def register_template_helpers(app: Flask) -> None:
    """Filters format a value ({{ day|long_date }}); globals look something up (can(...))."""
    # Imported as the app is built, like the blueprints: at the top of this module they would
    # pull the models and the accounts blueprint into every import of the package.
    from provider_portal.accounts.services import account_status
    from provider_portal.outcomes import SETTING_TYPES
    from provider_portal.permissions import can

    app.jinja_env.filters.update(
        {name: getattr(formatting, name) for name in FORMATTING_FILTERS},
        money=formatting.format_money,
    )
    app.jinja_env.globals.update(
        can=can,
        home_url=home_url,
        unread_notifications=unread_notifications,
        account_status_of=account_status,
        exception_label=exception_label,
        financial_year_label=financial_year_label,
        setting_types=SETTING_TYPES,
    )
    app.context_processor(template_context)
