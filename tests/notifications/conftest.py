"""Fixtures for the notification tests: the fake GOV.UK Notify API."""

from tests.notifications.fake_notify import notify_api  # noqa: F401
