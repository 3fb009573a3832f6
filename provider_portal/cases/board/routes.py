"""The backlog board and allocating from it in bulk, with the ticked cases kept for each user
(cases.board.selection) across filters and pages."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from provider_portal.allocations.questions.queries import waiting_questions
from provider_portal.allocations.services import BatchOutcome, allocate_batch
from provider_portal.audit import record_list_view
from provider_portal.cases import bp
from provider_portal.cases.board import selection
from provider_portal.cases.board.bulk import (
    MAX_BULK,
    BulkCheck,
    OpenWork,
    bulk_figures,
    cases_for,
    open_work_of_type,
)
from provider_portal.cases.board.forms import BoardFilterForm, BulkAllocateForm, ConfirmForm
from provider_portal.cases.board.queries import (
    FLAGS,
    NOTHING_ALLOCATED,
    OVERDUE_BANDS,
    BoardFilters,
    board_page,
)
from provider_portal.cases.services import active_providers, work_types
from provider_portal.contracts.allocating import turnaround_days
from provider_portal.extensions import db
from provider_portal.formatting import format_money
from provider_portal.forms import offered, options
from provider_portal.models import PAPER_KINDS, Case, CasePaper, Provider, WorkType
from provider_portal.papers.queries import shared_words
from provider_portal.papers.services import default_kinds, papers_of_kinds
from provider_portal.permissions import requires
from provider_portal.timescales import today
from provider_portal.web import (
    ListFilters,
    answer_list,
    list_filters,
    once_per_request,
    page_number,
    redirect_after_post,
    render,
    to_id,
    wants_fragment,
)

# What a link back to the board may carry: its filters but the search box, and the page.
BOARD_LINK_ARGS = frozenset(
    {"unallocated", "flags", "setting", "band", "provider", "window", "page"}
)


def _posted_ids(name: str) -> list[int]:
    """Distinct case ids posted under name, in the order they came."""
    ids = (to_id(value) for value in request.form.getlist(name))
    return list(dict.fromkeys(case_id for case_id in ids if case_id is not None))


def _ticked_case_ids() -> list[int]:
    """Distinct case ids from the ticked boxes, in the order they were ticked."""
    return _posted_ids("case_id")


def _apply_ticks() -> tuple[list[int], bool]:
    """Bring the posted page's ticks into the user's selection (cases.board.selection): the
    selection, and whether ticks past MAX_BULK were left out."""
    shown = set(_posted_ids("shown"))
    return selection.apply_ticks(current_user.id, shown, _ticked_case_ids(), MAX_BULK)


def _board_args() -> dict[str, Any]:
    """The board's filters (and page) from this request's query string, for the way back:
    only the names the filter form has, never a search box."""
    return {
        name: values
        for name, values in request.args.to_dict(flat=False).items()
        if name in BOARD_LINK_ARGS and any(values)
    }


def _filter_form(filters: ListFilters) -> BoardFilterForm:
    form = BoardFilterForm(filters.data)
    form.unallocated.choices = options(
        [("", "Any"), (NOTHING_ALLOCATED, "Any work (nothing allocated yet)")]
        + [(wt.code, wt.name) for wt in once_per_request(work_types)]
    )
    form.provider.choices = options(
        [("", "Any")] + [(str(p.id), p.name) for p in once_per_request(active_providers)]
    )
    return form


def _filters(form: BoardFilterForm) -> BoardFilters:
    """Keep only values that are among the choices: anything else is ignored, never an error."""
    codes = offered(form.unallocated)
    providers = offered(form.provider)
    window = form.window.data if form.window.data in {"0", "2", "4", "8"} else "4"
    return BoardFilters(
        q=(form.q.data or "")[:200],
        unallocated=form.unallocated.data if form.unallocated.data in codes else "",
        flags=frozenset(f for f in (form.flags.data or []) if f in FLAGS),
        setting=(form.setting.data or "")[:200],
        band=form.band.data if form.band.data in {b[0] for b in OVERDUE_BANDS} else "",
        provider_id=to_id(form.provider.data) if form.provider.data in providers else None,
        window_weeks=int(window or "4"),
    )


def _bulk_form() -> BulkAllocateForm:
    form = BulkAllocateForm(prefix="bulk")
    form.work_type.choices = options(
        [("", "Select the type of work")]
        + [(wt.code, wt.name) for wt in once_per_request(work_types)]
    )
    form.provider.choices = options(
        [("", "Select a provider")]
        + [(str(p.id), p.name) for p in once_per_request(active_providers)]
    )
    return form


def _board_filters() -> ListFilters:
    """The board's filters: its search box posted, the rest shareable (web.list_filters)."""
    return list_filters("cases.board", search_boxes=("q",))


def _board(
    bulk_form: BulkAllocateForm,
    page_errors: list[dict[str, str]] | None = None,
) -> Response:
    filters = _board_filters()
    form = _filter_form(filters)
    as_of = today()
    chosen = _filters(form)
    result = board_page(chosen, as_of, page_number(), once_per_request(work_types))
    response = render(
        "cases/board/board.html",
        "cases/board/_results.html",
        filter_form=form,
        filters=filters,
        form=bulk_form,
        result=result,
        as_of=as_of,
        selected=set(selection.selected_ids(current_user.id)),
        page_errors=page_errors or [],
        questions=waiting_questions(),
    )
    record_list_view(
        "backlog",
        result.page,
        searched=[b for b, text in (("q", chosen.q), ("setting", chosen.setting)) if text.strip()],
        provider_id=chosen.provider_id,
        unallocated=chosen.unallocated,
        flags=chosen.flags,
        band=chosen.band,
        window=chosen.window_weeks,
    )
    db.session.commit()
    return response


@bp.route("/backlog", methods=["GET", "POST"])
@requires("view_cases")
def board() -> Response:
    """Open cases out of timescale or nearly so, in priority order, with the reasons."""
    return answer_list(_board_filters(), lambda: _board(_bulk_form()))


@bp.route("/backlog/selection", methods=["POST"])
@requires("allocate")
def board_selection() -> Response:
    """Keep this page's ticks in the selection (each tick, with htmx), or clear it."""
    if request.form.get("selection") == "clear":
        selection.clear(current_user.id)
        ticked: list[int] = []
        over = False
    else:
        ticked, over = _apply_ticks()
    db.session.commit()
    if wants_fragment():
        return render(
            "cases/board/_selection_count.html", count=len(ticked), over=over, limit=MAX_BULK
        )
    if over:
        flash(f"You can select up to {MAX_BULK} cases at a time: the rest were not selected")
    return redirect_after_post(url_for("cases.board", **_board_args()))


def _chosen(form: BulkAllocateForm) -> tuple[WorkType, Provider]:
    work_type = db.session.query(WorkType).filter_by(code=form.work_type.data).one_or_none()
    provider = db.session.get(Provider, int(form.provider.data or 0))
    if work_type is None or provider is None:
        abort(400)
    return work_type, provider


def _check_page(
    form: BulkAllocateForm,
    confirm_form: ConfirmForm,
    cases: list[Case],
    work_type: WorkType,
    provider: Provider,
    check: BulkCheck,
    problems: list[str],
    conflicts: list[OpenWork] | None = None,
) -> Response:
    """The check-your-answers page, with the problems that stopped the allocation if any,
    and the selected cases left out because they already have this work open."""
    confirm_form.contract.choices = options(
        [(str(option.contract.id), option.contract.reference) for option in check.options]
    )
    page_errors = [{"text": problem, "href": "#selected-cases"} for problem in problems]
    if confirm_form.contract.errors:
        page_errors.append(
            {
                "text": confirm_form.contract.errors[0],
                "href": "#confirm-contract" if check.choosing else "#contract-figures",
            }
        )
    if confirm_form.approved.errors:
        page_errors.append({"text": confirm_form.approved.errors[0], "href": "#confirm-approved"})
    chosen = check.chosen.contract if check.chosen else None
    papers_by_case = _papers_by_case(confirm_form, cases)
    return render(
        "cases/board/bulk_check.html",
        papers_by_case=papers_by_case,
        form=form,
        confirm_form=confirm_form,
        cases=cases,
        work_type=work_type,
        provider=provider,
        check=check,
        turnaround=turnaround_days(chosen, work_type),
        problems=problems,
        page_errors=page_errors,
        as_of=today(),
        conflicts=conflicts or [],
        back_args=_board_args(),
    )


def _papers_by_case(confirm_form: ConfirmForm, cases: list[Case]) -> dict[int, list[CasePaper]]:
    """Each case's live papers of the kinds ticked (one query for the whole batch)."""
    kinds = [kind for kind in confirm_form.paper_kinds.data or [] if kind in PAPER_KINDS]
    grouped: dict[int, list[CasePaper]] = {}
    for paper in papers_of_kinds([case.id for case in cases], kinds):
        grouped.setdefault(paper.case_id, []).append(paper)
    return grouped


@bp.route("/backlog/allocate", methods=["POST"])
@requires("allocate")
def bulk_check() -> Response:
    """Check the chosen cases, work type and provider before anything is saved."""
    form = _bulk_form()
    ids, over = _apply_ticks()
    db.session.commit()
    valid = form.validate_on_submit()
    page_errors = []
    if not ids:
        page_errors.append({"text": "Select at least one case to allocate", "href": "#board-table"})
    elif over:
        page_errors.append(
            {"text": f"Select {MAX_BULK} cases or fewer at a time", "href": "#board-table"}
        )
    if not valid or page_errors:
        return _board(form, page_errors=page_errors)
    work_type, provider = _chosen(form)
    selected = cases_for(ids)
    conflicts = open_work_of_type([case.id for case in selected], work_type)
    cases = [case for case in selected if case.id not in conflicts]
    check = bulk_figures(provider, work_type, len(cases), today())
    confirm_form = ConfirmForm(formdata=None, prefix="confirm")
    confirm_form.paper_kinds.data = sorted(default_kinds(work_type.id), key=list(PAPER_KINDS).index)
    return _check_page(
        form, confirm_form, cases, work_type, provider, check, [], list(conflicts.values())
    )


def _allocated_message(outcome: BatchOutcome, provider: Provider, work_type: WorkType) -> str:
    count = len(outcome.allocations)
    message = (
        f"{count} {'case' if count == 1 else 'cases'} allocated to {provider.name} "
        f"for {work_type.name.lower()}"
    )
    cost = outcome.cost
    if cost is None:
        return message + ". They are not under a contract, so they are not costed"
    message += f" under contract {cost.contract.reference}"
    if cost.exceeds:
        message += f", {format_money(cost.over_by)} over its value with your approval"
    return message


@bp.route("/backlog/allocate/confirm", methods=["POST"])
@requires("allocate")
def bulk_confirm() -> Response:
    """Allocate every chosen case, or none if any cannot be allocated."""
    form = _bulk_form()
    ids = _ticked_case_ids()
    if not form.validate_on_submit() or not ids or len(ids) > MAX_BULK:
        abort(400)
    work_type, provider = _chosen(form)
    cases = cases_for(ids)
    confirm_form = ConfirmForm(prefix="confirm")
    papers = _papers_by_case(confirm_form, cases)
    outcome = allocate_batch(
        cases,
        provider,
        work_type,
        actor=current_user,
        contract_id=to_id(confirm_form.contract.data),
        approved=bool(confirm_form.approved.data),
        papers=papers,
    )
    if outcome.done:
        # The cases allocated leave the selection with the same commit; any others ticked
        # stay ticked.
        selection.remove(current_user.id, {case.id for case in cases})
        db.session.commit()
        shared = sum(len(found) for found in papers.values())
        message = _allocated_message(outcome, provider, work_type)
        flash(message + (f".{shared_words(shared)}" if shared else ""), "success")
        return redirect_after_post(url_for("cases.board", **_board_args()))
    if outcome.refused is not None:
        refused_field = confirm_form[outcome.refused.field or "contract"]
        refused_field.errors = [outcome.refused.message]
    check = bulk_figures(provider, work_type, len(cases), today(), outcome.options, outcome.cost)
    return _check_page(form, confirm_form, cases, work_type, provider, check, outcome.conflicts)
