"""forms.KeptSelect, KeptCheckboxes and KeptSubmit: the GOV.UK widgets' own HTML, drawn once
for the same params and served from memory after that, and drawn afresh for anything else."""

from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovCheckboxesInput, GovSelect, GovSubmitInput
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import SelectField, SelectMultipleField, SubmitField
from wtforms.validators import InputRequired

from provider_portal import forms
from provider_portal.forms import KeptCheckboxes, KeptSelect, KeptSubmit, options

CHOICES = options([("", "Select a provider"), ("1", "Ashdown & Co"), ("2", "Brook <EP>")])
BOXES = options([("a", "Looked after"), ("b", "Phase transfer")])


def _form(select: type, boxes: type, button: type) -> type[FlaskForm]:
    """The same three fields, drawn by the given widgets."""

    class Filters(FlaskForm):
        class Meta:
            csrf = False

        provider = SelectField(
            "Provider",
            widget=select(),
            choices=CHOICES,
            validators=[InputRequired(message="Select a provider")],
        )
        flags = SelectMultipleField("Priority", widget=boxes(), choices=BOXES)
        submit = SubmitField("Apply", widget=button())

    return Filters


Library = _form(GovSelect, GovCheckboxesInput, GovSubmitInput)
Kept = _form(KeptSelect, KeptCheckboxes, KeptSubmit)


def _drawn(form_class: type[FlaskForm], data: dict[str, list[str]], validate: bool) -> list[str]:
    form = form_class(formdata=MultiDict([(k, v) for k, vs in data.items() for v in vs]))
    if validate:
        form.validate()
    params = {"classes": "govuk-!-width-full"}
    return [str(form.provider(params=params)), str(form.flags()), str(form.submit())]


def test_kept_widgets_draw_what_the_library_draws(app):
    cases = [
        ({"provider": ["2"], "flags": ["b"]}, False),
        ({"provider": ["1"], "flags": []}, False),
        ({"provider": [""], "flags": ["a", "b"]}, True),  # with the select's error message
    ]
    with app.test_request_context():
        for data, validate in cases:
            assert _drawn(Kept, data, validate) == _drawn(Library, data, validate)
        # A choice made, an error shown: each its own drawing.
        chosen = _drawn(Kept, {"provider": ["2"]}, False)[0]
        assert 'value="2" selected' in chosen
        assert "Brook &lt;EP&gt;" in chosen
        assert "Select a provider</p>" not in chosen
        assert "govuk-error-message" in _drawn(Kept, {"provider": [""]}, True)[0]


def test_the_same_params_are_drawn_once(app):
    with app.test_request_context():
        forms._drawn.cache_clear()
        first = _drawn(Kept, {"provider": ["1"], "flags": ["a"]}, False)
        drawn = forms._drawn.cache_info()
        assert (drawn.misses, drawn.hits) == (3, 0)
        again = _drawn(Kept, {"provider": ["1"], "flags": ["a"]}, False)
        drawn = forms._drawn.cache_info()
        assert (drawn.misses, drawn.hits) == (3, 3)
        assert again == first


def test_markup_and_text_are_different_drawings(app):
    """A label given as Markup is not escaped, as text it is: the two never share a drawing."""
    with app.test_request_context():
        widget = KeptSubmit()
        as_text = widget.render({"text": "<b>Go</b>", "attributes": {}})
        as_markup = widget.render({"text": Markup("<b>Go</b>"), "attributes": {}})
    assert as_text != as_markup
