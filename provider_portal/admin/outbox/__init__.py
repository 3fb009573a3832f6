"""The email outbox for administrators: what was sent, what waits, what failed."""
