"""Demo contacts for the work and question threads, so the provider's page shows both.

Fictional people with Ofcom's drama numbers and example.com addresses. Nothing here moves a
figure: contacts and messages are counted by no report.
"""

from __future__ import annotations

from sqlalchemy import select

from provider_portal.allocations.questions.services import answer_question, ask_question
from provider_portal.allocations.services import is_taken_on
from provider_portal.cases.contacts.services import Contacts, update_contacts
from provider_portal.extensions import db
from provider_portal.forms import new_nonce
from provider_portal.models import OPEN_STATUSES, Allocation, Provider, User

CONTACTS = (
    Contacts(
        parent_carer_name="Joanne Fairweather",
        parent_carer_phone="07700 900 417",
        parent_carer_email="j.fairweather@example.com",
        senco_name="Mr Daniel Ashcombe",
        senco_phone="01632 960 218",
        senco_email="senco@hillside-primary.example.sch.uk",
    ),
    Contacts(
        parent_carer_name="Marcus Obi",
        parent_carer_phone="07700 900 583",
        senco_name="Mrs Carol Penrose",
        senco_email="c.penrose@riverbank-academy.example.sch.uk",
    ),
    Contacts(
        parent_carer_name="Aisling Byrne",
        parent_carer_email="aisling.byrne@example.com",
        senco_name="Ms Farah Qureshi",
        senco_phone="01632 960 744",
    ),
)
# (question, the council's answer or None while it waits)
THREADS = (
    (
        "The request mentions a speech and language assessment last year. Can you share it, "
        "or tell us who carried it out?",
        "It was done by the community SALT team in March. We have asked them for the report "
        "and will add it to the case when it arrives.",
    ),
    (
        "The school has asked whether the observation can be moved to the afternoon. Is there "
        "any reason the council needs it in the morning?",
        None,
    ),
)


def build_contacts_and_questions(provider: Provider, manager: User) -> None:
    """Contacts on the cases of the provider's first open work taken on, and two threads,
    one answered and one waiting."""
    work = [
        allocation
        for allocation in select_open_work(provider)
        if is_taken_on(allocation) and allocation.assigned_to is not None
    ][: len(CONTACTS)]
    for allocation, contacts in zip(work, CONTACTS, strict=False):
        case = allocation.case
        update_contacts(case, contacts, case.version, actor=manager, nonce=new_nonce())
    for allocation, (question, answer) in zip(work, THREADS, strict=False):
        asker = allocation.assigned_to
        assert asker is not None  # chosen above
        ask_question(allocation, question, actor=asker, nonce=new_nonce())
        if answer is not None:
            answer_question(allocation, answer, actor=manager, nonce=new_nonce())


def select_open_work(provider: Provider) -> list[Allocation]:
    return list(
        db.session.scalars(
            select(Allocation)
            .where(Allocation.provider_id == provider.id, Allocation.status.in_(OPEN_STATUSES))
            .order_by(Allocation.id)
        )
    )
