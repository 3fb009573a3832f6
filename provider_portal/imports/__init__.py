"""Importing cases and allocation logs from CSV or XLSX, all or nothing."""
