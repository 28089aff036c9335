"""What only a shared store can show: several stores on one Redis, and Redis going away."""

import asyncio
import signal
import time
import types
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis.asyncio as redis

from handoff.domain import Status
from handoff.store import SessionStore, StoreUnavailable, Tombstone
from handoff.store import redis as redis_store
from handoff.store.redis import RedisStore

from ..redis_support import RedisServer
from .test_contract import a_file, next_event, spec

Opener = Callable[..., Awaitable[RedisStore]]


@pytest.fixture
async def open_store(redis_server: RedisServer, redis_prefix: str) -> AsyncIterator[Opener]:
    """``await open_store()``: another store on the same Redis and prefix (another process)."""
    stores: list[RedisStore] = []

    async def opener(server: RedisServer = redis_server, **options: object) -> RedisStore:
        values: dict = {"prefix": redis_prefix, "tombstone_ttl": 60.0, "wait": 5}
        values.update(options)
        store = await RedisStore.open(server.url, **values)
        stores.append(store)
        return store

    yield opener
    for store in stores:
        await store.close()


async def test_a_session_made_through_one_store_is_served_and_heard_through_another(open_store):
    a, b = await open_store(), await open_store()
    session = await a.create(spec())
    assert await b.get(session.id) == session
    async with b.subscribe(session.id) as events:
        await a.mark_opened(session.id)
        event = await next_event(events)
    assert (event.status, event.version) == (Status.OPENED, 2)


async def test_a_store_that_read_a_session_reads_each_change_made_through_another(open_store):
    a, b = await open_store(), await open_store()
    session = await a.create(spec())
    assert (await b.get(session.id)).status == Status.PENDING  # b now holds version 1
    await a.mark_opened(session.id)
    opened = await b.get(session.id)
    assert (opened.status, opened.version) == (Status.OPENED, 2)
    await a.cancel(session.id)
    cancelled = await b.get(session.id)
    assert (cancelled.status, cancelled.version) == (Status.CANCELLED, 3)
    assert await b.get(session.id) == cancelled


async def test_a_session_gone_from_redis_is_gone_for_a_store_that_had_read_it(
    open_store, redis_server, redis_prefix
):
    a = await open_store()
    session = await a.create(spec())
    assert await a.get(session.id) == session
    raw = redis.Redis.from_url(redis_server.url)
    try:
        await raw.delete(f"{redis_prefix}:{{{session.id}}}:s")
    finally:
        await raw.aclose()
    assert await a.get(session.id) is None


async def test_expiry_happens_once_and_every_store_hears_it_once(open_store):
    a, b = await open_store(), await open_store()
    session = await a.create(spec(ttl=0.3))
    async with a.subscribe(session.id) as on_a, b.subscribe(session.id) as on_b:
        for events in (on_a, on_b):
            assert (await next_event(events)).status == Status.EXPIRED
        for events in (on_a, on_b):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(events.get(), 0.3)


async def test_a_session_whose_store_is_gone_is_expired_by_another(open_store):
    a, b = await open_store(), await open_store()
    session = await a.create(spec(ttl=0.3))
    await a.close()  # its timers die with it
    async with b.subscribe(session.id) as events:
        assert (await next_event(events)).status == Status.EXPIRED


async def test_racing_completes_across_stores_happen_once(open_store):
    stores = [await open_store() for _ in range(2)]
    session = await stores[0].create(spec())

    async def upload(store: SessionStore) -> str:
        lease = await store.acquire_upload(session.id)
        try:
            await store.complete(lease, [a_file()])
            return "done"
        finally:
            await store.release_upload(lease)

    results = await asyncio.gather(
        *(upload(stores[i % 2]) for i in range(20)), return_exceptions=True
    )
    assert results.count("done") == 1
    assert (await stores[1].get(session.id)).status == Status.COMPLETED


async def test_a_change_published_while_the_event_connection_reconnects_is_not_lost(
    open_store, redis_server
):
    a, b = await open_store(), await open_store()
    session = await a.create(spec())
    admin = redis.Redis.from_url(redis_server.url)
    try:
        async with b.subscribe(session.id) as events:
            # redis-py reconnects and resubscribes by itself; what was published meanwhile
            # must still reach the subscriber, as after a longer outage.
            await admin.client_kill_filter(_type="pubsub")
            await a.mark_opened(session.id)
            assert (await next_event(events)).status == Status.OPENED
    finally:
        await admin.aclose()


async def test_listing_reads_past_index_entries_whose_sessions_are_gone(
    open_store, redis_server, redis_prefix
):
    store = await open_store()
    live = await store.create(spec())
    newer = [await store.create(spec()) for _ in range(5)]
    admin = redis.Redis.from_url(redis_server.url)
    try:
        # Their hashes lapsed while no process was running to tidy the owner's index.
        await admin.delete(*(f"{redis_prefix}:{{{s.id}}}:s" for s in newer))
    finally:
        await admin.aclose()
    page = await store.list_live("tenant-a", limit=1)
    assert [s.id for s in page.sessions] == [live.id] and page.cursor is None


async def test_a_clock_ahead_of_redis_does_not_make_the_sweeper_spin(
    open_store, tmp_path, monkeypatch
):
    # This machine's clock runs 3 s ahead of the Redis server's, which decides expiry.
    ahead = types.SimpleNamespace(time=lambda: time.time() + 3, monotonic=time.monotonic)
    monkeypatch.setattr(redis_store, "time", ahead)
    server = RedisServer(tmp_path)  # its own, so only this store's commands are counted
    server.start()
    store = await open_store(server)
    session = await store.create(spec(ttl=0.2))
    admin = redis.Redis.from_url(server.url)
    try:
        before = (await admin.info("stats"))["total_commands_processed"]
        await asyncio.sleep(1.0)
        spent = (await admin.info("stats"))["total_commands_processed"] - before
        assert (await store.get(session.id)).status == Status.PENDING
    finally:
        await admin.aclose()
        await store.close()
        server.stop()
    assert spent < 50, f"{spent} commands in a second for one session not yet due"


async def test_every_key_it_writes_expires_on_its_own(open_store, redis_server, redis_prefix):
    store = await open_store()
    session = await store.create(spec(action_type="scan", output_format="pdf"))
    await store.put_scan_page(session.id, 0, 0, b"page", max_pages=5)
    other = await store.create(spec())
    lease = await store.acquire_upload(other.id)
    await store.complete(lease, [a_file()])
    client = redis.Redis.from_url(redis_server.url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{redis_prefix}:*")]
        assert len(keys) >= 8
        for key in keys:
            assert await client.pttl(key) > 0, f"{key!r} would never expire"
    finally:
        await client.aclose()


async def test_redis_down_answers_store_unavailable_and_recovers(open_store, tmp_path):
    server = RedisServer(tmp_path, appendonly=True)
    server.start()
    try:
        store = await open_store(server)
        session = await store.create(spec())
        async with store.subscribe(session.id) as events:
            server.stop()
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await store.get(session.id)
            with pytest.raises(StoreUnavailable):
                await store.ping()
            assert time.monotonic() - started < 10
            server.start()
            await store.ping()
            # A change made while this store was cut off reaches its subscriber afterwards.
            other = await open_store(server)
            await other.mark_opened(session.id)
            # Catching up may first hand over the state at reconnection (still pending).
            seen = [await next_event(events, timeout=10)]
            while seen[-1].status != Status.OPENED:
                seen.append(await next_event(events, timeout=10))
            assert [e.version for e in seen] == sorted({e.version for e in seen})
    finally:
        server.stop()


async def test_a_redis_that_stops_answering_is_store_unavailable_within_seconds(
    open_store, tmp_path
):
    server = RedisServer(tmp_path)
    server.start()
    assert server.process is not None
    try:
        store = await open_store(server)
        session = await store.create(spec())
        # Paused, it still accepts connections (the kernel's backlog) but never replies.
        server.process.send_signal(signal.SIGSTOP)
        for call in (store.get(session.id), store.get_by_token(session.phone_token)):
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await call
            assert time.monotonic() - started < 6
    finally:
        server.process.send_signal(signal.SIGCONT)
        server.stop()


async def test_a_redis_restart_with_append_only_file_keeps_sessions(open_store, tmp_path):
    server = RedisServer(tmp_path, appendonly=True)
    server.start()
    try:
        store = await open_store(server)
        session = await store.create(spec())
        expiring = await store.create(spec(ttl=0.2))
        async with store.subscribe(expiring.id) as events:
            assert (await next_event(events)).status == Status.EXPIRED
        server.restart()
        await store.ping()
        assert (await store.get(session.id)) == session
        assert isinstance(await store.get(expiring.id), Tombstone)
    finally:
        server.stop()


async def test_an_unreachable_redis_at_start_up_gives_up_with_store_unavailable(redis_prefix):
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="REDIS_URL"):
        await RedisStore.open("redis://127.0.0.1:1/0", prefix=redis_prefix, tombstone_ttl=1, wait=0.5)
    assert time.monotonic() - started < 10
