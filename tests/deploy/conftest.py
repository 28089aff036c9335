"""Fixtures of the deployment tests: real server processes on the shared Redis."""

from .test_shared_store import servers  # noqa: F401  (the fixture, for every test here)
