"""The layers hold: services, queries, report figures and every other domain module know
nothing of HTTP.

Routes parse a request and render; services and queries take plain values and raise domain
errors (provider_portal.errors). A service that imported abort, request or a form field would
tie the CLI, the imports and the demo to a web request, so this test reads every module's
imports (as written, without running it) and fails on any outside the web layer that reach for
the request machinery. The web layer is named here, module by module, so a new module is
checked unless someone decides, in this file, that it answers requests.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "provider_portal"

# Every area's request handling: its blueprint, pages, forms and commands.
WEB_MODULE_NAMES = {"__init__", "routes", "forms", "cli"}
# The rest of the web layer, by path.
WEB_MODULES = {
    "web.py",  # how every route answers: page or fragment, redirects, downloads
    "jinja.py",  # template set-up, filters and globals
    "error_pages.py",  # HTTP errors as GOV.UK pages
    "assets.py",  # serves the front-end packages
    "extensions.py",  # the Flask extensions, created once
    "sessions.py",  # the signed-in session's timeouts, on every request
    "permissions.py",  # the policy decorator every route declares, and scoped loaders
    "audit.py",  # reads who and from where for each audit row
    "auth/pending.py",  # the half-signed-in state between the password and the code
    "reports/pages.py",  # how a report page, download or chart answers
    "benchmark.py",  # drives the pages through the test client
    "notifications/links.py",  # builds the portal links that messages carry
}

BANNED: dict[str, set[str] | None] = {
    # module -> names that may not be imported from it (None: the module itself is banned)
    "flask": {
        "abort",
        "request",
        "redirect",
        "flash",
        "g",
        "session",
        "Response",
        "make_response",
        "current_app",  # configuration comes through settings.setting(), below
    },
    "flask_login": {"current_user"},
    "werkzeug.wrappers": {"Response"},
    "werkzeug": {"Response"},
    "wtforms": None,
    "flask_wtf": None,
    "htmx_flask": None,
}


def _layer_modules() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if path.stem not in WEB_MODULE_NAMES and name not in WEB_MODULES:
            yield path


def _banned_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name
                if any(
                    root == m or root.startswith(m + ".") for m, n in BANNED.items() if n is None
                ):
                    found.append(f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            for banned_module, names in BANNED.items():
                inside = module.startswith(banned_module + ".")
                if module == banned_module or (names is None and inside):
                    if names is None:
                        found.append(f"from {module} import ...")
                    else:
                        found.extend(
                            f"from {module} import {alias.name}"
                            for alias in node.names
                            if alias.name in names
                        )
    return found


# The one module that reads the running application's configuration for the services.
ALLOWED = {"settings.py": ["from flask import current_app"]}

LAYER_MODULES = list(_layer_modules())


def test_the_layer_modules_are_found() -> None:
    names = {str(path.relative_to(PACKAGE)) for path in LAYER_MODULES}
    # A few that must be among them, so a rename cannot silently empty the check.
    assert {
        "allocations/services.py",
        "cases/services.py",
        "admin/queries.py",
        "contracts/allocating.py",
        "documents.py",
        "reports/pack/figures.py",
        "reports/monthly/queries.py",
        "reports/exports.py",
    } <= names
    assert len(LAYER_MODULES) >= 50
    # Every module the web layer names exists: a stale entry would hide nothing, but mislead.
    assert all((PACKAGE / name).exists() for name in WEB_MODULES)


@pytest.mark.parametrize(
    "path", LAYER_MODULES, ids=[str(p.relative_to(PACKAGE)) for p in LAYER_MODULES]
)
def test_domain_modules_import_no_request_machinery(path: Path) -> None:
    assert _banned_imports(path) == ALLOWED.get(path.relative_to(PACKAGE).as_posix(), [])


def test_the_check_catches_a_banned_import(tmp_path: Path) -> None:
    module = tmp_path / "services.py"
    module.write_text(
        "from flask import abort, current_app\n"
        "from werkzeug.wrappers import Response\n"
        "import wtforms.fields\n"
        "from flask_login import current_user\n"
    )
    assert _banned_imports(module) == [
        "from flask import abort",
        "from flask import current_app",
        "from werkzeug.wrappers import Response",
        "import wtforms.fields",
        "from flask_login import current_user",
    ]
