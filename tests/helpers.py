"""A test client that signs in, carries the CSRF token and checks GOV.UK page hygiene."""

from __future__ import annotations

import contextvars
import json
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import sqlalchemy as sa
from bs4 import BeautifulSoup
from flask import Flask
from werkzeug.test import TestResponse

from provider_portal.auth.two_factor.keys import reveal
from provider_portal.auth.two_factor.services import VALID_WINDOW, current_step
from provider_portal.extensions import db
from provider_portal.models import User

TEST_PASSWORD = "correct horse battery staple"


def plain_totp_secret(user: User) -> str:
    """The user's two-factor secret as their app holds it, decrypted from the database."""
    stored = db.session.scalar(sa.select(User.totp_secret).where(User.id == user.id))
    secret = reveal(stored)
    assert secret, f"{user.email} has no two-factor secret the configured key decrypts"
    return secret


def totp_code(user: User, secret: str | None = None) -> str:
    """A code the portal accepts for the user now: this time step's, or a later one in the
    window if this one was used (so a test can sign the same person in twice quickly)."""
    row = db.session.execute(
        sa.select(User.totp_secret, User.totp_last_step).where(User.id == user.id)
    ).one()
    secret = secret or reveal(row.totp_secret)
    assert secret, f"{user.email} has no two-factor secret"
    now = current_step()
    step = now if row.totp_last_step is None or row.totp_last_step < now else row.totp_last_step + 1
    assert step <= now + VALID_WINDOW, "every code in the window is used: move the clock on"
    return pyotp.TOTP(secret).generate_otp(step)


def check_page_hygiene(soup: BeautifulSoup) -> None:
    """One h1, the title starts with it, every form has an action, no duplicate ids."""
    h1s = soup.find_all("h1")
    assert len(h1s) == 1, f"expected one h1, found {len(h1s)}"
    title = soup.title.get_text(strip=True) if soup.title else ""
    heading = " ".join(h1s[0].get_text().split())
    plain_title = title.removeprefix("Error: ")
    assert plain_title.startswith(heading), f"title {title!r} does not start with h1 {heading!r}"
    for form in soup.find_all("form"):
        assert form.get("action"), f"form without action: {str(form)[:200]}"
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    duplicates = [key for key, count in ids.items() if count > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for script in soup.find_all("script"):
        assert script.get("src") or script.get("nonce"), "inline script without a nonce"


def check_fragment(soup: BeautifulSoup) -> None:
    assert soup.find("html") is None, "expected a fragment, got a whole page"
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    assert not [k for k, c in ids.items() if c > 1], "duplicate ids in fragment"


class _IsolatedClient:
    """Runs each request in an empty context, as a real server would.

    The tests hold an application context open; without this, requests would share its
    `g` and database session with the test and with each other.
    """

    def __init__(self, app: Flask) -> None:
        self._client = app.test_client()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name in {"get", "post", "open", "head", "put", "delete", "patch"}:

            def isolated(*args: Any, **kwargs: Any) -> Any:
                # End the test's own transaction so the request, and the test afterwards,
                # see the latest committed data (as separate connections would in real use).
                db.session.commit()
                response = contextvars.Context().run(attribute, *args, **kwargs)
                db.session.commit()
                return response

            return isolated
        return attribute


class PortalClient:
    """Wraps Flask's test client: sign in as a user, GET pages as soup, POST with CSRF."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.http = _IsolatedClient(app)
        self._token: str | None = None

    # --- requests -------------------------------------------------------------------------
    def get(self, url: str, htmx: bool = False, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if htmx:
            headers["HX-Request"] = "true"
        return self.http.get(url, headers=headers, **kwargs)

    def page(self, url: str, status: int = 200, htmx: bool = False) -> BeautifulSoup:
        """GET a page (or fragment with htmx=True), check its status and hygiene, parse it."""
        response = self.get(url, htmx=htmx)
        assert response.status_code == status, (
            f"GET {url}: {response.status_code}\n{response.get_data(as_text=True)[:2000]}"
        )
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        if htmx:
            check_fragment(soup)
        else:
            check_page_hygiene(soup)
        return soup

    def soup(self, response: TestResponse) -> BeautifulSoup:
        """Parse a whole page from a response (a POST's, say) and check its hygiene."""
        soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
        check_page_hygiene(soup)
        return soup

    def token(self) -> str:
        """The CSRF token of this session, read from the page's hx-headers as htmx would."""
        if self._token is None:
            response = self.http.get("/sign-in", follow_redirects=True)
            soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
            headers = json.loads(soup.body["hx-headers"])
            self._token = headers["X-CSRFToken"]
        return self._token

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        htmx: bool = False,
        csrf: bool = True,
        **kwargs: Any,
    ) -> TestResponse:
        """POST a form; the token goes in the body, or in the X-CSRFToken header for htmx."""
        data = dict(data or {})
        headers = dict(kwargs.pop("headers", {}))
        if htmx:
            headers["HX-Request"] = "true"
            if csrf:
                headers["X-CSRFToken"] = self.token()
        elif csrf:
            data.setdefault("csrf_token", self.token())
        return self.http.post(url, data=data, headers=headers, **kwargs)

    # --- accounts -------------------------------------------------------------------------
    def sign_in(
        self, user: User, password: str = TEST_PASSWORD, totp_secret: str | None = None
    ) -> TestResponse:
        """Sign in with the password and, if the portal asks, a code from the user's
        authenticator secret (the one stored for them, or totp_secret)."""
        response = self.enter_password(user, password)
        assert response.status_code == 303, response.get_data(as_text=True)[:1000]
        if response.headers["Location"] == "/sign-in/two-factor":
            code = totp_code(user, totp_secret)
            response = self.post("/sign-in/two-factor", {"code": code})
            assert response.status_code == 303, response.get_data(as_text=True)[:1000]
            self._token = None  # and renewed again at sign-in
        return response

    def enter_password(
        self, user: User, password: str = TEST_PASSWORD, **kwargs: Any
    ) -> TestResponse:
        """Only the first sign-in step: post the email and password."""
        self._token = None
        response = self.post("/sign-in", {"email": user.email, "password": password}, **kwargs)
        self._token = None  # a right password renews the session
        return response

    def sign_out(self) -> TestResponse:
        response = self.post("/sign-out")
        self._token = None
        return response


def throwaway_database(folder: Path, prefix: str) -> Iterator[str]:
    """SQLite in a temp file by default; with a PostgreSQL DATABASE_URL, a throwaway database
    on that server, dropped afterwards."""
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgresql"):
        yield f"sqlite:///{folder / (prefix + '.sqlite')}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # A test database need not survive a crash: commits need not wait for the disk.
        connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield (
            sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def query_plan(
    connection: sa.Connection,
    statement: Any,
    *,
    rule_out: tuple[str, ...] = ("seqscan",),
    only_index: tuple[str, str] | None = None,
) -> str:
    """The plan the database chooses for a statement (a query, or its SQL text), as text.

    A test's handful of rows makes reading the whole table cheapest, and the question is what
    a full table would use: on PostgreSQL the scans named in rule_out are switched off for the
    rest of the caller's transaction (SET LOCAL), then EXPLAIN; on SQLite, EXPLAIN QUERY PLAN.

    only_index = (table, index) asks whether that index can serve the statement, the same way
    on both databases: SQLite is told to use it (INDEXED BY fails, "no query solution", if it
    cannot); PostgreSQL has the table's other indexes dropped inside the transaction, so the
    planner's choice between near-equal costs on a tiny table cannot hide it. The caller
    must roll the transaction back.
    """
    if isinstance(statement, str):
        compiled = statement
    else:
        compiled = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "postgresql":
        for kind in rule_out:
            connection.exec_driver_sql(f"SET LOCAL enable_{kind} = off")
        if only_index is not None:
            table, index = only_index
            others = connection.execute(
                sa.text(
                    "SELECT indexname FROM pg_indexes WHERE tablename = :table "
                    "AND indexname <> :index "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
                ),
                {"table": table.strip('"'), "index": index},
            ).scalars()
            for other in list(others):
                connection.exec_driver_sql(f'DROP INDEX "{other}"')
        return "\n".join(connection.exec_driver_sql(f"EXPLAIN {compiled}").scalars())
    if only_index is not None:
        table, index = only_index
        forced = compiled.replace(f"FROM {table}", f"FROM {table} INDEXED BY {index}")
        assert forced != compiled, f"no FROM {table} in the statement"
        compiled = forced
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    return "\n".join(str(row[-1]) for row in rows)
