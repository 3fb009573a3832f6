"""Undefined names in templates fail loudly; optional macro parameters stay quiet."""

from __future__ import annotations

import pytest
from jinja2.exceptions import UndefinedError


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
