"""The words of each email: a plain-text template per kind, in GOV.UK Notify's style.

templates/email/notifications/<template>.txt begins "Subject: ..." and a blank line, then the
body. The fields come from the outbox row's personalisation (see services.work_fields): the
stage, the case reference, dates and a link, never a child's name, date of birth or school.
The Notify backend sends the same subject and body as its template's ((subject)) and ((body)).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import render_template

TEMPLATE_FOLDER = "email/notifications"
SUBJECT_PREFIX = "Subject: "


class TemplateError(ValueError):
    """A message template is not in the expected shape."""


def render_message(template: str, personalisation: Mapping[str, object]) -> tuple[str, str]:
    """The subject and the plain-text body of a message."""
    text = render_template(f"{TEMPLATE_FOLDER}/{template}.txt", **personalisation)
    first, _, rest = text.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise TemplateError(f"{template}.txt must begin with {SUBJECT_PREFIX!r}")
    return first.removeprefix(SUBJECT_PREFIX).strip(), rest.strip() + "\n"
