"""Committed and actual spend by financial year, contract, provider and work type."""
