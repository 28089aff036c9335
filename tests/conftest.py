"""Fixtures: the real app under pytest-aiohttp, with short TTLs where a test asks."""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, unused_port

from handoff.app import create_app
from handoff.client import HandoffClient
from handoff.settings import Settings

from .redis_support import RedisServer

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


@dataclass
class LiveServer:
    """A handoff server listening on 127.0.0.1, with its public URL matching its port."""

    server: TestServer
    base_url: str

    @property
    def app(self) -> Any:
        return self.server.app


@pytest.fixture
async def start_server() -> AsyncIterator[Callable[..., Any]]:
    """``await start_server(session_ttl=0.3)``: a real server on a real port.

    ``prepare`` (optional) gets the application before it starts, e.g. to add a
    middleware that plays a misbehaving proxy.
    """
    servers: list[TestServer] = []

    async def start(
        prepare: Callable[[web.Application], None] | None = None, **overrides: Any
    ) -> LiveServer:
        port = unused_port()
        base_url = f"http://127.0.0.1:{port}"
        app = create_app(make_settings(base_url=base_url, port=port, **overrides))
        if prepare is not None:
            prepare(app)
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        servers.append(server)
        return LiveServer(server, base_url)

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def live_server(start_server: Callable[..., Any]) -> LiveServer:
    return await start_server()


@pytest.fixture
async def api(live_server: LiveServer) -> AsyncIterator[HandoffClient]:
    """A Python client of a live server, retrying fast."""
    from .client_support import connect

    async with connect(live_server) as client:
        yield client


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the whole run; tests keep apart by key prefix."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test's own, so tests (and parallel runs) never share keys."""
    return f"test-{uuid.uuid4().hex[:12]}"
