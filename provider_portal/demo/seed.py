"""`flask demo seed`: a believable demo installation, built through the same services as the pages.

Everything is relative to today, so the demo always shows the latest four months, and comes from
one seeded random generator, so two runs on the same day build the same records.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import click
from sqlalchemy import func, select

from provider_portal.accounts.services import create_user
from provider_portal.admin.services import create_provider, set_team_mailbox
from provider_portal.allocations.services import (
    accept,
    allocate,
    assign,
    is_taken_on,
    provider_accept,
    record_return,
    request_amendment,
    withdraw,
)
from provider_portal.cases.outcomes.services import (
    close_case,
    record_assessment_decision,
    record_draft_plan,
    record_final_plan,
    record_issue_decision,
)
from provider_portal.cases.recording.services import FieldError
from provider_portal.contracts.services import (
    add_variation,
    create_contract,
    set_price,
    set_turnaround,
)
from provider_portal.demo.guard import refuse_outside_development
from provider_portal.demo.notifications import settle_notifications
from provider_portal.demo.papers import (
    ensure_paper_kinds,
    returned_document,
    share_papers_with_open_work,
)
from provider_portal.demo.work_contacts import build_contacts_and_questions
from provider_portal.extensions import db
from provider_portal.formatting import format_money, long_date, month_year
from provider_portal.forms import new_nonce
from provider_portal.models import (
    DEFAULT_WORK_TYPES,
    OPEN_STATUSES,
    Allocation,
    AllocationStatus,
    Case,
    CaseException,
    Provider,
    Role,
    User,
    WorkType,
)
from provider_portal.passwords import password_problem
from provider_portal.timescales import (
    FINAL_PLAN_DAYS,
    add_months,
    age_on,
    financial_year,
    financial_year_end,
    month_start,
    parse_year_group,
    reception_year,
    today,
)

DEFAULT_PASSWORD = "demo-password-2024"
EP_AGENCY = "Northbrook Psychology Services"
PLAN_AGENCY = "Clearwater Plan Writing Ltd"
TEAM_MAILBOX = "casework@northbrook.example"
# email, name, role, provider
ACCOUNTS: tuple[tuple[str, str, Role, str | None], ...] = (
    ("admin@demo.example", "Asha Patel", Role.ADMIN, None),
    ("manager@demo.example", "Morgan Ellis", Role.MANAGER, None),
    ("monitor@demo.example", "Priya Shah", Role.MONITOR, None),
    ("provider-admin@northbrook.example", "Dr Helen Ward", Role.PROVIDER_ADMIN, EP_AGENCY),
    ("practitioner@northbrook.example", "Dr Tom Okafor", Role.PRACTITIONER, EP_AGENCY),
    ("writer@clearwater.example", "Jess Morgan", Role.PROVIDER_ADMIN, PLAN_AGENCY),
)

CASE_COUNT = 600
LOOKED_AFTER_SHARE = 0.08
# Work allocated in each of the last four months, oldest first (as in the board paper), and the
# share of it back by today: the older months nearly complete, the latest barely started.
MONTHLY_ALLOCATIONS = (38, 74, 85, 98)
RETURN_RATES = (0.97, 0.81, 0.68, 0.05)
ACCEPT_RATES = (0.9, 0.75, 0.55, 0.3)
PLAN_WRITING_SHARE = 0.2
AMENDMENT_RATE = 0.06
# (month index, position in that month) of the work withdrawn after allocation.
WITHDRAWN = ((1, 5), (2, 17))
# Providers accept work this many days after it arrives: the latest days' work awaits an answer.
PROVIDER_ANSWER_DAYS = 2

FIRST_NAMES = (
    "Oliver", "Amelia", "Noah", "Isla", "Muhammad", "Ava", "George", "Olivia", "Leo", "Freya",
    "Arthur", "Lily", "Harry", "Ivy", "Oscar", "Florence", "Archie", "Mia", "Henry", "Willow",
    "Theo", "Rosie", "Jack", "Sophia", "Alfie", "Grace", "Charlie", "Evie", "Jacob", "Poppy",
    "Thomas", "Aisha", "Reuben", "Maya", "Kai", "Zara", "Finley", "Elsie", "Ibrahim", "Hannah",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Turner", "Hill", "Moore", "Cooper",
    "Ahmed", "Ward", "Morris", "King", "Begum", "Baker", "Harrison", "Mensah", "Kowalski",
    "Nowak", "Okafor", "O'Brien",
)  # fmt: skip
EARLY_YEARS = ("Little Acorns Nursery", "Sunflower Day Nursery")
PRIMARY = ("Oakfield Primary School", "St Mary's CE Primary School", "Riverside Primary Academy")
INFANT = "Hillcrest Infant School"
JUNIOR = "Meadowbank Junior School"
SECONDARY = ("Northgate Academy", "Kingsmead School", "Castle Hill High School")
SPECIAL = ("Brookside Special School", "The Willows School")
POST_16 = ("Westfield Sixth Form College", "Riverside College")
# Each demo setting's type (provider_portal.outcomes.SETTING_TYPES), which decides its transfers.
SETTING_TYPE_OF: dict[str, str] = {
    **dict.fromkeys(EARLY_YEARS, "early_years"),
    **dict.fromkeys(PRIMARY, "primary"),
    INFANT: "infant",
    JUNIOR: "junior",
    **dict.fromkeys(SECONDARY, "secondary"),
    **dict.fromkeys(SPECIAL, "special"),
    **dict.fromkeys(POST_16, "post_16"),
}
AMENDMENT_COMMENTS = (
    "Section F does not say who will provide the speech and language support or how often.",
    "The outcomes in section E are not specific enough. Please make them measurable.",
    "The advice does not reflect the parents' views gathered at the consultation.",
    "Please add the cognitive assessment results referred to in the summary.",
)
WITHDRAWAL_REASONS = (
    "Family moved out of the area",
    "Request withdrawn by the parent",
)


@dataclass(frozen=True)
class DemoContract:
    """A demo contract: what was bought from one provider, at what price, to what targets."""

    reference: str
    title: str
    provider: str
    value: Decimal
    work_type: str
    prices: tuple[Decimal, Decimal]  # from the start; from PRICE_CHANGE_MONTH on
    turnaround_days: int
    monthly_volume: int
    on_time_target_percent: int
    max_rework_percent: int
    stated_monthly_capacity: int


# The board paper's contract: £850,000 agreed, raised by the Executive Board to £1,496,000
# across two financial years. The plan writers' contract is small and nearly used up, so the
# demo shows the warning before an allocation that would exceed it.
DEMO_CONTRACTS = (
    DemoContract(
        reference="NPS-EHC-01",
        title="Educational psychology advice for out-of-timescale EHC needs assessments",
        provider=EP_AGENCY,
        value=Decimal("850000.00"),
        work_type="ep_advice",
        prices=(Decimal("1200.00"), Decimal("1250.00")),
        turnaround_days=42,
        monthly_volume=100,
        on_time_target_percent=90,
        max_rework_percent=10,
        stated_monthly_capacity=110,
    ),
    DemoContract(
        reference="CPW-PLAN-01",
        title="Draft EHC plan writing",
        provider=PLAN_AGENCY,
        value=Decimal("60000.00"),
        work_type="plan_writing",
        prices=(Decimal("950.00"), Decimal("975.00")),
        turnaround_days=35,
        monthly_volume=25,
        on_time_target_percent=85,
        max_rework_percent=15,
        stated_monthly_capacity=30,
    ),
)
VARIATION = (
    Decimal("646000.00"),
    "Executive Board decision: additional funding to clear the out-of-timescale backlog",
    "EB-2024-117",
)
PRICE_CHANGE_MONTH = 2  # the new prices apply from the third of the demo's four months


@dataclass
class Counts:
    """What the seed created, for the closing summary."""

    allocated: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    returned: list[int] = field(default_factory=lambda: [0, 0, 0, 0])


def demo_password() -> str:
    """The demo accounts' password: PORTAL_DEMO_PASSWORD, or the documented default."""
    password = os.environ.get("PORTAL_DEMO_PASSWORD") or DEFAULT_PASSWORD
    problem = password_problem(password)
    if problem:
        raise click.UsageError(f"PORTAL_DEMO_PASSWORD: {problem}")
    return password


def _academic_year_start(on: date) -> date:
    return date(on.year if on.month >= 9 else on.year - 1, 9, 1)


def school_details(rng: random.Random, born: date, now: date) -> tuple[str | None, str | None]:
    """Year group and setting; the year group follows the child's age on 31 August."""
    age = age_on(born, _academic_year_start(now) - timedelta(days=1))
    if age < 4:
        return None, rng.choice(EARLY_YEARS)
    if age > 17:
        return None, rng.choice(POST_16) if rng.random() < 0.6 else None
    year_group = "Reception" if age == 4 else f"Year {age - 4}"
    if rng.random() < 0.1:
        return year_group, rng.choice(SPECIAL)
    if age <= 10:
        return year_group, rng.choice(PRIMARY + ((INFANT,) if age <= 6 else (JUNIOR,)))
    if age <= 15:
        return year_group, rng.choice(SECONDARY)
    return year_group, rng.choice(POST_16)


def date_of_birth(rng: random.Random, now: date, requested_on: date) -> date:
    """0 to 25 years old, mostly of school age (4 to 16), and born before the request."""
    roll = rng.random()
    if roll < 0.85:
        age = rng.randint(4, 16)
    elif roll < 0.93:
        age = rng.randint(0, 3)
    else:
        age = rng.randint(17, 25)
    born = now - timedelta(days=age * 365 + rng.randint(0, 364))
    return min(born, requested_on - timedelta(days=rng.randint(60, 400)))


def build_cases(rng: random.Random, now: date) -> list[Case]:
    """CASE_COUNT requests, all received 20 weeks ago or more: the out-of-timescale backlog."""
    received = sorted(
        now - timedelta(days=FINAL_PLAN_DAYS + rng.randint(1, 260)) for _ in range(CASE_COUNT)
    )
    looked_after = set(rng.sample(range(CASE_COUNT), round(CASE_COUNT * LOOKED_AFTER_SHARE)))
    cases = []
    for number, received_on in enumerate(received, start=1):
        born = date_of_birth(rng, now, received_on)
        year_group, setting = school_details(rng, born, now)
        exception = None
        if rng.random() < 0.04:
            exception = rng.choice(("school_holiday", "exceptional_personal_circumstances"))
        cases.append(
            Case(
                case_ref=f"EHC{received_on.year % 100:02d}-{number:04d}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                date_of_birth=born,
                year_group=year_group,
                setting=setting,
                setting_type=SETTING_TYPE_OF.get(setting or ""),
                request_received_on=received_on,
                looked_after=number - 1 in looked_after,
                reception_year=reception_year(parse_year_group(year_group), born, now),
                exceptions=[
                    CaseException(
                        applies_to="final_plan",
                        reason=exception,
                        starts_on=received_on + timedelta(days=rng.randint(20, 60)),
                        note="Demo exception",
                    )
                ]
                if exception
                else [],
            )
        )
    return cases


def _working_days(first: date, last: date) -> list[date]:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    weekdays = [day for day in days if day.weekday() < 5]
    return weekdays or days


def _allocation_dates(rng: random.Random, now: date) -> list[list[date]]:
    """For each of the last four months, the dates work was allocated (never after today)."""
    months = []
    for index, count in enumerate(MONTHLY_ALLOCATIONS):
        first = add_months(month_start(now), index - 3)
        last = min(add_months(first, 1) - timedelta(days=1), now)
        extra = sum(1 for month, _ in WITHDRAWN if month == index)
        days = _working_days(first, last)
        months.append(sorted(rng.choice(days) for _ in range(count + extra)))
    return months


def _later(rng: random.Random, start: date, low: int, high: int, now: date) -> date:
    """A date low to high days after start, but never after today."""
    return min(start + timedelta(days=rng.randint(low, high)), now)


def build_contracts(now: date, providers: dict[str, Provider]) -> list[str]:
    """A contract with each demo provider from the first demo month to the end of next
    financial year, with a price change part way and the board's variation; the demo's
    allocations go under them. Returns a line per contract for the closing summary."""
    start = add_months(month_start(now), -3)
    end = financial_year_end(financial_year(now) + 1)
    price_change = add_months(start, PRICE_CHANGE_MONTH)
    lines = []
    for spec in DEMO_CONTRACTS:
        work_type = db.session.scalars(
            select(WorkType).where(WorkType.code == spec.work_type)
        ).one()
        contract = create_contract(
            reference=spec.reference,
            title=spec.title,
            provider=providers[spec.provider],
            start_on=start,
            end_on=end,
            original_value=spec.value,
            actor=None,
            monthly_volume=spec.monthly_volume,
            on_time_target_percent=spec.on_time_target_percent,
            max_rework_percent=spec.max_rework_percent,
            stated_monthly_capacity=spec.stated_monthly_capacity,
        )
        set_price(contract, work_type, spec.prices[0], start, actor=None)
        set_price(contract, work_type, spec.prices[1], price_change, actor=None)
        set_turnaround(contract, work_type, spec.turnaround_days, actor=None)
        value = spec.value
        if spec.provider == EP_AGENCY:
            amount, reason, approval = VARIATION
            add_variation(
                contract,
                amount=amount,
                approved_on=min(add_months(start, 2) + timedelta(days=9), now),
                reason=reason,
                approval_reference=approval,
                actor=None,
            )
            value += amount
        lines.append(
            f"  {spec.reference:<14}{spec.provider}: {format_money(value)}, "
            f"{long_date(start)} to {long_date(end)}"
        )
    return lines


def build_allocations(
    rng: random.Random,
    now: date,
    cases: list[Case],
    providers: dict[str, Provider],
    uploaders: dict[int, User] | None = None,
) -> Counts:
    """Allocate, return, accept and send back work through the services, with explicit dates.

    uploaders: by provider id, who uploads the provider's document before its first return.
    """
    ep_advice = db.session.scalars(select(WorkType).where(WorkType.code == "ep_advice")).one()
    plan_writing = db.session.scalars(select(WorkType).where(WorkType.code == "plan_writing")).one()
    # Looked-after children and the longest waits go first, as a manager would choose.
    queue = sorted(cases, key=lambda c: (not c.looked_after, c.request_received_on))
    advice_back: list[tuple[date, Case]] = []  # EP advice accepted: ready for a plan writer
    counts = Counts()
    withdrawn = set(WITHDRAWN)
    for month, dates in enumerate(_allocation_dates(rng, now)):
        for position, allocated_on in enumerate(dates):
            ready = [item for item in advice_back if item[0] < allocated_on]
            if ready and rng.random() < PLAN_WRITING_SHARE:
                advice_back.remove(ready[0])
                case, work_type, provider = ready[0][1], plan_writing, providers[PLAN_AGENCY]
            else:
                case, work_type, provider = queue.pop(0), ep_advice, providers[EP_AGENCY]
            allocation = allocate(case, provider, work_type, actor=None, allocated_on=allocated_on)
            if (month, position) in withdrawn:
                reason = rng.choice(WITHDRAWAL_REASONS)
                withdraw(allocation, reason, actor=None, withdrawn_on=allocated_on)
                continue
            counts.allocated[month] += 1
            answered_on = allocated_on + timedelta(days=PROVIDER_ANSWER_DAYS)
            if answered_on <= now:
                provider_accept(allocation, actor=None, accepted_on=answered_on)
            if rng.random() >= RETURN_RATES[month]:
                continue
            returned_on = _later(rng, allocated_on, 14, 56, now)
            record_return(allocation, actor=None, returned_on=returned_on)
            if uploaders:
                returned_document(allocation, uploaders[provider.id])
            counts.returned[month] += 1
            if rng.random() < AMENDMENT_RATE:
                sendback = request_amendment(allocation, rng.choice(AMENDMENT_COMMENTS), actor=None)
                # The service stamps today; the demo's history needs the day it happened.
                sent_back_on = _later(rng, returned_on, 1, 7, now)
                allocation.amendment_requested_on = sent_back_on
                sendback.requested_on = sent_back_on
                if month > 1 or rng.random() < 0.5:
                    continue
                returned_on = _later(rng, sent_back_on, 3, 10, now)
                record_return(allocation, actor=None, returned_on=returned_on)
            if rng.random() < ACCEPT_RATES[month]:
                accepted_on = _later(rng, returned_on, 1, 14, now)
                accept(allocation, actor=None, accepted_on=accepted_on)
                if work_type is ep_advice:
                    advice_back.append((accepted_on, case))
                else:
                    case.final_plan_issued_on = _later(rng, accepted_on, 2, 10, now)
    return counts


def _recorded(errors: list[FieldError]) -> None:
    """The demo's outcomes are chosen to be valid: a refusal here is a bug in the demo."""
    if errors:
        raise click.ClickException("; ".join(error.message for error in errors))


def _outcome(service: Any, case: Case, actor: User, **values: Any) -> None:
    """Record one outcome through its service, as the manager's form would, on the case as
    saved (a pending change would move its version under the service's feet)."""
    db.session.flush()
    _recorded(
        service(case, expected_version=case.version, actor=actor, nonce=new_nonce(), **values)
    )


def refuse_one(cases: list[Case], actor: User) -> Case:
    """The newest request (never a looked-after child's: they are allocated first) was
    refused an assessment at 5 weeks: it closed then, so it is never allocated."""
    refused = max((c for c in cases if not c.looked_after), key=lambda c: c.request_received_on)
    _outcome(
        record_assessment_decision,
        refused,
        actor,
        decision="refused",
        decided_on=refused.request_received_on + timedelta(days=35),
    )
    return refused


def agree_the_rest(rng: random.Random, cases: list[Case], actor: User) -> None:
    """Every other case on the backlog was agreed for assessment, 4 to 6 weeks in."""
    for case in cases:
        if case.assessment_decision is None:
            decided_on = case.request_received_on + timedelta(days=rng.randint(28, 42))
            _outcome(
                record_assessment_decision, case, actor, decision="agreed", decided_on=decided_on
            )


def build_outcomes(now: date, cases: list[Case], actor: User) -> None:
    """One case in each state the case page can show, beside the refusal: not to issue,
    withdrawn (its advice still with the provider, flagged to withdraw), moved away, ceased,
    a draft in its 15 days, and a final plan the family agreed could come sooner."""
    by_newest = sorted(cases, key=lambda c: (c.request_received_on, c.id), reverse=True)
    untouched = [c for c in by_newest if not c.allocations and c.closed_on is None]
    not_issuing, moved, ceased = untouched[:3]
    _outcome(
        record_issue_decision,
        not_issuing,
        actor,
        decision="not_issue",
        decided_on=not_issuing.request_received_on + timedelta(days=100),
    )
    _outcome(
        close_case,
        moved,
        actor,
        reason="moved_away",
        closed_on=now - timedelta(days=12),
        ceased_reason=None,
    )
    _outcome(
        close_case,
        ceased,
        actor,
        reason="ceased",
        closed_on=now - timedelta(days=20),
        ceased_reason="other",
    )

    def with_advice(status: AllocationStatus) -> list[Case]:
        return [
            c
            for c in by_newest
            if c.final_plan_issued_on is None
            and [a.status for a in c.allocations] == [status]
            and c.allocations[0].allocated_on < now - timedelta(days=7)
        ]

    withdrawn = with_advice(AllocationStatus.ALLOCATED)[0]
    _outcome(
        close_case,
        withdrawn,
        actor,
        reason="withdrawn_by_family",
        closed_on=now - timedelta(days=3),
        ceased_reason=None,
    )
    drafted = with_advice(AllocationStatus.ACCEPTED)[0]
    _outcome(
        record_issue_decision, drafted, actor, decision="issue", decided_on=now - timedelta(days=20)
    )
    _outcome(record_draft_plan, drafted, actor, sent_on=now - timedelta(days=5))
    # A plan the plan writers' work led to, issued a week after its draft with the family's
    # agreement: the allocations above dated it directly, so it is taken back and recorded
    # again through the services on the same day, with its draft before it.
    issued = next(c for c in by_newest if c.final_plan_issued_on is not None)
    final_on = issued.final_plan_issued_on
    assert final_on is not None
    issued.final_plan_issued_on = None
    _outcome(record_draft_plan, issued, actor, sent_on=final_on - timedelta(days=7))
    _outcome(record_final_plan, issued, actor, issued_on=final_on, family_agreed=True)


def assign_open_work(providers: dict[str, Provider]) -> None:
    """Share each provider's open, accepted work between its people, as its administrator would."""
    for provider in providers.values():
        people = list(
            db.session.scalars(
                select(User).where(User.provider_id == provider.id).order_by(User.id)
            )
        )
        open_work = db.session.scalars(
            select(Allocation)
            .where(Allocation.provider_id == provider.id, Allocation.status.in_(OPEN_STATUSES))
            .order_by(Allocation.id)
        ).all()
        for index, allocation in enumerate(a for a in open_work if is_taken_on(a)):
            assign(allocation, people[index % len(people)], actor=None)


def ensure_work_types() -> None:
    """The migration creates them; a database made with create_all may not have them."""
    existing = set(db.session.scalars(select(WorkType.code)))
    db.session.add_all(
        WorkType(code=code, name=name, turnaround_days=days)
        for code, name, days in DEFAULT_WORK_TYPES
        if code not in existing
    )


def build_accounts(password: str, providers: dict[str, Provider]) -> None:
    """One account per role; every one has the same demo password."""
    for email, name, role, provider_name in ACCOUNTS:
        provider = providers[provider_name] if provider_name else None
        create_user(email, name, role, provider, password=password, actor=None, via="demo")


def print_accounts(password: str) -> None:
    """The table `make run` shows, so people know how to sign in."""
    rows = [("Email", "Role", "Password")] + [
        (email, role.label + (f", {provider}" if provider else ""), password)
        for email, _name, role, provider in ACCOUNTS
    ]
    email_width = max(len(row[0]) for row in rows) + 2
    role_width = max(len(row[1]) for row in rows) + 2
    click.echo("\nDemo accounts (sign in at /sign-in)")
    for email, role_label, shown in rows:
        click.echo(f"  {email:<{email_width}}{role_label:<{role_width}}{shown}")
    click.echo("")


@click.command("seed")
def seed_command() -> None:
    """Fill an empty database with a believable demo; safe to run again."""
    refuse_outside_development()
    password = demo_password()
    demo_admin = ACCOUNTS[0][0]
    if db.session.scalar(select(User).where(User.email == demo_admin)) is not None:
        click.echo("The demo data is already in place.")
        print_accounts(password)
        return
    users = db.session.scalar(select(func.count()).select_from(User)) or 0
    cases = db.session.scalar(select(func.count()).select_from(Case)) or 0
    if users or cases:
        click.echo(
            f"Not seeding: this database already holds {users} accounts and {cases} cases "
            "that are not the demo's. The demo only fills an empty database.",
            err=True,
        )
        return

    now = today()
    rng = random.Random(2024)
    ensure_work_types()
    providers = {
        name: create_provider(name, actor=None, via="demo") for name in (EP_AGENCY, PLAN_AGENCY)
    }
    case_list = build_cases(rng, now)
    db.session.add_all(case_list)
    db.session.flush()
    build_accounts(password, providers)
    manager = db.session.scalars(select(User).where(User.role == Role.MANAGER)).one()
    # The outcomes take their own random numbers, so the cases and work are as they were.
    outcomes_rng = random.Random(2025)
    refused = refuse_one(case_list, manager)
    agree_the_rest(outcomes_rng, case_list, manager)
    contract_lines = build_contracts(now, providers)
    ensure_paper_kinds()
    uploaders = {
        user.provider_id: user
        for user in db.session.scalars(
            select(User).where(User.role == Role.PROVIDER_ADMIN).order_by(User.id.desc())
        )
        if user.provider_id is not None
    }
    # Northbrook's casework inbox gets a copy of its work mail.
    set_team_mailbox(providers[EP_AGENCY], TEAM_MAILBOX, uploaders[providers[EP_AGENCY].id])
    to_allocate = [c for c in case_list if c is not refused]
    counts = build_allocations(rng, now, to_allocate, providers, uploaders)
    build_outcomes(now, case_list, manager)
    assign_open_work(providers)
    build_contacts_and_questions(providers[EP_AGENCY], manager)
    papers = share_papers_with_open_work(manager)
    notifications, unread = settle_notifications(now)
    db.session.commit()

    click.echo(
        f"Demo data created for {long_date(now)}: {len(case_list)} cases, "
        f"{papers} case papers shared with open work."
    )
    click.echo(
        f"{notifications} notifications, {unread} of them from the last week and unread; "
        "their emails are marked as sent (the demo sends no mail)."
    )
    for index, allocated in enumerate(counts.allocated):
        month = month_year(add_months(month_start(now), index - 3))
        click.echo(f"  {month:<16}{allocated:>4} allocated {counts.returned[index]:>4} returned")
    click.echo("Contracts:")
    for line in contract_lines:
        click.echo(line)
    print_accounts(password)
