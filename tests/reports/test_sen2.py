"""The SEN2 extract from the database: which cases fall in a year, the CSV, the page, the
downloads, `flask report sen2`, who may see it, and its queries whatever the data size."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Case, CaseException, Role
from provider_portal.reports.sen2.queries import CSV_HEADER, VALIDATION_HEADER

TODAY = "2025-01-20 09:00:00"  # the return for 2024 is made in January 2025
HEADER = ",".join(CSV_HEADER)
# In received order: what each case of `cases` gives in 2024.
EXPECTED_2024 = [
    HEADER,
    "EHC-A,2023-10-02,,H,0,2024-02-20,Y,1,2024-02-20",  # decided in 2023; plan on day 141
    "EHC-B,2023-10-20,,H,0,2024-03-01,N,0,",  # not issuing; an advice exception only
    "EHC-C,2023-11-20,2024-01-01,Y,0,,A,,",  # decided on 1 January
    "EHC-D,2024-02-01,2024-03-10,Y,0,,Y,,",  # plan only in 2025: no date yet
    "EHC-E,2024-05-01,,W,0,,,,",  # withdrawn before a decision
    "EHC-F,2024-05-15,,W,1,,,,",  # moved away before a decision
    "EHC-P,2024-06-01,,Y,0,2024-10-01,Y,0,2024-10-01",  # plan, no decision to assess
    "'=EHC-Z,2024-08-01,,W,0,,,,",  # a reference a spreadsheet would run, defused
    "EHC-G,2024-11-01,2024-12-31,N,0,,,,",  # refused on 31 December
]
PROBLEM = (
    "EHC-P",
    "RequestOutcome",
    "No decision whether to assess is recorded, but the case has a decision whether to "
    "issue a plan or a final plan",
    "Record the decision to assess and the date the family was told",
)


def _exception(case: Case, applies_to: str) -> None:
    db.session.add(CaseException(case=case, applies_to=applies_to, reason="school_holiday"))
    db.session.commit()


@pytest.fixture
def cases(make):
    """Cases in 2024 by each rule, and cases outside it."""
    a = make.case(
        "EHC-A",
        request_received_on=date(2023, 10, 2),
        assessment_decision="agreed",
        decision_to_assess_on=date(2023, 11, 10),
        final_plan_issued_on=date(2024, 2, 20),
    )
    _exception(a, "final_plan")
    b = make.case(
        "EHC-B",
        request_received_on=date(2023, 10, 20),
        assessment_decision="agreed",
        decision_to_assess_on=date(2023, 12, 1),
        issue_decision="not_issue",
        issue_decision_on=date(2024, 3, 1),
        closed_reason="not_issuing",
        closed_on=date(2024, 3, 1),
    )
    _exception(b, "advice")
    make.case(
        "EHC-C",
        request_received_on=date(2023, 11, 20),
        assessment_decision="agreed",
        decision_to_assess_on=date(2024, 1, 1),
    )
    make.case(
        "EHC-D",
        request_received_on=date(2024, 2, 1),
        assessment_decision="agreed",
        decision_to_assess_on=date(2024, 3, 10),
        issue_decision="issue",
        issue_decision_on=date(2024, 6, 1),
        final_plan_issued_on=date(2025, 1, 15),
    )
    for ref, received, reason in (
        ("EHC-E", date(2024, 5, 1), "withdrawn_by_family"),
        ("EHC-F", date(2024, 5, 15), "moved_away"),
        ("=EHC-Z", date(2024, 8, 1), "ceased"),
    ):
        make.case(
            ref,
            request_received_on=received,
            closed_reason=reason,
            closed_on=received + timedelta(days=31),
        )
    make.case("EHC-P", request_received_on=date(2024, 6, 1), final_plan_issued_on=date(2024, 10, 1))
    make.case(
        "EHC-G",
        request_received_on=date(2024, 11, 1),
        assessment_decision="refused",
        decision_to_assess_on=date(2024, 12, 31),
        closed_reason="refused_to_assess",
        closed_on=date(2024, 12, 31),
    )
    # Outside 2024: undecided; decided on 31 December 2023; decided on 1 January 2025; a
    # plan issued in 2023 whose holder moved away in 2024.
    make.case(
        "OUT-4",
        request_received_on=date(2023, 1, 9),
        decision_to_assess_on=date(2023, 2, 1),
        final_plan_issued_on=date(2023, 5, 1),
        closed_reason="moved_away",
        closed_on=date(2024, 4, 1),
    )
    make.case("OUT-1", request_received_on=date(2024, 5, 2))
    make.case(
        "OUT-2",
        request_received_on=date(2023, 11, 1),
        assessment_decision="agreed",
        decision_to_assess_on=date(2023, 12, 31),
    )
    make.case(
        "OUT-3",
        request_received_on=date(2024, 12, 1),
        assessment_decision="agreed",
        decision_to_assess_on=date(2025, 1, 1),
    )


def _lines(response) -> list[str]:
    return response.get_data(as_text=True).splitlines()


def _exports() -> list[tuple[str, int | None]]:
    rows = db.session.execute(
        select(AuditEvent.detail, AuditEvent.actor_id)
        .where(AuditEvent.action == "report_exported")
        .order_by(AuditEvent.id)
    )
    return [(detail, actor) for detail, actor in rows]


@freeze_time(TODAY)
def test_the_csv_has_the_years_cases_under_sen2_item_names(cases, client_for):
    monitor = client_for(Role.MONITOR)
    response = monitor.get("/reports/sen2.csv?year=2024")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="sen2-2024.csv"'
    assert _lines(response) == EXPECTED_2024
    assert "Testchild" not in response.get_data(as_text=True)  # no names
    assert _exports() == [("sen2 year=2024", monitor.user.id)]
    # The year before: the cases decided in 2023, as they stood on 31 December 2023.
    assert _lines(monitor.get("/reports/sen2.csv?year=2023")) == [
        HEADER,
        "OUT-4,2023-01-09,2023-02-01,Y,0,2023-05-01,Y,0,2023-05-01",  # moved away only in 2024
        "EHC-A,2023-10-02,2023-11-10,Y,0,,A,,",
        "EHC-B,2023-10-20,2023-12-01,Y,0,,A,,",
        "OUT-2,2023-11-01,2023-12-31,Y,0,,A,,",
    ]


@freeze_time(TODAY)
def test_the_validation_csv_lists_each_rejected_row_with_its_fix(cases, client_for):
    manager = client_for(Role.MANAGER)
    response = manager.get("/reports/sen2-validation.csv?year=2024")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="sen2-2024-validation.csv"'
    )
    assert _lines(response) == [
        ",".join(VALIDATION_HEADER),
        ",".join(f'"{cell}"' if "," in cell else cell for cell in PROBLEM),
    ]
    assert _exports() == [("sen2 validation year=2024", manager.user.id)]


def _cells(soup, selector: str) -> list[list[str]]:
    return [
        [cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])]
        for tr in soup.select(f"{selector} tbody tr")
    ]


@freeze_time(TODAY)
def test_the_page_shows_the_counts_the_validation_and_what_to_take_elsewhere(cases, client_for):
    soup = client_for(Role.MONITOR).page("/reports/sen2")  # last year by default
    assert soup.title.get_text().startswith("SEN2 extract")
    assert soup.select_one("#year")["value"] == "2024"
    assert soup.select_one("#sen2-status").get_text(strip=True) == (
        "9 rows for 2024; 1 a SEN2 validator would reject."
    )
    assert _cells(soup, "#sen2-request-counts") == [
        ["Y", "Decided to assess", "3"],
        ["N", "Decided not to assess", "1"],
        ["A", "Decision whether to assess not made by the end of the year", "0"],
        ["W", "Withdrawn or ceased before the decision whether to assess", "3"],
        ["H", "Decided to assess before the year", "2"],
    ]
    assert [row[2] for row in _cells(soup, "#sen2-assessment-counts")] == ["3", "1", "1", "0", "0"]
    totals = [li.get_text(" ", strip=True) for li in soup.select("#sen2-totals li")]
    assert totals == [
        "Final plans issued (StartDate in 2024): 2, of which 1 within 20 weeks",
        "Cases with 20-week exceptions (Week20 = 1): 1",
        "Moved out of the area before a plan (Exported = 1): 1",
    ]
    assert _cells(soup, "#sen2-validation") == [list(PROBLEM)]
    assert soup.select_one("#sen2-csv")["href"] == "/reports/sen2.csv?year=2024"
    assert soup.select_one("#sen2-validation-csv")["href"] == (
        "/reports/sen2-validation.csv?year=2024"
    )
    text = soup.get_text(" ", strip=True)
    assert "From your case management system" in text
    not_held = soup.select_one("#sen2-not-held").get_text(" ", strip=True)
    for item in ("UPN", "Ethnicity", "SENtype (primary and secondary need)", "Surname"):
        assert item in not_held
    items = [dt.get_text(strip=True) for dt in soup.select("#sen2-items dt")]
    assert items == list(CSV_HEADER[1:])
    assert not soup.select("[style]") and not soup.select("style")


@freeze_time(TODAY)
def test_a_year_with_nothing_to_reject_says_so(client_for):
    soup = client_for(Role.MANAGER).page("/reports/sen2?year=2024")
    assert soup.select_one("#sen2-status").get_text(strip=True) == (
        "0 rows for 2024; 0 a SEN2 validator would reject."
    )
    assert soup.select_one("#sen2-validation").get_text(strip=True) == (
        "No row of the extract breaks a SEN2 validation rule the portal can check."
    )
    assert soup.select_one("#sen2-validation-csv") is None


@freeze_time(TODAY)
def test_htmx_asks_for_the_report_fragment(cases, client_for):
    manager = client_for(Role.MANAGER)
    soup = manager.page("/reports/sen2?year=2023", htmx=True)
    assert soup.select_one("h1") is None
    assert soup.select_one("#sen2-status").get_text(strip=True).startswith("4 rows for 2023")
    form = manager.page("/reports/sen2").select_one("form[hx-get]")
    assert form["action"] == form["hx-get"] == "/reports/sen2"
    assert form["hx-target"] == "#sen2-report" and form["method"] == "get"


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("", "Enter a year"),
        ("24", "Enter the year as 4 digits, like 2024"),
        ("２０２４", "Enter the year as 4 digits, like 2024"),
        ("2013", "Enter a year from 2014 to 2026"),
        ("2027", "Enter a year from 2014 to 2026"),
        ("99999999999999999999", "Enter the year as 4 digits, like 2024"),
    ],
)
def test_a_bad_year_is_a_form_error_never_a_500(client_for, year, message):
    manager = client_for(Role.MANAGER)
    soup = manager.page(f"/reports/sen2?year={year}")
    assert soup.title.get_text().startswith("Error: SEN2 extract")
    summary = soup.select_one(".govuk-error-summary")
    assert message in summary.get_text()
    assert summary.select_one("a")["href"] == "#year"
    assert soup.select_one("#sen2-status") is None
    fragment = manager.page(f"/reports/sen2?year={year}", htmx=True)
    assert message in fragment.select_one(".govuk-error-summary").get_text()
    for url in ("/reports/sen2.csv", "/reports/sen2-validation.csv"):
        response = manager.get(url, query_string={"year": year})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert _exports() == []


@pytest.mark.parametrize("role", [Role.PROVIDER_ADMIN, Role.PRACTITIONER])
def test_provider_users_cannot_see_the_extract(client_for, cases, role):
    provider_user = client_for(role)
    for url in ("/reports/sen2", "/reports/sen2.csv", "/reports/sen2-validation.csv"):
        assert provider_user.get(url + "?year=2024").status_code == 403, url
    assert _exports() == []


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/reports/sen2.csv?year=2024")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@freeze_time(TODAY)
def test_the_command_writes_the_same_csv_and_the_validation(cases, app, client_for, tmp_path):
    download = client_for(Role.MONITOR).get("/reports/sen2.csv?year=2024").get_data()
    out, problems = tmp_path / "sen2.csv", tmp_path / "problems.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "report",
            "sen2",
            "--year",
            "2024",
            "--output",
            str(out),
            "--validation",
            str(problems),
        ]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == download
    assert problems.read_text(encoding="utf-8").splitlines()[1].startswith("EHC-P,RequestOutcome,")
    assert result.stderr == f"9 rows for 2024; 1 a SEN2 validator would reject: see {problems}\n"
    result = runner.invoke(args=["report", "sen2", "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == EXPECTED_2024
    assert "write them with --validation FILE" in result.stderr
    assert [detail for detail, _actor in _exports()] == [
        "sen2 year=2024",
        "sen2 year=2024 via=cli",
        "sen2 validation year=2024 via=cli",
        "sen2 year=2024 via=cli",
    ]


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--year", "24"], "Enter the year as 4 digits, like 2024"),
        (["--year", "2013"], "Enter a year from 2014 to 2026"),
        (["--year", "2027"], "Enter a year from 2014 to 2026"),
        (["--year", ""], "Enter a year"),
        ([], "Missing option '--year'"),
    ],
)
def test_the_command_refuses_a_bad_year_without_a_traceback(app, tmp_path, args, message):
    out = tmp_path / "sen2.csv"
    result = app.test_cli_runner().invoke(args=["report", "sen2", *args, "--output", str(out)])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()
    assert _exports() == []


def _add_cases(n: int, batch: str) -> None:
    for i in range(n):
        case = Case(
            case_ref=f"S2{batch}-{i:04d}",
            first_name="Sam",
            last_name=f"Count{i}",
            date_of_birth=date(2014, 1, 1),
            request_received_on=date(2024, 1, 1) + timedelta(days=i % 200),
            assessment_decision="agreed",
            decision_to_assess_on=date(2024, 2, 15) + timedelta(days=i % 200),
            final_plan_issued_on=date(2024, 6, 1) + timedelta(days=i % 150),
            issue_decision="issue" if i % 2 else None,
            issue_decision_on=date(2024, 5, 1) if i % 2 else None,
        )
        db.session.add(case)
        db.session.add(CaseException(case=case, applies_to="final_plan", reason="school_holiday"))
    db.session.commit()


@freeze_time(TODAY)
def test_queries_do_not_grow_with_the_number_of_cases(client_for, count_queries, tmp_path, app):
    monitor = client_for(Role.MONITOR)
    urls = ("/reports/sen2?year=2024", "/reports/sen2.csv?year=2024")

    def counts() -> list[int]:
        found = []
        for url in urls:
            count_queries.clear()
            assert monitor.get(url).status_code == 200
            found.append(len(count_queries))
        count_queries.clear()
        result = app.test_cli_runner().invoke(
            args=["report", "sen2", "--year", "2024", "--output", str(tmp_path / "x.csv")]
        )
        assert result.exit_code == 0, result.output
        return [*found, len(count_queries)]

    _add_cases(3, "a")
    small = counts()
    _add_cases(120, "b")
    large = counts()
    assert small == large, f"{small} queries with 3 cases, {large} with 123"
    assert max(large) <= 12


@freeze_time(TODAY)
@pytest.mark.parametrize(
    ("starts_on", "week20"),
    [
        (date(2024, 1, 10), "1"),  # within the 20 weeks from 2 October 2023 (to 19 February)
        (date(2024, 2, 19), "1"),  # the 20 weeks' last day
        (date(2024, 2, 20), "0"),  # the day after: it did not delay this case's 20 weeks
    ],
)
def test_week20_counts_only_an_exception_within_the_cases_20_weeks(
    make, client_for, starts_on, week20
):
    case = make.case(
        "EHC-W",
        request_received_on=date(2023, 10, 2),
        assessment_decision="agreed",
        decision_to_assess_on=date(2023, 11, 10),
        final_plan_issued_on=date(2024, 3, 20),
    )
    db.session.add(
        CaseException(
            case=case,
            applies_to="final_plan",
            reason="exceptional_personal_circumstances",
            starts_on=starts_on,
            ends_on=starts_on + timedelta(days=30),
        )
    )
    db.session.commit()
    lines = _lines(client_for(Role.MONITOR).get("/reports/sen2.csv?year=2024"))
    assert lines == [HEADER, f"EHC-W,2023-10-02,,H,0,2024-03-20,Y,{week20},2024-03-20"]
