"""The report modules that compute figures, tables and charts know nothing of HTTP or forms."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import provider_portal.reports

REPORTS = Path(provider_portal.reports.__file__).parent
# Everything but the routes, the forms, the pages helper and the CLI.
PLAIN = ("queries", "figures", "sheets", "charts", "sql", "scope", "forecast", "xlsx", "exports")
WEB_PACKAGES = ("flask", "flask_wtf", "werkzeug", "wtforms", "htmx_flask")


def _plain_modules() -> list[Path]:
    return sorted(p for p in REPORTS.rglob("*.py") if p.stem in PLAIN)


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_every_kind_of_plain_module_is_checked() -> None:
    assert {p.stem for p in _plain_modules()} == set(PLAIN)


@pytest.mark.parametrize("path", _plain_modules(), ids=lambda p: str(p.relative_to(REPORTS)))
def test_module_imports_nothing_of_the_web(path: Path) -> None:
    web = {name for name in _imported(path) if name.split(".")[0] in WEB_PACKAGES}
    assert not web, f"{path.relative_to(REPORTS)} imports {sorted(web)}"


@pytest.mark.parametrize(
    "path",
    sorted(p for p in REPORTS.rglob("*.py") if p.stem in ("routes", "forms", "pages", "cli")),
    ids=lambda p: str(p.relative_to(REPORTS)),
)
def test_routes_forms_and_commands_run_no_sql_of_their_own(path: Path) -> None:
    sql = {
        name
        for name in _imported(path)
        if name.split(".")[0] == "sqlalchemy" or name == "provider_portal.extensions"
    }
    assert not sql, f"{path.relative_to(REPORTS)} imports {sorted(sql)}"
