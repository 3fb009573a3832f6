"""The monthly table: work allocated and returned by month of allocation."""
