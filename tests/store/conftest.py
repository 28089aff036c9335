"""The store under test: every contract test runs against both backends."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from handoff.store import MemoryStore, SessionStore

from ..redis_support import RedisServer

StoreFactory = Callable[..., Awaitable[SessionStore]]


@pytest.fixture(params=["memory", "redis"])
async def make_store(
    request: pytest.FixtureRequest, redis_prefix: str
) -> AsyncIterator[StoreFactory]:
    """``await make_store(tombstone_ttl=0.3)``: a fresh store of the parametrized backend."""
    stores: list[SessionStore] = []
    server: RedisServer | None = (
        request.getfixturevalue("redis_server") if request.param == "redis" else None
    )

    async def factory(tombstone_ttl: float = 60.0, **options: Any) -> SessionStore:
        store: SessionStore
        if server is None:
            store = MemoryStore(tombstone_ttl=tombstone_ttl, **options)
        else:
            from handoff.store.redis import RedisStore

            store = await RedisStore.open(
                server.url, prefix=redis_prefix, tombstone_ttl=tombstone_ttl, wait=5, **options
            )
        stores.append(store)
        return store

    yield factory
    for store in stores:
        await store.close()


@pytest.fixture
async def store(make_store: StoreFactory) -> SessionStore:
    return await make_store()
