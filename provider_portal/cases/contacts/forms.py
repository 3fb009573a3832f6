"""The form for the contacts a provider needs for the work."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovSubmitInput, GovTextInput
from wtforms import HiddenField, StringField, SubmitField

from provider_portal.accounts.forms import strip
from provider_portal.cases.contacts.services import CONTACT_FIELDS, Contacts, contacts_of
from provider_portal.forms import new_nonce
from provider_portal.models import Case

# The lengths are the service's to check, in its own words (check_contacts).


def _box(label: str, kind: str = "text", hint: str = "") -> StringField:
    return StringField(
        label,
        widget=GovTextInput(),
        filters=[strip],
        description=hint,
        render_kw={"type": kind},
    )


class ContactsForm(FlaskForm):
    """The parent or carer and the SENCo: names, telephone numbers, email addresses."""

    parent_carer_name = _box("Parent or carer's name (optional)")
    parent_carer_phone = _box("Parent or carer's telephone number (optional)", "tel")
    parent_carer_email = _box("Parent or carer's email address (optional)", "email")
    senco_name = _box(
        "SENCo's name (optional)", hint="The special educational needs co-ordinator at the setting"
    )
    senco_phone = _box("SENCo's telephone number (optional)", "tel")
    senco_email = _box("SENCo's email address (optional)", "email")
    version = HiddenField()
    nonce = HiddenField()  # saved once: provider_portal.submissions
    submit = SubmitField("Save the contacts", widget=GovSubmitInput())

    def contacts(self) -> Contacts:
        return Contacts(**{name: getattr(self, name).data or None for name in CONTACT_FIELDS})


def contacts_form(case: Case) -> ContactsForm:
    current = contacts_of(case)
    values = {name: getattr(current, name) or "" for name in CONTACT_FIELDS}
    return ContactsForm(
        formdata=None, prefix="contacts", version=str(case.version), nonce=new_nonce(), **values
    )
