"""`flask demo seed` and `flask demo generate` refuse to run outside development and test:
the seed's administrator has the README's published password."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from config import Config, DevelopmentConfig, ProductionConfig, TestConfig
from provider_portal import create_app
from provider_portal.extensions import db
from provider_portal.models import Case, User

COMMANDS = [["demo", "seed"], ["demo", "generate", "--cases", "3"]]


def _rows() -> tuple[int, int]:
    db.session.rollback()
    users = db.session.scalar(select(func.count()).select_from(User))
    cases = db.session.scalar(select(func.count()).select_from(Case))
    return users or 0, cases or 0


@pytest.mark.parametrize("args", COMMANDS, ids=["seed", "generate"])
@pytest.mark.parametrize("environment", ["production", None, "staging"])
def test_demo_data_is_refused_outside_development_and_test(app, monkeypatch, args, environment):
    monkeypatch.setitem(app.config, "PORTAL_ENV", environment)
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1, result.output
    assert "Demo data can only be loaded when PORTAL_ENV is development or test" in result.output
    assert "published password" in result.output
    assert _rows() == (0, 0)


@pytest.mark.parametrize("args", COMMANDS, ids=["seed", "generate"])
def test_a_production_portal_refuses_demo_data(production_environment, tmp_path, args):
    class Production(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'production.sqlite'}"
        UPLOAD_FOLDER = str(tmp_path / "uploads")

    portal = create_app(Production)
    with portal.app_context():  # as `flask --app wsgi` pushes one
        result = portal.test_cli_runner().invoke(args=args)
        db.engine.dispose()
    assert result.exit_code == 1, result.output
    assert "(it is production)" in result.output


def test_each_configuration_says_which_environment_it_is():
    assert DevelopmentConfig.PORTAL_ENV == "development"
    assert TestConfig.PORTAL_ENV == "test"
    assert ProductionConfig.PORTAL_ENV == "production"
    assert Config.PORTAL_ENV is None  # anything unnamed is refused


def test_the_test_environment_still_seeds(app):
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--cases", "3"])
    assert result.exit_code == 0, result.output
    assert _rows()[1] == 3


def test_the_demo_sends_none_of_its_email(app, monkeypatch):
    """The demo's notifications are made-up history: nothing is delivered after its commits,
    which would also make a delivery thread contend with the demo's own writes."""
    monkeypatch.setitem(app.config, "DELIVER_AFTER_COMMIT", True)
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--cases", "3"])
    assert result.exit_code == 0, result.output
    assert app.config["DELIVER_AFTER_COMMIT"] is False
