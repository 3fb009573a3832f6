"""The outbox's delivery as a background job: enqueued after every commit that wrote email
(provider_portal.jobs.runner), run by `flask jobs worker` or a thread of the web process."""

from __future__ import annotations

import logging

from provider_portal.jobs.runner import DELIVER_OUTBOX, job
from provider_portal.notifications.sender import deliver_pending

log = logging.getLogger(__name__)


@job(DELIVER_OUTBOX)
def deliver_outbox() -> None:
    """Send every message that is due (claims keep two runs from sending one twice)."""
    report = deliver_pending()
    log.info("outbox delivery: %s", report)
