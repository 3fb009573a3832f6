"""A provider administrator's own team: see it, invite practitioners, deactivate them."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.admin import bp
from provider_portal.admin.forms import InvitePractitionerForm, TeamMailboxForm
from provider_portal.admin.queries import (
    find_team_member,
    find_team_practitioner,
    page_of_users,
    team,
)
from provider_portal.admin.routes import (
    deactivate_page,
    found,
    invite_and_send,
    person_page,
    reactivate_and_flash,
    resend_and_flash,
)
from provider_portal.admin.services import set_team_mailbox
from provider_portal.extensions import db
from provider_portal.models import Provider, Role
from provider_portal.permissions import requires
from provider_portal.web import page_number, redirect_after_post, render, run_form_action


@bp.route("/team", endpoint="team")
@requires("manage_practitioners")
def team_list() -> Response:
    """The people in your organisation."""
    return render(
        "admin/team/team.html", result=page_of_users(team(current_user.provider_id), page_number())
    )


@bp.route("/team/invite", methods=["GET", "POST"])
@requires("manage_practitioners")
def invite_practitioner() -> Response:
    """Invite a practitioner to your organisation (the role and organisation are fixed)."""
    form = InvitePractitionerForm()
    organisation = db.session.get(Provider, current_user.provider_id)
    if form.validate_on_submit():
        if organisation is None or not organisation.active:
            form.email.errors.append(
                "Your organisation is not active: ask the council to reactivate it"
            )
        else:
            user = invite_and_send(form, Role.PRACTITIONER, organisation)
            if user is not None:
                flash(f"Invitation sent to {user.email}", "success")
                return redirect_after_post(url_for("admin.team_member", user_id=user.id))
    return render("admin/team/invite_practitioner.html", form=form, organisation=organisation)


@bp.route("/team/<int:user_id>")
@requires("manage_practitioners")
def team_member(user_id: int) -> Response:
    """Someone in your organisation."""
    person = found(find_team_member(current_user.provider_id, user_id))
    return person_page("admin/team/team_member.html", person)


@bp.route("/team/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires("manage_practitioners")
def deactivate_team_member(user_id: int) -> Response:
    """Check, then deactivate one of your practitioners: they are signed out at once."""
    person = found(find_team_practitioner(current_user.provider_id, user_id))
    return deactivate_page(
        person,
        action=url_for("admin.deactivate_team_member", user_id=person.id),
        back=url_for("admin.team_member", user_id=person.id),
        body=[
            "They will be signed out straight away and will not be able to sign in.",
            "Work assigned to them stays assigned: reassign it if someone else should finish it. "
            "You can reactivate the account later.",
        ],
    )


@bp.route("/team/<int:user_id>/reactivate", methods=["POST"])
@requires("manage_practitioners")
def reactivate_team_member(user_id: int) -> Response:
    """Let one of your practitioners sign in again."""
    person = found(find_team_practitioner(current_user.provider_id, user_id))
    reactivate_and_flash(person)
    return redirect_after_post(url_for("admin.team_member", user_id=person.id))


@bp.route("/team/<int:user_id>/invitation", methods=["POST"])
@requires("manage_practitioners")
def resend_team_invitation(user_id: int) -> Response:
    """Send one of your practitioners a new invitation link; earlier links stop working."""
    person = found(find_team_practitioner(current_user.provider_id, user_id))
    resend_and_flash(person)
    return redirect_after_post(url_for("admin.team_member", user_id=person.id))


@bp.route("/team/mailbox", methods=["GET", "POST"])
@requires("manage_practitioners")
def team_mailbox() -> Response:
    """Set or remove your organisation's team mailbox, which gets a copy of its work mail."""
    organisation = db.session.get(Provider, current_user.provider_id)
    if organisation is None:
        abort(404)
    form = TeamMailboxForm(data={"mailbox": organisation.team_mailbox or ""})
    if form.validate_on_submit():
        changed: list[bool] = []
        if run_form_action(
            form.mailbox,
            lambda: changed.append(set_team_mailbox(organisation, form.mailbox.data, current_user)),
        ):
            if changed and changed[0]:
                flash(
                    f"Copies will go to {organisation.team_mailbox}"
                    if organisation.team_mailbox
                    else "The team mailbox is removed: no more copies will be sent",
                    "success",
                )
            return redirect_after_post(url_for("admin.team"))
    return render("admin/team/mailbox.html", form=form, organisation=organisation)
