"""Production starts only with its own keys and an https address for the links it emails."""

from __future__ import annotations

import json

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


NOTIFY_KEY = "live-0c2e5bc5-4e1f-4bd0-9a3f-3a1bd9e6e0a1-5d1c1e4e-8f7b-4f3a-9d2e-6a7b8c9d0e1f"
NOTIFY_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"


def _notify(monkeypatch) -> None:
    monkeypatch.setenv("MAIL_BACKEND", "notify")
    monkeypatch.setenv("NOTIFY_API_KEY", NOTIFY_KEY)
    monkeypatch.setenv("NOTIFY_TEMPLATE_ID", NOTIFY_TEMPLATE)


def test_production_sends_the_outbox_by_smtp_unless_told_otherwise(
    production_environment, tmp_path
):
    assert start(tmp_path).config["MAIL_BACKEND"] == "smtp"


def test_production_refuses_a_mail_backend_it_does_not_know(
    production_environment, monkeypatch, tmp_path
):
    monkeypatch.setenv("MAIL_BACKEND", "sendmail")
    with pytest.raises(RuntimeError, match="MAIL_BACKEND must be smtp or notify, not 'sendmail'"):
        start(tmp_path)


@pytest.mark.parametrize("missing", ["NOTIFY_API_KEY", "NOTIFY_TEMPLATE_ID"])
def test_production_refuses_notify_without_its_key_or_template(
    production_environment, monkeypatch, tmp_path, missing
):
    _notify(monkeypatch)
    monkeypatch.setenv(missing, " ")
    with pytest.raises(RuntimeError, match=f"MAIL_BACKEND=notify needs {missing}"):
        start(tmp_path)


@pytest.mark.parametrize("overrides", ["work_allocated", "[]", '{"work_allocated": 7}'])
def test_production_refuses_template_overrides_it_cannot_read(
    production_environment, monkeypatch, tmp_path, overrides
):
    _notify(monkeypatch)
    monkeypatch.setenv("NOTIFY_TEMPLATE_IDS", overrides)
    with pytest.raises(RuntimeError, match="NOTIFY_TEMPLATE_IDS must be JSON"):
        start(tmp_path)


def test_production_sends_by_notify_with_its_key_and_templates(
    production_environment, monkeypatch, tmp_path
):
    _notify(monkeypatch)
    overrides = json.dumps({"work_allocated": NOTIFY_TEMPLATE})
    monkeypatch.setenv("NOTIFY_TEMPLATE_IDS", overrides)
    config = start(tmp_path).config
    assert config["MAIL_BACKEND"] == "notify"
    assert (config["NOTIFY_API_KEY"], config["NOTIFY_TEMPLATE_ID"]) == (NOTIFY_KEY, NOTIFY_TEMPLATE)
    assert config["NOTIFY_TEMPLATE_IDS"] == overrides


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"STORAGE": "s3"}, "STORAGE=s3 needs S3_BUCKET"),
        ({"STORAGE": "s3", "S3_BUCKET": ""}, "STORAGE=s3 needs S3_BUCKET"),
        ({"STORAGE": "disk"}, "STORAGE must be local or s3, not 'disk'"),
    ],
)
def test_production_refuses_storage_it_cannot_use(
    production_environment, monkeypatch, tmp_path, environment, message
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match=message):
        start(tmp_path)


def test_production_starts_with_a_bucket_named(production_environment, monkeypatch, tmp_path):
    monkeypatch.setenv("STORAGE", "s3")
    monkeypatch.setenv("S3_BUCKET", "council-documents")
    portal = start(tmp_path)
    assert (portal.config["STORAGE"], portal.config["S3_BUCKET"]) == ("s3", "council-documents")
    assert portal.config["S3_SSE"] == "AES256"
