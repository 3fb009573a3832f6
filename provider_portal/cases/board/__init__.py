"""The backlog board: open cases in priority order, and allocating them in bulk."""
