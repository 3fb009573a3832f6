"""Services read configuration through one accessor."""

from __future__ import annotations

import pytest

from provider_portal.settings import setting


def test_setting_reads_the_running_apps_configuration(app, monkeypatch):
    assert setting("ACCOUNT_LINK_HOURS") == app.config["ACCOUNT_LINK_HOURS"]
    monkeypatch.setitem(app.config, "ACCOUNT_LINK_HOURS", 5)
    assert setting("ACCOUNT_LINK_HOURS") == 5
    with pytest.raises(KeyError):
        setting("NO_SUCH_SETTING")
