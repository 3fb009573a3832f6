"""`flask cases import` and `flask allocations import`."""

from flask.cli import AppGroup

cases_cli = AppGroup("cases", help="Cases.")
allocations_cli = AppGroup("allocations", help="Allocations.")
