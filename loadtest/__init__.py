"""The load test: `make loadtest` (loadtest/run.py), not part of `make test`."""
