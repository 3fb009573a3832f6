"""A form sent twice saves once: its one-time nonce is claimed with the change it makes.

A form that records something (a timescale exception, a case's dates) carries a nonce made
when the page was drawn (forms.new_nonce). Its service claims the nonce before it changes
anything, in the same transaction, so the nonce is kept exactly when the change is: a form
refused for its mistakes can be corrected and sent again, and a form that was saved, sent
again (a double click, back and resubmit, a retry after a lost answer), raises Resubmitted.
Two copies at the same moment are settled by the primary key: the second waits for the first
to commit, then fails to insert.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from provider_portal.errors import Resubmitted
from provider_portal.extensions import db
from provider_portal.models import FormSubmission, User


def claim(nonce: str, form: str, actor: User) -> None:
    """Claim the form's nonce in the current transaction (the caller commits it with the
    change); raise Resubmitted if the form was already saved."""
    if db.session.get(FormSubmission, nonce) is not None:
        raise Resubmitted()
    try:
        with db.session.begin_nested():
            db.session.add(FormSubmission(nonce=nonce, form=form, user_id=actor.id))
    except IntegrityError as error:
        raise Resubmitted() from error
