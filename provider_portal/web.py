"""How every route answers: the page or its htmx fragment, redirects that suit htmx, a
service's refusal shown on the form, downloads, and lists read once per request."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from flask import Flask, abort, g, make_response, redirect, render_template, send_file, url_for
from htmx_flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response
from wtforms import Field

from provider_portal import audit, database
from provider_portal.documents import IntegrityFailure
from provider_portal.errors import PortalError, Unavailable
from provider_portal.extensions import db
from provider_portal.models import CasePaper, Document

T = TypeVar("T")
# A row with a stored file: a provider's document or a case paper.
S = TypeVar("S", Document, CasePaper)


# Characters nobody types into a box: the C0 controls and DEL. PostgreSQL refuses NUL in text
# (a 500 whose logged error held the value typed), and the rest have no place in a name, a note
# or a search. Tab is allowed anywhere; line breaks only in a posted form, where a textarea
# can hold them, never in a query string or a path.
_REFUSED_IN_URL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_REFUSED_IN_FORM = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UnusableCharacters(BadRequest):
    """A request carrying a control character in its path, query string or form."""

    description = (
        "Something you entered contains a character the service cannot accept. "
        "Go back, check what you entered and try again."
    )


def refuse_control_characters() -> None:
    """Before every request: refuse control characters in the path, the query string and the
    posted form, names and values alike, with a 400 before any route reads them."""
    fields = [(_REFUSED_IN_URL, request.args), (_REFUSED_IN_FORM, request.form)]
    if _REFUSED_IN_URL.search(request.path) or any(
        pattern.search(key) or pattern.search(value)
        for pattern, values in fields
        for key, value in values.items(multi=True)
    ):
        raise UnusableCharacters()


def read_requests_read_only(app: Flask) -> None:
    """GET and HEAD requests read without taking the write lock; their audit rows are
    written after the response is built, before it is sent (database.read_request()).

    Registered before every other hook, so the request is marked before anything reads, and
    its audit rows are written after every other hook has finished the response.
    """

    @app.before_request
    def mark_request() -> None:
        g.read_request_token = database.start_request(request.method)
        if database.read_request():
            # Nothing a request that only reads loaded can have changed, so ending its read
            # transaction (or writing its audit rows after it) need not mark every object it
            # loaded as expired: on the board that is some 150 objects, twice a request.
            db.session().expire_on_commit = False
            g.no_expiry = True

    @app.after_request
    def write_audit(response: Response) -> Response:
        audit.write_pending()
        return response

    @app.teardown_request
    def unmark_request(_error: BaseException | None) -> None:
        token = g.pop("read_request_token", None)
        if token is not None:
            database.end_request(token)
        if g.pop("no_expiry", False):
            db.session().expire_on_commit = True


def wants_fragment() -> bool:
    """A fragment only for an htmx request that is not boosted and not a history restore."""
    return bool(
        request.htmx and not request.htmx.boosted and not request.htmx.history_restore_request
    )


def render(page: str, fragment: str | None = None, status: int = 200, **context: Any) -> Response:
    """Render the page, or its fragment for an htmx request; one context for both."""
    template = fragment if fragment and wants_fragment() else page
    return make_response(render_template(template, **context), status)


def redirect_after_post(url: str) -> Response:
    """303 after a successful POST; htmx requests are told where to go with HX-Location."""
    if wants_fragment():
        response = make_response("", 200)
        response.headers["HX-Location"] = url
        return response
    return redirect(url, code=303)


# Ids are INTEGER columns: past this, PostgreSQL answers a query with an error (and SQLite
# with an overflow), not with "not found".
MAX_ID = 2**31 - 1
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")


def to_int(text: str | None, lo: int, hi: int) -> int | None:
    """The whole number written in ASCII digits (a minus sign allowed), if it is from lo to hi;
    None for anything else ("", "²", "١", "1e9", "NaN", " 7", a number out of range).

    str.isdigit() is no test: it is true of "²", which int() refuses, and of "١", which int()
    reads. Every parameter a route reads as a number goes through here.
    """
    if text is None or not _WHOLE_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if lo <= value <= hi else None


def to_id(text: str | None) -> int | None:
    """A row's id from a parameter or a form's select, or None when it cannot be one."""
    return to_int(text, 1, MAX_ID)


def arg_int(name: str, default: int, lo: int, hi: int) -> int:
    """?name= as a whole number from lo to hi (or the posted field, for a posted search);
    default when it is missing or anything else."""
    value = to_int(request.values.get(name), lo, hi)
    return default if value is None else value


def arg_id(name: str) -> int | None:
    """?name= as a row's id, or None."""
    return to_id(request.args.get(name))


def arg_choice(name: str, choices: Collection[str], default: str = "") -> str:
    """?name= if it is one of the choices, otherwise default."""
    value = request.args.get(name, default)
    return value if value in choices else default


def page_number() -> int:
    """The page of a list, 1 when missing or nonsense (past the last, the list shows its last)."""
    return arg_int("page", 1, 1, 999_999)


# Posted with a list's filter form but no filter: the CSRF token, the button, the page asked for.
_NOT_FILTERS = frozenset({"csrf_token", "submit", "page"})


@dataclass(frozen=True)
class ListFilters:
    """A list's filters in one request (see list_filters)."""

    data: MultiDict[str, str]  # what the list's filter form reads
    link_args: dict[str, list[str]]  # what a link to the list may carry: never a search box
    url: str  # the list with those filters, for the address bar
    posted: bool  # the filter form was posted to the list
    searched: bool  # and something was typed into a search box


def list_filters(endpoint: str, search_boxes: Collection[str] = ()) -> ListFilters:
    """The filters of the list at endpoint.

    A search box (a child's name, a case reference) is read only from the filter form posted
    to the list itself, never from a query string: what someone types into one never goes
    into a URL, so never into a link, the browser's history or a server's log. The other
    filters are read from the query string, and a posted form's are carried into the URL, so
    a filtered list can still be shared and bookmarked.
    """
    posted = request.method == "POST" and request.endpoint == endpoint
    data = (request.form if posted else request.args).copy()
    if not posted:
        for box in search_boxes:
            data.poplist(box)
    link_args = {
        name: values
        for name, values in data.to_dict(flat=False).items()
        if name not in _NOT_FILTERS and name not in search_boxes and any(values)
    }
    searched = posted and any((data.get(box) or "").strip() for box in search_boxes)
    return ListFilters(data, link_args, url_for(endpoint, **link_args), posted, searched)


def answer_list(filters: ListFilters, show: Callable[[], Response]) -> Response:
    """A list page whose filter form is posted (list_filters): shown as asked, except that
    a posted form with nothing in its search boxes is redirected (303) to the list's URL
    with its filters, and an htmx answer sets the address bar to that URL: the search
    results stay on the page, what was typed stays out of the address."""
    if filters.posted and not filters.searched and not wants_fragment():
        return redirect(filters.url, code=303)
    response = show()
    if filters.posted and wants_fragment():
        # A new history entry for a change of filters; none for each pause in typing.
        response.headers["HX-Replace-Url" if filters.searched else "HX-Push-Url"] = filters.url
    return response


class IdConverter(IntegerConverter):
    """<int:…> in a route: ASCII digits naming an id that can exist. Anything else, or a number
    past MAX_ID, matches no route: a 404 before any query."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def attachment(body: bytes | str, content_type: str, filename: str) -> Response:
    """A download: the body served as an attachment under a name the caller made safe."""
    response = make_response(body)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def svg_response(svg: bytes) -> Response:
    """A chart served at its own URL under its own strict policy.

    matplotlib's SVG styles with attributes; nothing else may load or run inside it (an SVG
    shown through <img> cannot run script anyway, but this also covers opening it directly).
    """
    response = make_response(svg)
    response.headers["Content-Type"] = "image/svg+xml"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def run_form_action(
    field: Field,
    action: Callable[[], object],
    on_refused: Callable[[PortalError], object] | None = None,
) -> bool:
    """Run one service operation for a form and commit it; True when it was done.

    When a rule of the service stops it, nothing is saved and its message goes on the form
    field the person should look at, so the page can be shown again with it. on_refused,
    if given, records the refusal (an audit row) in a transaction of its own. A service the
    operation needs being down (Unavailable) is answered with the 503 page instead.
    """
    try:
        action()
        db.session.commit()
    except PortalError as error:
        db.session.rollback()
        if on_refused is not None:
            on_refused(error)
            db.session.commit()
        if isinstance(error, Unavailable):
            raise
        field.errors = [str(error)]
        return False
    return True


def file_response(document: Document | CasePaper, handle: IO[bytes]) -> Response:
    """A checked file served as an attachment that no browser will run or keep; the
    response streams it in chunks and closes it."""
    response = send_file(
        handle,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.original_filename,
        max_age=0,
        conditional=False,
        etag=False,
    )
    # An open file has no size werkzeug can see; this one was just read whole and matched.
    response.content_length = document.size_bytes
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "no-store"
    return response


def serve_document(document: S, open_file: Callable[[S], IO[bytes]]) -> Response:
    """Serve a document the person may see through the service that checks and audits it
    (allocations.services.open_document); a file that fails its check is answered with a
    500 once its audit row is committed."""
    try:
        handle = open_file(document)
    except IntegrityFailure:
        db.session.commit()
        abort(500)
    try:
        response = file_response(document, handle)
        db.session.commit()
    except BaseException:
        handle.close()
        raise
    return response


def once_per_request(load: Callable[[], list[T]]) -> list[T]:
    """The list load() reads, read once per request however many forms on the page need it."""
    key = f"once_per_request:{load.__module__}.{load.__qualname__}"
    if key not in g:
        setattr(g, key, load())
    cached: list[T] = getattr(g, key)
    return list(cached)
