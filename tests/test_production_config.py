"""Production starts only with its own keys and an https address for the links it emails."""

from __future__ import annotations

import pytest

from config import INSECURE_DEV_TOTP_KEY, PLACEHOLDER_COUNCIL_CONTACT, ProductionConfig
from provider_portal import create_app
from provider_portal.mail import portal_link


def start(tmp_path):
    class Production(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'production.sqlite'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    return create_app(Production)


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "http://portal.council.example",  # the links would carry one-time tokens in the clear
        "HTTP://portal.council.example",
        "portal.council.example",
        "https://",
        "https:///path",
        "//portal.council.example",
        "ftp://portal.council.example",
    ],
)
def test_production_refuses_an_address_that_is_not_https(
    production_environment, monkeypatch, tmp_path, url
):
    if url is None:
        monkeypatch.delenv("PORTAL_URL")
    else:
        monkeypatch.setenv("PORTAL_URL", url)
    with pytest.raises(RuntimeError, match="PORTAL_URL must be the portal's https:// address"):
        start(tmp_path)


def test_production_links_in_emails_use_its_https_address(production_environment, tmp_path):
    portal = start(tmp_path)
    assert portal.config["PORTAL_URL"] == "https://portal.council.example"
    with portal.test_request_context():
        assert portal_link("/accounts/reset/abc").startswith("https://portal.council.example/")


@pytest.mark.parametrize("key", [None, "", " , ", INSECURE_DEV_TOTP_KEY])
def test_production_refuses_a_missing_or_published_totp_key(
    production_environment, monkeypatch, tmp_path, key
):
    if key is None:
        monkeypatch.delenv("TOTP_ENCRYPTION_KEY")
    else:
        monkeypatch.setenv("TOTP_ENCRYPTION_KEY", key)
    with pytest.raises(RuntimeError, match="TOTP_ENCRYPTION_KEY must be set"):
        start(tmp_path)


def test_production_refuses_the_published_key_even_kept_for_decrypting(
    production_environment, monkeypatch, tmp_path
):
    own = production_environment["TOTP_ENCRYPTION_KEY"]
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", f"{own},{INSECURE_DEV_TOTP_KEY}")
    with pytest.raises(RuntimeError, match="TOTP_ENCRYPTION_KEY must be set"):
        start(tmp_path)


def test_production_refuses_a_malformed_totp_key(production_environment, monkeypatch, tmp_path):
    monkeypatch.setenv("TOTP_ENCRYPTION_KEY", "short")
    with pytest.raises(RuntimeError, match="key 1 is not one"):
        start(tmp_path)


def test_production_refuses_an_unreadable_trusted_proxies(
    production_environment, monkeypatch, tmp_path
):
    monkeypatch.setenv("TRUSTED_PROXIES", "nginx")
    monkeypatch.setattr(ProductionConfig, "TRUSTED_PROXIES", "nginx")  # read at import
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        start(tmp_path)


@pytest.mark.parametrize("contact", [None, "  ", PLACEHOLDER_COUNCIL_CONTACT])
def test_production_refuses_to_name_no_team_or_the_example_one_in_family_letters(
    production_environment, monkeypatch, tmp_path, contact
):
    if contact is None:
        monkeypatch.delenv("COUNCIL_CONTACT")
    else:
        monkeypatch.setenv("COUNCIL_CONTACT", contact)
    with pytest.raises(RuntimeError, match="COUNCIL_CONTACT must say who families contact"):
        start(tmp_path)


def test_production_family_letters_name_the_councils_own_team(production_environment, tmp_path):
    assert start(tmp_path).config["COUNCIL_CONTACT"] == "the SEND assessment team on 01632 960000"
