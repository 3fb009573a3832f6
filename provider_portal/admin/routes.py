"""The council's administration: accounts and providers."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import abort, flash, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from provider_portal.accounts.services import (
    deactivate,
    deactivated_by_council,
    has_password,
    has_two_factor,
    invite,
    reactivate,
    resend_invitation,
    reset_two_factor,
    send_invitation,
)
from provider_portal.admin import bp
from provider_portal.admin.forms import ConfirmForm, InviteUserForm, ProviderForm, UserFilterForm
from provider_portal.admin.queries import (
    account_counts,
    active_providers,
    all_providers,
    filtered_users,
    page_of_users,
    provider_by_id,
    user_by_id,
)
from provider_portal.admin.services import create_provider, set_provider_active
from provider_portal.errors import AccountError, MailError
from provider_portal.extensions import db
from provider_portal.forms import options
from provider_portal.models import Provider, Role, User
from provider_portal.permissions import requires
from provider_portal.web import page_number, redirect_after_post, render, to_id

T = TypeVar("T")
MAIL_FAILED = (
    "The invitation email could not be sent, so nothing was saved. Try again in a few minutes."
)


def found(record: T | None) -> T:
    """The record the URL names; none (or one the person may not see) is 404, never 403."""
    if record is None:
        abort(404)
    return record


def invite_and_send(form: Any, role: Role, provider: Provider | None) -> User | None:
    """Create the account and email the invitation, or save nothing and show the error."""
    try:
        user, raw_token = invite(form.email.data, form.name.data, role, provider, current_user)
        send_invitation(user, raw_token)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        getattr(form, error.field or "email").errors.append(error.message)
        return None
    except MailError:
        db.session.rollback()
        form.email.errors.append(MAIL_FAILED)
        return None
    return user


# --- accounts ---------------------------------------------------------------------------------


@bp.route("/users")
@requires("manage_accounts")
def users() -> Response:
    """Every account, filterable by role, provider and status, 50 a page."""
    form = UserFilterForm(request.args)
    form.provider.choices = options(
        [("", "Any provider")] + [(str(p.id), p.name) for p in all_providers()]
    )
    provider_id = to_id(form.provider.data)
    query = filtered_users(
        select(User),
        role=form.role.data or "",
        provider_id=provider_id,
        status=form.status.data or "",
    )
    result = page_of_users(query, page_number())
    return render("admin/users.html", "admin/_users.html", form=form, result=result)


@bp.route("/users/invite", methods=["GET", "POST"])
@requires("manage_accounts")
def invite_user() -> Response:
    """Invite a person: the account waits for them to set a password from the emailed link."""
    form = InviteUserForm()
    providers = {str(p.id): p for p in active_providers()}
    form.provider.choices = options(
        [("", "None (council staff)")] + [(key, p.name) for key, p in providers.items()]
    )
    if form.validate_on_submit():
        role = Role(form.role.data)
        provider = providers[form.provider.data] if role.is_provider else None
        user = invite_and_send(form, role, provider)
        if user is not None:
            flash(f"Invitation sent to {user.email}", "success")
            return redirect_after_post(url_for("admin.user", user_id=user.id))
    return render("admin/invite_user.html", form=form)


@bp.route("/users/<int:user_id>")
@requires("manage_accounts")
def user(user_id: int) -> Response:
    """One account: who, what role, its status, and what an administrator can do to it."""
    return person_page("admin/user.html", found(user_by_id(user_id)))


def person_page(template: str, person: User) -> Response:
    """An account's page: who, its status, and the buttons that act on it."""
    return render(
        template,
        person=person,
        invited=not has_password(person),
        two_factor=has_two_factor(person),
        deactivated_by_council=deactivated_by_council(person),
        form=ConfirmForm(formdata=None),
    )


def _confirm_page(
    person: User, action: str, heading: str, body: list[str], button: str, form: ConfirmForm
) -> Response:
    return render(
        "admin/confirm.html",
        heading=heading,
        body=body,
        button=button,
        action=action,
        back=url_for("admin.user", user_id=person.id),
        back_text=person.name,
        form=form,
    )


def deactivate_page(person: User, *, action: str, back: str, body: list[str]) -> Response:
    """Check, then deactivate an account: the person is signed out everywhere at once.

    Serves both the council's account pages and a provider administrator's team pages; each
    loads the person through its own access rule and says where the page goes back to.
    """
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            deactivate(person, current_user)
        except AccountError as error:
            db.session.rollback()
            form.submit.errors = [error.message]
        else:
            db.session.commit()
            flash(f"{person.name}’s account has been deactivated", "success")
            return redirect_after_post(back)
    elif request.method == "GET" and person.id == current_user.id:
        form.submit.errors = ["You cannot deactivate your own account"]
    return render(
        "admin/confirm.html",
        heading=f"Deactivate {person.name}’s account",
        body=body,
        button="Deactivate account",
        action=action,
        back=back,
        back_text=person.name,
        form=form,
    )


def reactivate_and_flash(person: User) -> None:
    """Reactivate an account from a button; the outcome is flashed on the page it returns to."""
    if not ConfirmForm().validate_on_submit():
        return
    try:
        reactivate(person, current_user)
    except AccountError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"{person.name}’s account has been reactivated", "success")


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires("manage_accounts")
def deactivate_user(user_id: int) -> Response:
    """Check, then deactivate: the person is signed out everywhere at once."""
    person = found(user_by_id(user_id))
    return deactivate_page(
        person,
        action=url_for("admin.deactivate_user", user_id=person.id),
        back=url_for("admin.user", user_id=person.id),
        body=[
            "They will be signed out straight away and will not be able to sign in.",
            "Their work and the audit trail are kept. You can reactivate the account later.",
        ],
    )


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@requires("manage_accounts")
def reactivate_user(user_id: int) -> Response:
    """Let a deactivated account sign in again."""
    person = found(user_by_id(user_id))
    reactivate_and_flash(person)
    return redirect_after_post(url_for("admin.user", user_id=person.id))


@bp.route("/users/<int:user_id>/invitation", methods=["POST"], endpoint="resend_invitation")
@requires("manage_accounts")
def resend_invitation_page(user_id: int) -> Response:
    """Send a new invitation link; earlier links stop working."""
    person = found(user_by_id(user_id))
    resend_and_flash(person)
    return redirect_after_post(url_for("admin.user", user_id=person.id))


def resend_and_flash(person: User) -> None:
    """Resend an invitation from a button; the outcome is flashed on the page it returns to."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return
    try:
        raw_token = resend_invitation(person, current_user)
        send_invitation(person, raw_token)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        flash(error.message, "error")
    except MailError:
        db.session.rollback()
        flash("The invitation email could not be sent. Try again in a few minutes.", "error")
    else:
        flash(f"A new invitation has been sent to {person.email}", "success")


@bp.route("/users/<int:user_id>/two-factor", methods=["GET", "POST"], endpoint="reset_two_factor")
@requires("manage_accounts")
def reset_two_factor_page(user_id: int) -> Response:
    """Check, then forget the person's authenticator app and recovery codes."""
    person = found(user_by_id(user_id))
    form = ConfirmForm()
    if form.validate_on_submit():
        reset_two_factor(person, current_user)
        db.session.commit()
        flash(f"Two-factor sign-in has been reset for {person.name}", "success")
        return redirect_after_post(url_for("admin.user", user_id=person.id))
    return _confirm_page(
        person,
        url_for("admin.reset_two_factor", user_id=person.id),
        f"Reset two-factor sign-in for {person.name}",
        [
            "Do this when someone has lost the phone with their authenticator app, or their "
            "recovery codes.",
            "Their authenticator app and recovery codes will stop working and they will be "
            "signed out. They set up two-factor sign-in again the next time they sign in.",
            "Check it is really them asking, for example by calling them on a number you "
            "already have.",
        ],
        "Reset two-factor sign-in",
        form,
    )


# --- providers --------------------------------------------------------------------------------


@bp.route("/providers")
@requires("manage_accounts")
def providers() -> Response:
    """Every provider, with its number of active accounts."""
    return render("admin/providers.html", providers=all_providers(), counts=account_counts())


@bp.route("/providers/new", methods=["GET", "POST"])
@requires("manage_accounts")
def add_provider() -> Response:
    """Add a provider the council can allocate work to."""
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            provider = create_provider(
                form.name.data or "",
                actor=current_user,
                contact_email=form.contact_email.data or None,
            )
            db.session.commit()
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(f"{provider.name} has been added", "success")
            return redirect_after_post(url_for("admin.provider", provider_id=provider.id))
    return render("admin/add_provider.html", form=form)


@bp.route("/providers/<int:provider_id>")
@requires("manage_accounts")
def provider(provider_id: int) -> Response:
    """One provider: its status and the first page of its accounts."""
    organisation = found(provider_by_id(provider_id))
    result = page_of_users(filtered_users(select(User), provider_id=organisation.id), 1)
    return render(
        "admin/provider.html",
        provider=organisation,
        result=result,
        form=ConfirmForm(formdata=None),
    )


@bp.route("/providers/<int:provider_id>/deactivate", methods=["GET", "POST"])
@requires("manage_accounts")
def deactivate_provider(provider_id: int) -> Response:
    """Check, then stop allocating work to a provider."""
    organisation = found(provider_by_id(provider_id))
    form = ConfirmForm()
    if form.validate_on_submit():
        set_provider_active(organisation, False, current_user)
        db.session.commit()
        flash(f"{organisation.name} has been deactivated", "success")
        return redirect_after_post(url_for("admin.provider", provider_id=organisation.id))
    active_accounts = account_counts().get(organisation.id, 0)
    return render(
        "admin/confirm.html",
        heading=f"Deactivate {organisation.name}",
        body=[
            "No new work can be allocated to it, and nobody can be invited to it.",
            "Work already allocated stays with it, and its people can still sign in to finish "
            f"it: it has {active_accounts} active "
            f"{'account' if active_accounts == 1 else 'accounts'}. Deactivate those accounts "
            "separately when they no longer need access.",
        ],
        button="Deactivate provider",
        action=url_for("admin.deactivate_provider", provider_id=organisation.id),
        back=url_for("admin.provider", provider_id=organisation.id),
        back_text=organisation.name,
        form=form,
    )


@bp.route("/providers/<int:provider_id>/reactivate", methods=["POST"])
@requires("manage_accounts")
def reactivate_provider(provider_id: int) -> Response:
    """Let work be allocated to a provider again."""
    organisation = found(provider_by_id(provider_id))
    if ConfirmForm().validate_on_submit():
        set_provider_active(organisation, True, current_user)
        db.session.commit()
        flash(f"{organisation.name} has been reactivated", "success")
    return redirect_after_post(url_for("admin.provider", provider_id=organisation.id))
