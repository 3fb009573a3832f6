"""Case papers on the provider's work page: downloaded through the one scoped loader
(permissions.provider_papers), each download audited."""

from __future__ import annotations

from werkzeug.wrappers import Response

from provider_portal.papers.services import open_paper
from provider_portal.permissions import provider_allocation_or_404, provider_paper_or_404, requires
from provider_portal.provider import bp
from provider_portal.web import serve_document


@bp.route("/allocations/<int:allocation_id>/papers/<int:paper_id>")
@requires("provider_work")
def download_paper(allocation_id: int, paper_id: int) -> Response:
    """Download a case paper shared with this work (audited); anything else is 404."""
    paper = provider_paper_or_404(allocation_id, paper_id)
    allocation = provider_allocation_or_404(allocation_id)
    return serve_document(paper, lambda found: open_paper(found, allocation))
