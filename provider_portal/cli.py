"""Every `flask` command group, attached in one place; each area's cli.py holds its commands."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    from flask_migrate.cli import db as migrations_cli

    from provider_portal.accounts.cli import users_cli
    from provider_portal.admin.cli import providers_cli
    from provider_portal.auth.cli import totp_cli
    from provider_portal.backup import backup_cli
    from provider_portal.contracts.cli import contracts_cli
    from provider_portal.database_roles import grant_app_role_command
    from provider_portal.demo import demo_cli
    from provider_portal.imports.cli import allocations_cli, cases_cli
    from provider_portal.jobs.cli import jobs_cli
    from provider_portal.notifications.cli import notifications_cli
    from provider_portal.reports.cli import report_cli
    from provider_portal.reports.sen2.cli import report_sen2
    from provider_portal.retention import retention_cli
    from provider_portal.store_check import documents_cli

    # `flask db grant-app-role ROLE`, beside `flask db upgrade`, which runs it too.
    migrations_cli.add_command(grant_app_role_command)
    report_cli.add_command(report_sen2)
    for group in (
        report_cli,
        users_cli,
        providers_cli,
        cases_cli,
        allocations_cli,
        contracts_cli,
        demo_cli,
        retention_cli,
        totp_cli,
        documents_cli,
        backup_cli,
        notifications_cli,
        jobs_cli,
    ):
        app.cli.add_command(group)
