"""Behind reverse proxies: the sign-in limits and the audit see the client, not the proxy.

Security checks 17 and 18, as the README's production set-up runs the portal: gunicorn behind
a proxy that adds X-Forwarded-For. The first test puts a real forwarding proxy
(tests/security/forwarding_proxy.py) in front of the portal served on a port, and real
clients on their own loopback addresses behind it; the others set the WSGI environ as such a
proxy would (REMOTE_ADDR the proxy, X-Forwarded-For the client).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from provider_portal.extensions import db
from provider_portal.models import AuditEvent, Role
from provider_portal.proxies import proxy_hops
from tests.auth.test_lockout import WRONG
from tests.helpers import TEST_PASSWORD, PortalClient
from tests.security.forwarding_proxy import proxy_server

PROXY = "10.0.0.2"  # the proxy as the portal sees it, in the environ-based tests


@contextmanager
def serving(server: ThreadingHTTPServer | object) -> Iterator[int]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)  # type: ignore[attr-defined]
    thread.start()
    try:
        yield server.server_address[1]  # type: ignore[attr-defined]
    finally:
        server.shutdown()  # type: ignore[attr-defined]
        server.server_close()  # type: ignore[attr-defined]
        thread.join(timeout=10)


@pytest.fixture
def behind_proxy(other_portal: Callable[..., Flask]) -> Iterator[int]:
    """The portal (TRUSTED_PROXIES=1) on a free port, with the forwarding proxy in front of
    it; yields the proxy's port."""
    portal = other_portal(TRUSTED_PROXIES="1")
    app_server = make_server("127.0.0.1", 0, portal, threaded=True)
    with serving(app_server) as app_port:
        proxy = proxy_server(("127.0.0.1", 0), ("127.0.0.1", app_port))
        with serving(proxy) as proxy_port:
            yield proxy_port


class Browser:
    """A client connecting from its own loopback address (127.0.0.2, 127.0.0.3, ...), with
    its own cookies, reading the CSRF token from the sign-in page."""

    def __init__(self, port: int, address: str) -> None:
        self.port, self.address = port, address
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> tuple[int, str]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.address, 0)
        )
        headers = {k.replace("_", "-"): v for k, v in headers.items()}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            text = answer.read().decode()
            for value in answer.headers.get_all("Set-Cookie") or []:
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        finally:
            connection.close()
        return answer.status, text

    def sign_in(self, email: str, password: str, **headers: str) -> int:
        _, page = self.request("GET", "/sign-in")
        soup = BeautifulSoup(page, "html.parser")
        token = json.loads(soup.body["hx-headers"])["X-CSRFToken"]
        form = {"email": email, "password": password, "csrf_token": token}
        status, _ = self.request("POST", "/sign-in", form, **headers)
        return status


def addresses(action: str) -> list[str | None]:
    db.session.commit()
    return list(
        db.session.scalars(
            select(AuditEvent.ip_address).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_through_a_real_proxy_one_address_cannot_block_another(app, make, behind_proxy):
    """Ten failures from one client do not stop another; spoofed hops the client writes are
    ignored; the audit records each client's own address, never the proxy's."""
    victim = make.user(Role.MANAGER)
    colleague = make.user(Role.MANAGER)
    attacker = Browser(behind_proxy, "127.0.0.2")
    for n in range(10):
        # Each guess claims to come from somewhere else: the proxy adds the real address.
        spoofed = {"X_Forwarded_For": f"203.0.113.{n + 1}"}
        assert attacker.sign_in(victim.email, WRONG, **spoofed) == 200
    assert attacker.sign_in(victim.email, WRONG, X_Forwarded_For="203.0.113.99") == 429

    assert Browser(behind_proxy, "127.0.0.3").sign_in(colleague.email, TEST_PASSWORD) == 303
    assert addresses("sign_in_failed") == ["127.0.0.2"] * 10
    assert addresses("sign_in") == ["127.0.0.3"]
    # The victim's own lockout holds too, from any address.
    assert Browser(behind_proxy, "127.0.0.4").sign_in(victim.email, TEST_PASSWORD) == 200
    assert addresses("sign_in_failed")[-1] == "127.0.0.4"


def forwarded(client: PortalClient, email: str, password: str, chain: str) -> int:
    """A sign-in arriving from the proxy with this X-Forwarded-For."""
    response = client.post(
        "/sign-in",
        {"email": email, "password": password},
        environ_base={"REMOTE_ADDR": PROXY},
        headers={"X-Forwarded-For": chain},
    )
    return response.status_code


@pytest.mark.parametrize(
    ("hops", "chain"),
    [
        (1, "{spoof}, 198.51.100.7"),  # one proxy: the last entry is the one it added
        (2, "{spoof}, 198.51.100.7, 10.0.0.1"),  # a load balancer, then nginx
    ],
)
def test_only_the_trusted_hops_are_believed(app, make, other_portal, hops, chain):
    portal = other_portal(TRUSTED_PROXIES=hops)
    user = make.user(Role.MANAGER)
    client = PortalClient(portal)
    for n in range(10):
        spoof = chain.format(spoof=f"203.0.113.{n + 1}")
        assert forwarded(client, "nobody@example.test", WRONG, spoof) == 200
    assert forwarded(client, user.email, TEST_PASSWORD, chain.format(spoof="192.0.2.1")) == 429
    assert set(addresses("sign_in_failed")) == {"198.51.100.7"}
    # Another client behind the same proxy is not held up.
    other = chain.format(spoof="203.0.113.1").replace("198.51.100.7", "198.51.100.8")
    assert forwarded(PortalClient(portal), user.email, TEST_PASSWORD, other) == 303
    assert addresses("sign_in") == ["198.51.100.8"]


def test_without_trusted_proxies_the_header_is_not_believed(app, make):
    """TRUSTED_PROXIES = 0, the default: X-Forwarded-For changes nothing."""
    assert app.config["TRUSTED_PROXIES"] == 0
    client = PortalClient(app)
    for n in range(10):
        assert forwarded(client, "nobody@example.test", WRONG, f"198.51.100.{n + 1}") == 200
    assert forwarded(client, "nobody@example.test", WRONG, "198.51.100.99") == 429
    assert set(addresses("sign_in_failed")) == {PROXY}


def test_one_account_is_limited_whoever_guesses(app, make, other_portal):
    """Security check 18: guesses at one account from ever-changing addresses are held to
    SIGN_IN_ACCOUNT_RATE_LIMIT (20 a minute), on top of the lockout at 10 failures."""
    portal = other_portal(TRUSTED_PROXIES=1)
    victim = make.user(Role.MANAGER)
    bystander = make.user(Role.MANAGER)
    client = PortalClient(portal)
    assert portal.config["SIGN_IN_ACCOUNT_RATE_LIMIT"] == "20 per minute"
    for n in range(20):
        assert forwarded(client, victim.email, WRONG, f"198.51.100.{n + 1}") == 200
    db.session.refresh(victim)
    assert victim.locked_until is not None  # the lockout came first, at 10
    # The email as typed, whatever its case or spaces, is the same account.
    assert forwarded(client, f" {victim.email.upper()} ", WRONG, "198.51.100.50") == 429
    # Another account from the same address is not held up.
    assert forwarded(client, bystander.email, TEST_PASSWORD, "198.51.100.50") == 303


def test_the_account_limit_treats_unknown_addresses_alike(app, make, other_portal):
    """The count is by the email typed, account or not: a 429 says nothing about which
    email addresses have accounts (security check 19)."""
    portal = other_portal(SIGN_IN_ACCOUNT_RATE_LIMIT="3 per minute")
    known = make.user(Role.MANAGER)
    answers = {}
    for email in (known.email, "nobody@example.test"):
        client = PortalClient(portal)
        statuses = [
            client.post(
                "/sign-in",
                {"email": email, "password": WRONG},
                environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"},
            ).status_code
            for n in range(4)
        ]
        answers[email] = statuses
    assert answers[known.email] == answers["nobody@example.test"] == [200, 200, 200, 429]


@pytest.mark.parametrize("value", ["0", "1", " 2 ", 3])
def test_trusted_proxies_reads_a_number_of_hops(value):
    assert proxy_hops(value) == int(value)


@pytest.mark.parametrize("value", ["-1", "one", "1.5", "", "１", True, -1, None])
def test_an_unreadable_trusted_proxies_stops_the_start(app, other_portal, value):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES must be the number of reverse"):
        other_portal(TRUSTED_PROXIES=value)
