"""Jinja set-up: our templates beside the GOV.UK macros, and loud undefined names."""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader, Undefined
from jinja2.exceptions import UndefinedError
from jinja2.utils import missing


class LoudUndefined(Undefined):
    """Printing or using an undefined *name* fails; missing keys of a dict stay falsy.

    The GOV.UK macros test optional parameters (`params.classes`), which must stay quiet,
    but a mistyped variable in one of our templates must fail the test that renders it.
    """

    __slots__ = ()

    def _loud(self) -> bool:
        return self._undefined_obj is missing

    def _fail(self) -> NoReturn:
        raise UndefinedError(self._undefined_message)

    def __str__(self) -> str:
        if self._loud():
            self._fail()
        return ""

    def __iter__(self) -> Any:
        if self._loud():
            self._fail()
        return iter(())

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        if self._loud():
            self._fail()
        return self._fail_with_undefined_error()


def configure_jinja(app: Flask, template_folder: str) -> None:
    """Use the project templates first, then the GOV.UK Frontend macro packages."""
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [
            FileSystemLoader(template_folder),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_options = {**app.jinja_options, "trim_blocks": True, "lstrip_blocks": True}
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.undefined = LoudUndefined
