"""The provider asks the council a question on its work; the council answers; the manager sees
what waits on the backlog board, the allocation list and the allocation page."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import (
    Allocation,
    AllocationMessage,
    AllocationStatus,
    AuditEvent,
    Role,
)

QUESTION = "Which school does the child attend now?\nThe papers name two."
ANSWER = "Westfield Primary since September."


def _nonce(client, url: str) -> str:
    """The nonce of the message form as the page drew it."""
    return client.page(url).select_one("input[name='message-nonce']")["value"]


def ask(client, allocation_id: int, body: str = QUESTION, **kwargs):
    nonce = _nonce(client, f"/provider/allocations/{allocation_id}")
    data = {"message-body": body, "message-nonce": nonce}
    return client.post(f"/provider/allocations/{allocation_id}/questions", data, **kwargs)


def answer(client, allocation_id: int, body: str = ANSWER, **kwargs):
    nonce = _nonce(client, f"/allocations/{allocation_id}")
    data = {"message-body": body, "message-nonce": nonce}
    return client.post(f"/allocations/{allocation_id}/questions", data, **kwargs)


def _messages() -> list[AllocationMessage]:
    db.session.rollback()  # see what the requests committed
    return list(db.session.scalars(select(AllocationMessage).order_by(AllocationMessage.id)))


def _waiting_since(allocation_id: int):
    db.session.rollback()
    return db.session.get(Allocation, allocation_id).unanswered_question_at


def _set_waiting(allocation_id: int, moment: datetime) -> None:
    db.session.rollback()
    db.session.get(Allocation, allocation_id).unanswered_question_at = moment
    db.session.commit()


@pytest.fixture
def work(make, client_for):
    provider = make.provider("Northbrook Psychology")
    practitioner = make.user(Role.PRACTITIONER, provider=provider)
    allocation = make.allocation(
        case=make.case(case_ref="EHC-Q-001"),
        provider=provider,
        provider_accepted_on=date(2024, 8, 2),
        assigned_to_id=practitioner.id,
    )
    return {
        "allocation": allocation,
        "provider": provider,
        "p_admin": client_for(Role.PROVIDER_ADMIN, provider=provider),
        "practitioner": client_for(practitioner),
        "manager": client_for(Role.MANAGER),
    }


def test_a_question_waits_for_the_council_until_it_answers(work):
    allocation_id = work["allocation"].id
    manager = work["manager"]
    before = datetime.now(UTC)
    assert ask(work["practitioner"], allocation_id).status_code == 303
    assert before <= _waiting_since(allocation_id) <= datetime.now(UTC)
    _set_waiting(allocation_id, datetime(2024, 8, 5, 9, 30, tzinfo=UTC))

    # The manager sees it on the board, the list and the allocation page.
    board = manager.page("/cases/backlog")
    assert "1 piece of work with" in board.select_one("#waiting-question-count").get_text()
    link = board.select_one("#waiting-question-list a")
    assert link["href"] == f"/allocations/{allocation_id}#questions"
    assert "EHC-Q-001" in link.get_text()
    listed = manager.page("/allocations").select_one("#allocation-list")
    assert "Question waiting" in listed.get_text()
    page = manager.page(f"/allocations/{allocation_id}")
    assert "5 August 2024 at 10:30am" in page.select_one("#question-waiting").get_text()
    thread = page.select_one("#question-thread").get_text()
    assert "Which school does the child attend now?" in thread and "The papers name two." in thread

    # A second question keeps the wait from the first.
    assert ask(work["p_admin"], allocation_id, "And the SENCo?").status_code == 303
    assert _waiting_since(allocation_id) == datetime(2024, 8, 5, 9, 30, tzinfo=UTC)

    assert answer(manager, allocation_id).status_code == 303
    assert _waiting_since(allocation_id) is None
    assert [(m.from_council, m.body) for m in _messages()] == [
        (False, QUESTION),
        (False, "And the SENCo?"),
        (True, ANSWER),
    ]
    assert manager.page(f"/allocations/{allocation_id}").select_one("#question-waiting") is None
    board = manager.page("/cases/backlog")
    assert "0 pieces of work" in board.select_one("#waiting-question-count").get_text()
    assert "Question waiting" not in manager.page("/allocations").get_text()
    provider_page = work["practitioner"].page(f"/provider/allocations/{allocation_id}")
    assert ANSWER in provider_page.select_one("#question-thread").get_text()

    # Another question after the answer waits again.
    assert ask(work["practitioner"], allocation_id, "One more.").status_code == 303
    assert _waiting_since(allocation_id) is not None


def test_every_post_is_audited_without_its_text(work):
    allocation = work["allocation"]
    ask(work["practitioner"], allocation.id)
    answer(work["manager"], allocation.id)
    db.session.rollback()
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(["question_asked", "question_answered"]))
    ).all()
    assert sorted(r.action for r in rows) == ["question_answered", "question_asked"]
    for row in rows:
        assert (row.object_type, row.object_id) == ("allocation", allocation.id)
        assert row.case_id == allocation.case_id and row.provider_id == allocation.provider_id
        assert row.detail.startswith("message=")
        assert "school" not in (row.detail or "").lower() and "Westfield" not in row.detail


def test_only_that_provider_sees_and_asks(work, make, client_for):
    allocation_id = work["allocation"].id
    ask(work["practitioner"], allocation_id)
    other = client_for(Role.PROVIDER_ADMIN, provider=make.provider("Elsewhere Ltd"))
    unassigned = client_for(Role.PRACTITIONER, provider=work["provider"])
    for client in (other, unassigned):
        client.page(f"/provider/allocations/{allocation_id}", status=404)
        data = {"message-body": "Hello", "message-nonce": "n" * 43}
        assert (
            client.post(f"/provider/allocations/{allocation_id}/questions", data).status_code == 404
        )
        assert client.post(f"/allocations/{allocation_id}/questions", data).status_code == 403
    assert len(_messages()) == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "Enter your message"),
        ("   ", "Enter your message"),
        ("x" * 2001, "Your message must be 2,000 characters or fewer"),
    ],
)
@pytest.mark.parametrize("side", ["provider", "council"])
def test_a_bad_message_is_refused_with_a_govuk_error(work, body, error, side):
    allocation_id = work["allocation"].id
    client = work["p_admin"] if side == "provider" else work["manager"]
    post = ask if side == "provider" else answer
    response = post(client, allocation_id, body)
    assert response.status_code == 200
    soup = client.soup(response)
    assert soup.title.get_text().startswith("Error: ")
    main = soup.select_one("main")
    (summary,) = main.select(".govuk-error-summary")
    assert str(main).index("govuk-error-summary") < str(main).index("<h1")
    assert error in summary.get_text()
    assert summary.select_one("a")["href"] == "#message-body"
    assert error in soup.select_one("#message-body-error").get_text()
    assert _messages() == [] and _waiting_since(allocation_id) is None


def test_a_bad_message_sent_by_htmx_comes_back_as_the_thread_fragment(work):
    allocation_id = work["allocation"].id
    response = ask(work["p_admin"], allocation_id, "", htmx=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<html" not in text and 'id="questions"' in text and "Enter your message" in text


def test_control_characters_are_refused(work):
    response = ask(work["p_admin"], work["allocation"].id, "Hello\x00there")
    assert response.status_code == 400
    assert _messages() == []


def test_a_question_sent_twice_is_posted_once(work):
    allocation_id = work["allocation"].id
    client = work["p_admin"]
    data = {
        "message-body": QUESTION,
        "message-nonce": _nonce(client, f"/provider/allocations/{allocation_id}"),
    }
    url = f"/provider/allocations/{allocation_id}/questions"
    assert client.post(url, data).status_code == 303
    assert client.post(url, data).status_code == 303
    assert len(_messages()) == 1


def test_a_form_without_a_nonce_posts_nothing(work):
    url = f"/provider/allocations/{work['allocation'].id}/questions"
    response = work["p_admin"].post(url, {"message-body": QUESTION, "message-nonce": "short"})
    assert response.status_code == 400
    assert _messages() == []


@pytest.mark.parametrize("status", [AllocationStatus.WITHDRAWN, AllocationStatus.ACCEPTED])
def test_no_questions_on_closed_work_but_the_council_can_still_answer(work, status):
    allocation = work["allocation"]
    client = work["p_admin"]
    url = f"/provider/allocations/{allocation.id}"
    nonce = _nonce(client, url)
    ask(client, allocation.id, "Before it closed")
    allocation = db.session.get(Allocation, allocation.id)
    allocation.status = status
    allocation.closed_on = date.today()
    db.session.commit()
    page = client.page(url)
    assert page.select_one("form[action$='/questions']") is None
    assert "Before it closed" in page.select_one("#question-thread").get_text()
    response = client.post(f"{url}/questions", {"message-body": "After", "message-nonce": nonce})
    assert response.status_code == 200
    assert "This work is closed" in response.get_data(as_text=True)
    assert answer(work["manager"], allocation.id).status_code == 303
    assert [m.body for m in _messages()] == ["Before it closed", ANSWER]
    assert _waiting_since(allocation.id) is None


def test_the_board_lists_the_longest_waiting_first_and_counts_them_all(work, make, client_for):
    manager = work["manager"]
    for day in (9, 3, 6):
        allocation = make.allocation(case=make.case(case_ref=f"EHC-W-{day:02d}"))
        client = client_for(Role.PROVIDER_ADMIN, provider=allocation.provider)
        assert ask(client, allocation.id).status_code == 303
        _set_waiting(allocation.id, datetime(2024, 8, day, 12, tzinfo=UTC))
    board = manager.page("/cases/backlog")
    links = board.select("#waiting-question-list a")
    assert [a.get_text().split(":")[0] for a in links] == [
        "Case EHC-W-03",
        "Case EHC-W-06",
        "Case EHC-W-09",
    ]
    assert board.select_one("#all-waiting-questions") is None
    # Past the ten it lists, the count still covers them all and links to the whole list.
    for n in range(9):
        allocation = make.allocation(case=make.case(case_ref=f"EHC-X-{n:02d}"))
        _set_waiting(allocation.id, datetime(2024, 9, 1, 12, tzinfo=UTC))
    board = manager.page("/cases/backlog")
    assert len(board.select("#waiting-question-list a")) == 10
    assert "12 pieces of work" in board.select_one("#waiting-question-count").get_text()
    everything = board.select_one("#all-waiting-questions")["href"]
    assert everything == "/allocations?questions=waiting"
    listed = manager.page(everything)
    assert "12 allocations" in listed.select_one("#allocation-count").get_text()
    assert listed.select_one("#questions-filter") is not None
    # Filtering further keeps to the waiting work: the filter form carries the choice.
    kept = listed.select_one("form[role=search] input[type=hidden][name=questions]")
    assert kept is not None and kept["value"] == "waiting"
    assert (
        "13 allocations" in manager.page("/allocations").select_one("#allocation-count").get_text()
    )
    db.session.rollback()
    viewed = db.session.scalars(
        select(AuditEvent.detail)
        .where(AuditEvent.action == "list_viewed", AuditEvent.detail.like("list=allocations%"))
        .order_by(AuditEvent.id)
    ).all()
    assert "questions=waiting" in viewed[-2] and "questions" not in viewed[-1]
    assert manager.page("/allocations").select_one("input[name=questions]") is None


def test_messages_are_shown_as_text_never_as_markup(work):
    allocation_id = work["allocation"].id
    attack = '<img src=x onerror="alert(1)"><div hx-get="/sign-out" hx-trigger="load">{{7*7}}'
    assert ask(work["p_admin"], allocation_id, attack).status_code == 303
    page = work["manager"].page(f"/allocations/{allocation_id}")
    thread = page.select_one("#question-thread")
    assert thread.select("img, div[hx-get]") == []
    assert attack in thread.get_text()
