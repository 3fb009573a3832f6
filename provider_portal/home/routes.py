"""The manager home and the accessibility statement."""

from __future__ import annotations

from werkzeug.wrappers import Response

from provider_portal.allocations.queries import week_end
from provider_portal.home import bp
from provider_portal.home.queries import manager_counts, provider_loads
from provider_portal.permissions import requires
from provider_portal.timescales import today
from provider_portal.web import render


@bp.route("/home")
@requires("view_cases")
def manager() -> Response:
    """What needs doing: returned work, questions, work due or overdue, unallocated cases, and
    each provider's work this month against its stated capacity."""
    as_of = today()
    return render(
        "home/manager.html",
        counts=manager_counts(as_of),
        loads=provider_loads(as_of),
        as_of=as_of,
        week_ends=week_end(as_of),
    )


@bp.route("/accessibility")
@requires("public")
def accessibility() -> Response:
    """The accessibility statement, for anyone, signed in or not."""
    return render("home/accessibility.html")
