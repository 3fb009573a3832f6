"""The scanner's settings: where clamd is, and production refusing to run without a scanner
unless told so."""

from __future__ import annotations

import pytest
from clamav_client.clamd import ClamdNetworkSocket, ClamdUnixSocket

from config import ProductionConfig
from provider_portal import create_app
from provider_portal.scanner import clamd_client


@pytest.mark.parametrize(
    ("address", "kind", "where"),
    [
        ("/var/run/clamav/clamd.ctl", ClamdUnixSocket, "/var/run/clamav/clamd.ctl"),
        ("unix:///run/clamd.sock", ClamdUnixSocket, "/run/clamd.sock"),
        ("127.0.0.1:3310", ClamdNetworkSocket, ("127.0.0.1", 3310)),
        ("clamav.internal:3310", ClamdNetworkSocket, ("clamav.internal", 3310)),
        ("[::1]:3310", ClamdNetworkSocket, ("::1", 3310)),
    ],
)
def test_clamd_is_reached_at_a_socket_path_or_host_and_port(address, kind, where):
    client = clamd_client(address, timeout=7)
    assert type(client) is kind
    assert client.timeout == 7
    if kind is ClamdUnixSocket:
        assert client.unix_socket == where
    else:
        assert (client.host, client.port) == where


@pytest.fixture
def production(monkeypatch, tmp_path, production_environment):
    """Build a production app with the environment given (validate() sets the scanner on
    this test's own subclass), on top of everything else production needs."""
    for name in ("SCANNER", "ALLOW_NO_SCANNER"):
        monkeypatch.delenv(name, raising=False)

    class Prod(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.sqlite'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    def build(**environment: str):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return create_app(Prod)

    return build


def test_production_scans_with_clamd_by_default(production):
    assert production().config["SCANNER"] == "clamd"


@pytest.mark.parametrize("allow", [None, "", "0", "yes"])
def test_production_refuses_to_start_without_a_scanner(production, allow):
    environment = {"SCANNER": "none"}
    if allow is not None:
        environment["ALLOW_NO_SCANNER"] = allow
    with pytest.raises(RuntimeError, match="ALLOW_NO_SCANNER=1"):
        production(**environment)


def test_production_runs_without_a_scanner_only_when_told_to(production):
    app = production(SCANNER="none", ALLOW_NO_SCANNER="1")
    assert app.config["SCANNER"] == "none"


def test_production_refuses_an_unknown_scanner(production):
    with pytest.raises(RuntimeError, match="SCANNER must be clamd or none"):
        production(SCANNER="clamav")
