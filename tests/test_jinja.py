"""Undefined names in templates fail loudly; optional macro parameters stay quiet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2.exceptions import UndefinedError

ROOT = Path(__file__).resolve().parent.parent


def test_mistyped_name_fails(app):
    with app.test_request_context():
        with pytest.raises(UndefinedError):
            app.jinja_env.from_string("{{ casse.case_ref }}").render()
        with pytest.raises(UndefinedError):
            app.jinja_env.from_string("{{ no_such_name }}").render()
        with pytest.raises(UndefinedError):
            app.jinja_env.from_string("{% for x in no_such_list %}{% endfor %}").render()


def test_missing_dict_keys_and_tests_stay_quiet(app):
    with app.test_request_context():
        template = app.jinja_env.from_string(
            "{{ params.classes }}|{% if params.missing %}yes{% endif %}|"
            "{% if maybe is defined %}d{% endif %}|{{ maybe | default('x') }}"
        )
        assert template.render(params={}) == "|||x"


def test_jinja_helpers_are_registered_only_in_provider_portal_jinja():
    """Filters, globals and context processors in one place, so templates have one source."""
    registering = re.compile(
        r"jinja_env\.(globals|filters)|app_template_(filter|global)|context_processor"
    )
    elsewhere = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "provider_portal").rglob("*.py")
        if path.name != "jinja.py" and registering.search(path.read_text("utf-8"))
    ]
    assert elsewhere == []


def test_no_platform_specific_day_format():
    """strftime's %-d is glibc's: dates are written by provider_portal.formatting instead."""
    files = [*(ROOT / "provider_portal").rglob("*.py"), *(ROOT / "templates").rglob("*.*")]
    assert [str(p.relative_to(ROOT)) for p in files if "%-d" in p.read_text("utf-8")] == []
