"""How a report's routes answer: its page (or the htmx fragment), an audited download, a chart.

Each report describes its page once, as a ReportPage: its templates, how it reads the
request into a form and a report (None while the form has mistakes), and what its templates
are given. Its routes are then one line each, and every report treats a mistake the same way:
the page with the form's errors, status 400 for a download or a chart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from provider_portal.reports.exports import Export, record_export
from provider_portal.web import attachment, render, svg_response

F = TypeVar("F", bound=FlaskForm)
R = TypeVar("R")


def form_and_report(form: FlaskForm, report: object) -> dict[str, Any]:
    """What most report templates are given: the form and the report (None when invalid)."""
    return {"form": form, "report": report}


def send_export(export: Export) -> Response:
    """The file, once its audit row is committed."""
    record_export(export.detail, export.about)
    return attachment(export.body, export.content_type, export.filename)


@dataclass(frozen=True)
class ReportPage(Generic[F, R]):
    """A report's page: its templates, how it reads the request, what its templates get."""

    template: str
    fragment: str
    read: Callable[[], tuple[F, R | None]]
    context: Callable[[F, R | None], dict[str, Any]] = form_and_report

    def show(self) -> Response:
        """The page, or its fragment for htmx; with the form's errors if it has any."""
        form, report = self.read()
        return render(self.template, self.fragment, **self.context(form, report))

    def download(self, export: Callable[[R], Export]) -> Response:
        """The report as an audited file."""
        return self._answer(lambda report: send_export(export(report)))

    def chart(self, draw: Callable[[R], bytes]) -> Response:
        """The report drawn as an SVG chart."""
        return self._answer(lambda report: svg_response(draw(report)))

    def _answer(self, answer: Callable[[R], Response]) -> Response:
        form, report = self.read()
        if report is None:
            return render(self.template, status=400, **self.context(form, None))
        return answer(report)
