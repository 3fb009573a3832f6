"""The one way a service reads the running application's configuration.

Services take plain values; the few settings they need (how long a link lasts, when an account
locks) come through here rather than from `current_app.config` scattered across modules, so
there is one place to see what a service depends on and one place to change how it is read.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app


def setting(name: str) -> Any:
    """The configured value called name (config.py); a missing name is a KeyError."""
    return current_app.config[name]


def running_app() -> Flask:
    """The running application itself, for work handed to a thread that needs its context."""
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]


def change_setting(name: str, value: Any) -> None:
    """Change a setting for the rest of this process (a command that knows better than the
    environment: the demo, which has no email to deliver)."""
    current_app.config[name] = value
