"""Fixtures: the real app under pytest-aiohttp, with short TTLs where a test asks."""

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from handoff.app import create_app
from handoff.settings import Settings

KEY_A = "key-a-0123456789"
KEY_B = "key-b-0123456789"
A = {"X-API-Key": KEY_A}
B = {"X-API-Key": KEY_B}
BASE_URL = "http://phone.test:8080"

ClientFactory = Callable[..., Any]


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"api_keys": (KEY_A, KEY_B), "base_url": BASE_URL}
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def make_client(aiohttp_client: Any) -> ClientFactory:
    """``await make_client(session_ttl=0.2)``: a client of a real app with those settings."""

    async def factory(**overrides: Any) -> TestClient:
        return await aiohttp_client(create_app(make_settings(**overrides)))

    return factory


@pytest.fixture
async def client(make_client: ClientFactory) -> TestClient:
    return await make_client()
