"""Following an upload to its progress page once its import job (in a thread) has ended."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from werkzeug.test import TestResponse

from provider_portal.jobs import wait_for_jobs
from tests.helpers import PortalClient

PROGRESS_URL = re.compile(r"/cases/import/[0-9]+")


def finished(client: PortalClient, response: TestResponse) -> BeautifulSoup:
    """The progress page the upload was sent to, once its import has ended."""
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert PROGRESS_URL.fullmatch(location), location
    wait_for_jobs()
    return client.page(location)


def done_banner(soup: BeautifulSoup) -> str:
    """The success banner of a finished import's page."""
    banner = soup.find(id="import-done")
    assert banner is not None, "no success banner"
    return str(banner.get_text(" ", strip=True))
