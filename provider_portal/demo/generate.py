"""`flask demo generate`: a synthetic dataset of any size, for benchmarks.

Plain rows in bulk, not the services, because 100,000 cases one ORM object at a time would take
far too long. The same seed, day and starting state give the same records.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from time import perf_counter
from typing import Any

import click
from sqlalchemy import bindparam, func, insert, select, text, update

from provider_portal import audit
from provider_portal.allocations import summary as work_summary
from provider_portal.demo.guard import refuse_outside_development
from provider_portal.demo.quality import QualityRows
from provider_portal.demo.seed import (
    AMENDMENT_COMMENTS,
    AMENDMENT_RATE,
    FIRST_NAMES,
    LAST_NAMES,
    LOOKED_AFTER_SHARE,
    SETTING_TYPE_OF,
    WITHDRAWAL_REASONS,
    date_of_birth,
    ensure_work_types,
    school_details,
)
from provider_portal.extensions import db
from provider_portal.models import (
    AllocationStatus,
    Case,
    ContractStatus,
    Provider,
    WorkType,
)
from provider_portal.models.types import Money
from provider_portal.quality import summary as quality_summary
from provider_portal.quality.reasons import ensure_default_reasons
from provider_portal.timescales import (
    FINAL_PLAN_DAYS,
    advice_statutory_due,
    due_date,
    financial_year,
    financial_year_end,
    financial_year_label,
    financial_year_start,
    parse_year_group,
    reception_year,
    today,
)

GENERATED_REF_PREFIX = "GEN"
GENERATED_REF_DIGITS = 7
GENERATE_CHUNK = 5_000  # cases per round of bulk inserts; their children go in the same round
GENERATE_YEARS = 3
CLOSED_ON_TIME_SHARE = 0.25  # of the plans issued, the share issued within 20 weeks
DECISION_RECORDED_SHARE = 0.97
EXCEPTION_SHARE = 0.03
EXCEPTION_REASONS = (
    "school_holiday",
    "exceptional_personal_circumstances",
    "absent_from_area",
    "early_years_closure",
)
CLOSED_WITHOUT_ALLOCATION_SHARE = 0.04  # the council's own EPs did the advice
CLOSED_PLAN_WRITING_SHARE = 0.4
OPEN_PLAN_WRITING_SHARE = 0.5
OTHER_ADVICE_SHARE = 0.12
OTHER_ADVICE = ("ot_advice", "salt_advice", "health_advice", "social_care_advice")
WITHDRAWN_SHARE = 0.03
REFUSED_SHARE = 0.5  # of the requests with no decision recorded
CLOSED_WITHOUT_PLAN_SHARE = 0.06  # of the agreed requests with no plan yet
GENERATED_CLOSINGS = ("withdrawn_by_family", "moved_away", "ceased", "not_issuing")
ALLOCATION_WAIT_DAYS = 150  # the longest an open case waits between decision and allocation
PROVIDER_KINDS = ("ep", "plan", "ep", "therapy", "plan", "ep")  # provider n has kind n % 6
WORK_KIND = {"ep_advice": "ep", "plan_writing": "plan"}  # anything else is therapy
PROVIDER_PLACES = (
    "Ashdown", "Brackenfield", "Calderbrook", "Denholme", "Elmbridge", "Fernhill", "Greystone",
    "Hartwell", "Ivybridge", "Kestrel", "Larkfield", "Millbrook", "Northwood", "Oakhurst",
    "Pennine", "Quarry Bank", "Redbrook", "Sandford", "Thornbury", "Upton", "Westbrook", "Yarrow",
)  # fmt: skip
PROVIDER_SUFFIXES = {
    "ep": ("Psychology Services", "Educational Psychology Ltd", "EP Partnership"),
    "plan": ("Plan Writing Ltd", "SEND Consultancy", "EHC Plans Ltd"),
    "therapy": ("Therapy Services", "Children's Therapies", "Community Health Services"),
}
# Generated contracts: one a financial year per provider, every work type priced, the price
# rising each year and again from 1 October. Values are set from the work generated under
# each contract, so some past years come in over their value and others under.
GENERATED_PRICES = {"ep_advice": Decimal("1150.00"), "plan_writing": Decimal("900.00")}
GENERATED_OTHER_PRICE = Decimal("600.00")
YEARLY_RISE_PERCENT = 4
MID_YEAR_RISE = Decimal("25.00")
PAST_VALUE_PERCENT = (90, 115)  # of the work bought under a past year's contract
CURRENT_VALUE_PERCENT = (130, 180)  # the current year still has months to run
VARIED_SHARE_PERCENT = 57  # the first provider's current contract: £850,000 of £1,496,000
DOCUMENT_TITLES = {
    "ep_advice": "Psychological advice",
    "plan_writing": "Draft EHC plan",
    "ot_advice": "Occupational therapy advice",
    "salt_advice": "Speech and language therapy advice",
    "health_advice": "Health advice",
    "social_care_advice": "Social care advice",
}


Row = dict[str, Any]


@dataclass
class GeneratedCounts:
    """What `demo generate` added, for the closing summary."""

    cases: int = 0
    closed: int = 0
    allocations: int = 0
    documents: int = 0
    exceptions: int = 0
    contracts: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def _stamp(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _fit(durations: list[int], available: int) -> list[int]:
    """The durations, shrunk in proportion when they do not fit in the days available."""
    total = sum(durations)
    if total <= available:
        return durations
    return [duration * max(available, 0) // total for duration in durations]


def _written_year_group(rng: random.Random, year_group: str | None) -> str | None:
    """The year group as a school might write it: "Year 7", "Y7", "Yr 7", "7", "R", "Rec"."""
    if year_group is None:
        return None
    if year_group == "Reception":
        return rng.choice(("Reception", "Reception", "R", "Rec", "reception"))
    number = year_group.removeprefix("Year ")
    return rng.choice(
        (year_group, year_group, f"Y{number}", f"Yr {number}", number, f"year {number}")
    )


def provider_name(rng: random.Random, number: int, taken: Collection[str]) -> str:
    """The number-th generated provider's name: a place and a kind of provider, numbered
    when the name is taken."""
    kind = PROVIDER_KINDS[number % len(PROVIDER_KINDS)]
    base = f"{rng.choice(PROVIDER_PLACES)} {rng.choice(PROVIDER_SUFFIXES[kind])}"
    name, suffix = base, 1
    while name in taken:
        suffix += 1
        name = f"{base} {suffix}"
    return name


class Generator:
    """Builds plain rows for cases and their children and bulk-inserts them a chunk at a time.

    Ids are assigned here from max(id) + 1, so an allocation can name its case and a document
    its allocation without a round trip; nothing is loaded back as an ORM object.
    """

    def __init__(
        self,
        rng: random.Random,
        names: random.Random,
        now: date,
        values: random.Random | None = None,
        quality: random.Random | None = None,
    ) -> None:
        self.rng = rng
        self.names = names  # stored names and hashes: must differ between runs, unlike the data
        self.values = values or random.Random(0)  # contract values: not from rng, which the
        # cases draw from, so adding contracts left every generated case as it was
        self.outcomes = random.Random(12)  # closings without a plan: not from rng either
        self.now = now
        self.tables = db.metadata.tables
        self.next_id = {name: self._max_id(name) + 1 for name in self.GENERATED_TABLES}
        self.advice_codes = set(
            db.session.scalars(select(WorkType.code).where(WorkType.is_advice.is_(True)))
        )
        self.work_types = {
            code: (work_type_id, days)
            for code, work_type_id, days in db.session.execute(
                select(WorkType.code, WorkType.id, WorkType.turnaround_days)
            )
        }
        self.providers: dict[str, list[int]] = {}
        self.provider_ids: list[int] = []
        # (provider id, financial year) -> contract id; contract id -> work type id ->
        # [(from, unit price)] oldest first; the work bought under each contract so far.
        self.contracts: dict[tuple[int, int], int] = {}
        self.prices: dict[int, dict[int, list[tuple[date, Decimal]]]] = {}
        self.spend: dict[int, Decimal] = {}
        self.counts = GeneratedCounts()
        self._rows: dict[str, list[Row]] = {}
        # Reasons and rubric scores from their own random numbers, so the work is unchanged.
        self.quality = QualityRows(quality or random.Random(1))

    # Parents before children: the order the rows of one chunk are inserted in.
    GENERATED_TABLES = (
        "provider",
        "contract",
        "contract_price",
        "contract_turnaround",
        "contract_variation",
        "case",
        "allocation",
        "document",
        "case_exception",
        "sendback",
        "quality_check",
    )
    # Rows of these name their parents and have no id of their own: inserted after them.
    LINK_TABLES = ("sendback_reason_link", "quality_score")

    def _max_id(self, name: str) -> int:
        return db.session.scalar(select(func.max(self.tables[name].c.id))) or 0

    def _new_id(self, name: str) -> int:
        new = self.next_id[name]
        self.next_id[name] = new + 1
        return new

    def _add(self, name: str, row: Row) -> None:
        self._rows.setdefault(name, []).append(row)

    def flush(self) -> None:
        """Insert the rows built so far, parents first, in one executemany per table."""
        self.quality.add(self._rows.get("allocation", []), self._new_id, self._add)
        for name in (*self.GENERATED_TABLES, *self.LINK_TABLES):
            rows = self._rows.pop(name, [])
            if rows:
                db.session.execute(insert(self.tables[name]), rows)

    def finish(self) -> None:
        """Set the contracts' values from the work bought under them; then, as PostgreSQL's
        sequences do not see explicit ids, move them past the new rows."""
        self.flush()
        self._value_contracts()
        self.flush()
        if db.engine.dialect.name == "postgresql":
            for name in self.GENERATED_TABLES:
                quoted = f'"{name}"'
                db.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{quoted}', 'id'), "
                        f"(SELECT max(id) FROM {quoted}))"
                    )
                )

    # --- providers -----------------------------------------------------------------------
    def add_providers(self, count: int) -> list[str]:
        taken = set(db.session.scalars(select(Provider.name)))
        created = []
        for number in range(count):
            kind = PROVIDER_KINDS[number % len(PROVIDER_KINDS)]
            name = provider_name(self.rng, number, taken)
            taken.add(name)
            provider_id = self._new_id("provider")
            self._add(
                "provider",
                {"id": provider_id, "name": name, "active": True, "created_at": _stamp(self.now)},
            )
            self.providers.setdefault(kind, []).append(provider_id)
            self.provider_ids.append(provider_id)
            created.append(name)
        return created

    # --- contracts -----------------------------------------------------------------------
    def add_contracts(self, first_day: date) -> None:
        """A contract a financial year for each new provider, from first_day's year to this
        one; past years ended, this year's active. Values are set in finish()."""
        first_year, this_year = financial_year(first_day), financial_year(self.now)
        for provider_id in self.provider_ids:
            for year in range(first_year, this_year + 1):
                contract_id = self._new_id("contract")
                self.contracts[(provider_id, year)] = contract_id
                self._add(
                    "contract",
                    {
                        "id": contract_id,
                        "reference": f"GEN-P{provider_id}-{financial_year_label(year)}",
                        "title": f"EHC needs assessment work {financial_year_label(year)}",
                        "provider_id": provider_id,
                        "start_on": financial_year_start(year),
                        "end_on": financial_year_end(year),
                        "original_value": Decimal("0.00"),
                        "status": ContractStatus.ACTIVE
                        if year == this_year
                        else ContractStatus.ENDED,
                        "monthly_volume": 100,
                        "on_time_target_percent": 90,
                        "max_rework_percent": 10,
                        "stated_monthly_capacity": 110,
                        "created_by_id": None,
                        "created_at": _stamp(financial_year_start(year)),
                        "updated_at": _stamp(financial_year_start(year)),
                        "version": 1,
                    },
                )
                self.counts.contracts += 1
                self._price_contract(contract_id, year, year - first_year)

    def _price_contract(self, contract_id: int, year: int, years_on: int) -> None:
        rise = (Decimal(100 + YEARLY_RISE_PERCENT) / 100) ** years_on
        prices: dict[int, list[tuple[date, Decimal]]] = {}
        for code, (work_type_id, days) in sorted(self.work_types.items()):
            base = GENERATED_PRICES.get(code, GENERATED_OTHER_PRICE) * rise
            base = (base / 5).quantize(Decimal("1")) * 5  # a whole £5
            steps = [
                (financial_year_start(year), base),
                (date(year, 10, 1), base + MID_YEAR_RISE),
            ]
            prices[work_type_id] = steps
            for effective_from, unit_price in steps:
                self._add(
                    "contract_price",
                    {
                        "id": self._new_id("contract_price"),
                        "contract_id": contract_id,
                        "work_type_id": work_type_id,
                        "effective_from": effective_from,
                        "unit_price": unit_price,
                        "created_by_id": None,
                        "created_at": _stamp(financial_year_start(year)),
                    },
                )
            self._add(
                "contract_turnaround",
                {
                    "id": self._new_id("contract_turnaround"),
                    "contract_id": contract_id,
                    "work_type_id": work_type_id,
                    "days": days,
                },
            )
        self.prices[contract_id] = prices

    def _contract_for(
        self, provider_id: int, work_type_id: int, on: date
    ) -> tuple[int | None, Decimal | None]:
        """The provider's contract for the day's financial year and the work's price under
        it that day (kept on the allocation, as allocate() does); the price is added to what
        was bought under the contract."""
        contract_id = self.contracts.get((provider_id, financial_year(on)))
        if contract_id is None:
            return None, None
        steps = self.prices[contract_id].get(work_type_id, [])
        price = next((p for start, p in reversed(steps) if start <= on), None)
        if price is not None:
            self.spend[contract_id] = self.spend.get(contract_id, Decimal("0.00")) + price
        return contract_id, price

    def _value_contracts(self) -> None:
        """Each contract's value, a share of the work bought under it rounded to £1,000;
        the first provider's current contract was varied, as the board paper's was."""
        this_year = financial_year(self.now)
        values = []
        for (provider_id, year), contract_id in sorted(self.contracts.items()):
            low, high = CURRENT_VALUE_PERCENT if year == this_year else PAST_VALUE_PERCENT
            percent = Decimal(self.values.randint(low, high))
            bought = self.spend.get(contract_id, Decimal("0.00"))
            value = max((bought * percent / 100_000).quantize(Decimal("1")) * 1000, Decimal(10_000))
            if year == this_year and provider_id == self.provider_ids[0]:
                original = (value * VARIED_SHARE_PERCENT / 100_000).quantize(Decimal("1")) * 1000
                approved_on = min(financial_year_start(year) + timedelta(days=190), self.now)
                self._add(
                    "contract_variation",
                    {
                        "id": self._new_id("contract_variation"),
                        "contract_id": contract_id,
                        "approved_on": approved_on,
                        "amount": value - original,
                        "reason": "Executive Board decision: additional funding to clear "
                        "the out-of-timescale backlog",
                        "approval_reference": f"EB-{year}-117",
                        "created_by_id": None,
                        "created_at": _stamp(approved_on),
                    },
                )
                value = original
            values.append({"contract_id": contract_id, "value": value})
        if values:
            table = self.tables["contract"]
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("contract_id"))
                .values(original_value=bindparam("value", type_=Money())),
                values,
            )

    def _provider_for(self, code: str, not_this: int | None = None) -> int:
        kind = WORK_KIND.get(code, "therapy")
        choices = self.providers.get(kind) or [p for ids in self.providers.values() for p in ids]
        if not_this is not None and len(choices) > 1:
            choices = [p for p in choices if p != not_this]
        return self.rng.choice(choices)

    # --- cases ---------------------------------------------------------------------------
    def add_case(self, case_ref: str, received_on: date) -> None:
        rng, now = self.rng, self.now
        case_id = self._new_id("case")
        born = date_of_birth(rng, now, received_on)
        year_group, setting = school_details(rng, born, now)
        year_group = _written_year_group(rng, year_group)
        age = (now - received_on).days

        decided_on: date | None = received_on + timedelta(days=rng.randint(35, 70))
        if decided_on is not None and (decided_on > now or rng.random() > DECISION_RECORDED_SHARE):
            decided_on = None
        final_on = draft_on = None
        # The older the request, the likelier its plan is out; recent ones are all still open.
        if age >= 100 and decided_on is not None and rng.random() < min(0.65, (age - 120) / 900):
            if rng.random() < CLOSED_ON_TIME_SHARE or age <= FINAL_PLAN_DAYS:
                took = rng.randint(100, min(age, FINAL_PLAN_DAYS))
            else:
                took = rng.randint(FINAL_PLAN_DAYS + 1, min(age, FINAL_PLAN_DAYS + 300))
            final_on = received_on + timedelta(days=took)
            draft_on = max(
                final_on - timedelta(days=rng.randint(15, 45)), decided_on + timedelta(14)
            )
            self.counts.closed += 1

        if decided_on is not None and draft_on is not None:
            if rng.random() >= CLOSED_WITHOUT_ALLOCATION_SHARE:
                self._closed_allocations(case_id, case_ref, decided_on, draft_on)
        elif decided_on is not None:
            draft_on = self._open_allocations(case_id, case_ref, decided_on)

        outcome = self._closing(received_on, decided_on, draft_on, final_on)
        if outcome.get("assessment_decision") == "refused":
            decided_on = outcome["decision_to_assess_on"]
        if rng.random() < EXCEPTION_SHARE:
            self._exception(case_id, received_on)
        self._add(
            "case",
            {
                "id": case_id,
                "case_ref": case_ref,
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": rng.choice(LAST_NAMES),
                "date_of_birth": born,
                "year_group": year_group,
                "reception_year": reception_year(parse_year_group(year_group), born, now),
                "setting": setting,
                "setting_type": SETTING_TYPE_OF.get(setting or ""),
                "request_received_on": received_on,
                "looked_after": rng.random() < LOOKED_AFTER_SHARE,
                "decision_to_assess_on": decided_on,
                "draft_plan_issued_on": draft_on,
                "final_plan_issued_on": final_on,
                "assessment_decision": "agreed" if decided_on is not None else None,
                "issue_decision": None,
                "issue_decision_on": None,
                "closed_on": None,
                "closed_reason": None,
                "ceased_reason": None,
                **outcome,
                "created_at": _stamp(received_on),
                "updated_at": _stamp(
                    outcome.get("closed_on") or final_on or draft_on or decided_on or received_on
                ),
                "version": 1,
            },
        )
        self.counts.cases += 1

    def _closing(
        self,
        received_on: date,
        decided_on: date | None,
        draft_on: date | None,
        final_on: date | None,
    ) -> dict[str, Any]:
        """A few requests close without a plan: refused (where no decision was recorded, so
        no work went out), or later withdrawn, moved away, ceased or not issued. From their own
        random numbers, so every other generated value is as it was."""
        roll, now = self.outcomes.random(), self.now
        if final_on is not None:
            return {}
        if decided_on is None:
            decided = received_on + timedelta(days=self.outcomes.randint(28, 42))
            if roll >= REFUSED_SHARE or decided > now:
                return {}
            return {
                "assessment_decision": "refused",
                "decision_to_assess_on": decided,
                "closed_on": decided,
                "closed_reason": "refused_to_assess",
            }
        if roll >= CLOSED_WITHOUT_PLAN_SHARE:
            return {}
        closed_on = (draft_on or decided_on) + timedelta(days=self.outcomes.randint(7, 120))
        reason = self.outcomes.choice(GENERATED_CLOSINGS)
        if closed_on > now or (reason == "not_issuing" and draft_on is not None):
            return {}
        values: dict[str, Any] = {"closed_on": closed_on, "closed_reason": reason}
        if reason == "not_issuing":
            values.update(issue_decision="not_issue", issue_decision_on=closed_on)
        if reason == "ceased":
            values["ceased_reason"] = "other"
        return values

    def _exception(self, case_id: int, received_on: date) -> None:
        rng, now = self.rng, self.now
        starts_on = min(received_on + timedelta(days=rng.randint(14, 90)), now)
        ends_on: date | None = starts_on + timedelta(days=rng.randint(28, 56))
        told_on: date | None = starts_on + timedelta(days=rng.randint(0, 10))
        self._add(
            "case_exception",
            {
                "id": self._new_id("case_exception"),
                "case_id": case_id,
                "applies_to": "final_plan",
                "allocation_id": None,
                "reason": rng.choice(EXCEPTION_REASONS),
                "starts_on": starts_on,
                "ends_on": ends_on if ends_on and ends_on <= now else None,
                "note": "Generated for benchmarking",
                "parent_told_on": told_on if told_on and told_on <= now else None,
                "recorded_by_id": None,
                "recorded_at": _stamp(starts_on, 14),
            },
        )
        self.counts.exceptions += 1

    # --- allocations ---------------------------------------------------------------------
    def _allocation(self, case_id: int, code: str, allocated_on: date, provider_id: int) -> Row:
        work_type_id, turnaround = self.work_types[code]
        contract_id, unit_price = self._contract_for(provider_id, work_type_id, allocated_on)
        row: Row = {
            "id": self._new_id("allocation"),
            "case_id": case_id,
            "provider_id": provider_id,
            "contract_id": contract_id,
            "unit_price": unit_price,
            "work_type_id": work_type_id,
            "status": AllocationStatus.ALLOCATED,
            "allocated_on": allocated_on,
            "due_on": due_date(allocated_on, turnaround),
            # As allocate() does; the generated advice has no advice exceptions to move it.
            "statutory_due_on": (
                advice_statutory_due(allocated_on, [], allocated_on)
                if code in self.advice_codes
                else None
            ),
            "returned_on": None,
            "accepted_on": None,
            "withdrawn_on": None,
            "withdrawn_reason": None,
            "amendment_requested_on": None,
            "amendment_comment": None,
            "amendment_count": 0,
            "allocated_by_id": None,
            "returned_by_id": None,
            "accepted_by_id": None,
            "withdrawn_by_id": None,
            "amendment_requested_by_id": None,
            "created_at": _stamp(allocated_on),
            "updated_at": _stamp(allocated_on),
            "version": 1,
        }
        self._add("allocation", row)
        self.counts.allocations += 1
        return row

    def _documents(self, row: Row, case_ref: str, code: str, uploads: list[date]) -> None:
        for version, uploaded_on in enumerate(uploads, start=1):
            self._add(
                "document",
                {
                    "id": self._new_id("document"),
                    "allocation_id": row["id"],
                    "version": version,
                    "original_filename": f"{case_ref} {DOCUMENT_TITLES.get(code, code)} "
                    f"v{version}.pdf",
                    "stored_name": f"{self.names.getrandbits(128):032x}",
                    "content_type": "application/pdf",
                    "size_bytes": self.rng.randint(60_000, 2_500_000),
                    "sha256": f"{self.names.getrandbits(256):064x}",
                    "uploaded_by_id": None,
                    "uploaded_at": _stamp(uploaded_on, self.rng.randint(9, 17)),
                },
            )
            self.counts.documents += 1

    def _status(self, row: Row) -> None:
        status = str(row["status"])
        self.counts.statuses[status] = self.counts.statuses.get(status, 0) + 1

    def _steps(self) -> tuple[list[int], bool]:
        """Days from allocation to return, [to asking for an amendment, to its return,] to
        acceptance."""
        rng = self.rng
        amended = rng.random() < AMENDMENT_RATE
        steps = [rng.randint(14, 63)]
        if amended:
            steps += [rng.randint(1, 7), rng.randint(3, 14)]
        return steps + [rng.randint(1, 14)], amended

    def _complete(self, row: Row, steps: list[int], amended: bool) -> list[date]:
        """Work that came back (perhaps after an amendment) and was accepted; its uploads."""
        day = row["allocated_on"] + timedelta(days=steps[0])
        row["returned_on"] = day
        uploads = [day]
        if amended:
            asked = day + timedelta(days=steps[1])
            day = asked + timedelta(days=steps[2])
            row["amendment_requested_on"] = asked
            row["amendment_comment"] = self.rng.choice(AMENDMENT_COMMENTS)
            row["amendment_count"] = 1
            uploads.append(day)
        row["accepted_on"] = day + timedelta(days=steps[-1])
        row["status"] = AllocationStatus.ACCEPTED
        row["updated_at"] = _stamp(row["accepted_on"])
        return uploads

    def _closed_allocations(
        self, case_id: int, case_ref: str, decided_on: date, draft_on: date
    ) -> None:
        """A case whose plan is out: its work was all done, in order, before the draft."""
        rng = self.rng
        ep_steps, ep_amended = self._steps()
        plan = rng.random() < CLOSED_PLAN_WRITING_SHARE
        plan_steps, plan_amended = self._steps() if plan else ([], False)
        handoff = [rng.randint(1, 14)] if plan else []
        to_draft = rng.randint(0, 5) if plan else rng.randint(7, 30)
        chain = _fit(ep_steps + handoff + plan_steps + [to_draft], (draft_on - decided_on).days)
        # Whatever time is left over was spent waiting for a provider: the backlog.
        day = draft_on - timedelta(days=sum(chain))
        ep_steps, chain = chain[: len(ep_steps)], chain[len(ep_steps) :]
        ep = self._allocation(case_id, "ep_advice", day, self._provider_for("ep_advice"))
        self._documents(ep, case_ref, "ep_advice", self._complete(ep, ep_steps, ep_amended))
        self._status(ep)
        if plan:
            day = ep["accepted_on"] + timedelta(days=chain[0])
            plan_steps = chain[1 : 1 + len(plan_steps)]
            row = self._allocation(case_id, "plan_writing", day, self._provider_for("plan_writing"))
            self._documents(
                row, case_ref, "plan_writing", self._complete(row, plan_steps, plan_amended)
            )
            self._status(row)
        if rng.random() < OTHER_ADVICE_SHARE:
            code = rng.choice(OTHER_ADVICE)
            day = min(ep["allocated_on"] + timedelta(days=rng.randint(0, 7)), draft_on)
            steps, amended = self._steps()
            steps = _fit(steps, (draft_on - day).days)
            row = self._allocation(case_id, code, day, self._provider_for(code))
            self._documents(row, case_ref, code, self._complete(row, steps, amended))
            self._status(row)

    def _progress(self, row: Row, case_ref: str, code: str) -> None:
        """Open work moves on as far as today allows: returned, sent back, accepted."""
        rng, now = self.rng, self.now
        returned_on = row["allocated_on"] + timedelta(days=rng.randint(10, 75))
        uploads: list[date] = []
        if returned_on <= now:
            uploads.append(returned_on)
            row.update(status=AllocationStatus.RETURNED, returned_on=returned_on)
            last = returned_on
            asked = returned_on + timedelta(days=rng.randint(1, 7))
            if rng.random() < AMENDMENT_RATE and asked <= now:
                row.update(
                    status=AllocationStatus.AMENDMENT_REQUESTED,
                    amendment_requested_on=asked,
                    amendment_comment=rng.choice(AMENDMENT_COMMENTS),
                    amendment_count=1,
                )
                last = asked + timedelta(days=rng.randint(3, 14))
                if last <= now and rng.random() < 0.7:
                    uploads.append(last)
                    row["status"] = AllocationStatus.RETURNED
            if row["status"] is AllocationStatus.RETURNED:
                accepted_on = last + timedelta(days=rng.randint(1, 14))
                # Old returns have nearly all been reviewed; recent ones are waiting.
                if accepted_on <= now and rng.random() < (0.97 if (now - last).days > 30 else 0.6):
                    row.update(status=AllocationStatus.ACCEPTED, accepted_on=accepted_on)
            events = [row["accepted_on"], row["amendment_requested_on"], *uploads]
            row["updated_at"] = _stamp(max(day for day in events if day is not None))
        self._documents(row, case_ref, code, uploads)
        self._status(row)

    def _open_allocations(self, case_id: int, case_ref: str, decided_on: date) -> date | None:
        """A case still open: allocated after a wait (or not yet), the work as far as it got.

        Returns the date the draft plan went out, if it has.
        """
        rng, now = self.rng, self.now
        allocated_on = decided_on + timedelta(days=rng.randint(0, ALLOCATION_WAIT_DAYS))
        if allocated_on > now:
            return None  # still waiting for a provider
        provider_id = self._provider_for("ep_advice")
        ep = self._allocation(case_id, "ep_advice", allocated_on, provider_id)
        withdrawn_on = allocated_on + timedelta(days=rng.randint(3, 30))
        if rng.random() < WITHDRAWN_SHARE and withdrawn_on <= now:
            ep.update(
                status=AllocationStatus.WITHDRAWN,
                withdrawn_on=withdrawn_on,
                withdrawn_reason=rng.choice(WITHDRAWAL_REASONS + ("Provider could not staff it",)),
                updated_at=_stamp(withdrawn_on),
            )
            self._status(ep)
            again = withdrawn_on + timedelta(days=rng.randint(1, 14))
            if again > now:
                return None
            ep = self._allocation(
                case_id, "ep_advice", again, self._provider_for("ep_advice", not_this=provider_id)
            )
        self._progress(ep, case_ref, "ep_advice")
        advice = [ep]
        if rng.random() < OTHER_ADVICE_SHARE:
            code = rng.choice(OTHER_ADVICE)
            day = ep["allocated_on"] + timedelta(days=rng.randint(0, 10))
            if day <= now:
                advice.append(self._allocation(case_id, code, day, self._provider_for(code)))
                self._progress(advice[-1], case_ref, code)
        if ep["accepted_on"] is None or rng.random() >= OPEN_PLAN_WRITING_SHARE:
            return None
        day = ep["accepted_on"] + timedelta(days=rng.randint(1, 21))
        if day > now:
            return None
        plan = self._allocation(case_id, "plan_writing", day, self._provider_for("plan_writing"))
        self._progress(plan, case_ref, "plan_writing")
        # The draft goes out once the plan is written and every piece of advice is in.
        done = [row["accepted_on"] for row in advice + [plan]]
        if None in done:
            return None
        draft_on = max(done) + timedelta(days=rng.randint(0, 5))
        return draft_on if draft_on <= now else None


def _next_generated_number() -> int:
    """One past the highest GEN reference already used, so a second run never clashes."""
    pattern = GENERATED_REF_PREFIX + "_" * GENERATED_REF_DIGITS
    highest = db.session.scalar(select(func.max(Case.case_ref)).where(Case.case_ref.like(pattern)))
    if highest is None:
        return 1
    try:
        return int(highest.removeprefix(GENERATED_REF_PREFIX)) + 1
    except ValueError:
        numbers = [
            int(ref[len(GENERATED_REF_PREFIX) :])
            for ref in db.session.scalars(select(Case.case_ref).where(Case.case_ref.like(pattern)))
            if ref[len(GENERATED_REF_PREFIX) :].isdigit()
        ]
        return max(numbers, default=0) + 1


def generate(cases: int, seed: int, providers: int) -> tuple[GeneratedCounts, list[str]]:
    """Add a synthetic dataset: providers, cases, allocations, document metadata, exceptions.

    The caller commits. Same seed, same day and same starting state: the same records.
    """
    now = today()
    rng = random.Random(seed)
    first_number = _next_generated_number()
    if first_number + cases > 10**GENERATED_REF_DIGITS:
        raise click.UsageError("Too many generated cases for the GEN reference numbers")
    ensure_work_types()
    ensure_default_reasons()
    db.session.flush()
    generator = Generator(
        rng,
        random.Random(f"{seed}:{first_number}"),
        now,
        random.Random(f"{seed}:contracts"),
        random.Random(f"{seed}:quality"),
    )
    provider_names = generator.add_providers(providers)
    earliest = now - timedelta(days=GENERATE_YEARS * 365)
    generator.add_contracts(earliest)
    received = sorted(
        earliest + timedelta(days=rng.randint(0, (now - earliest).days)) for _ in range(cases)
    )
    for offset, received_on in enumerate(received):
        number = first_number + offset
        generator.add_case(f"{GENERATED_REF_PREFIX}{number:0{GENERATED_REF_DIGITS}d}", received_on)
        if (offset + 1) % GENERATE_CHUNK == 0:
            generator.flush()
    generator.finish()
    # The work, checks and scores went in as SQL rows, which the ORM's counting does not see.
    work_summary.rebuild()
    quality_summary.rebuild()
    audit.record("demo_generated", detail=f"cases={cases}")
    return generator.counts, provider_names


@click.command("generate")
@click.option("--cases", type=click.IntRange(min=1), required=True, help="How many cases to add")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed")
@click.option(
    "--providers", type=click.IntRange(min=1), default=6, show_default=True, help="Providers to add"
)
def generate_command(cases: int, seed: int, providers: int) -> None:
    """Add a large synthetic dataset for benchmarks (bulk inserts; no files on disk)."""
    refuse_outside_development()
    started = perf_counter()
    counts, provider_names = generate(cases, seed, providers)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum would do within minutes, done now so that the figures measured
        # straight after describe a settled database: the planner learns the tables have
        # grown, and the visibility map lets index-only scans skip the table itself.
        generated = (*Generator.GENERATED_TABLES, *Generator.LINK_TABLES)
        tables = ", ".join(f'"{name}"' for name in generated)
        db.session.close()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"VACUUM (ANALYZE) {tables}"))
    took = perf_counter() - started
    click.echo(
        f"Generated {counts.cases:,} cases ({counts.closed:,} with a final plan), "
        f"{counts.allocations:,} allocations, {counts.documents:,} documents (metadata only), "
        f"{counts.exceptions:,} exceptions, {len(provider_names)} providers and "
        f"{counts.contracts:,} priced contracts "
        f"in {took:.1f} s ({counts.cases / took if took else 0:,.0f} cases a second)."
    )
    click.echo(
        "  Allocations by status: "
        + ", ".join(f"{status} {count:,}" for status, count in sorted(counts.statuses.items()))
    )
    click.echo("  Providers: " + "; ".join(provider_names))
