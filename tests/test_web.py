"""The web layer's helpers: a service's refusal shown on its form field, and lists read once
per request."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField

from provider_portal.errors import AllocationError
from provider_portal.extensions import db
from provider_portal.models import Provider
from provider_portal.web import once_per_request, run_form_action


class _Form(FlaskForm):
    name = StringField("Name")


def test_a_form_action_commits_or_puts_the_refusal_on_the_field(app):
    with app.test_request_context(method="POST"):
        form = _Form(meta={"csrf": False})
        assert run_form_action(form.name, lambda: db.session.add(Provider(name="Kept")))
        assert not form.name.errors

        def refused() -> None:
            db.session.add(Provider(name="Not kept"))
            raise AllocationError("This work was declined")

        assert not run_form_action(form.name, refused)
        assert form.name.errors == ["This work was declined"]
    names = set(db.session.scalars(db.select(Provider.name)))
    assert names == {"Kept"}


def test_a_list_is_read_once_per_request(app):
    reads: list[int] = []

    def load() -> list[int]:
        reads.append(1)
        return [1, 2]

    # Each request has its own application context (the tests hold one open throughout).
    with app.app_context(), app.test_request_context():
        first = once_per_request(load)
        first.append(3)  # a copy: changing it changes nothing for the next form
        assert once_per_request(load) == [1, 2]
    assert len(reads) == 1
    with app.app_context(), app.test_request_context():
        assert once_per_request(load) == [1, 2]
    assert len(reads) == 2
