"""How the in-memory store holds its sessions: one expiry timer for all, lists per owner."""

import asyncio

from handoff.store import MemoryStore, Session, Tombstone

from .test_contract import spec


async def test_sessions_share_one_expiry_timer_for_the_earliest_bucket():
    store = MemoryStore(tombstone_ttl=60)
    soon = await store.create(spec(ttl=30))
    await store.create(spec(ttl=3600))
    timer = store._tick_timer
    assert timer is not None and len(store._ticks) == 2
    assert timer.when() >= asyncio.get_running_loop().time() + 30 - 0.2
    await store.create(spec(ttl=60))
    assert store._tick_timer is timer  # a later deadline leaves the timer where it was
    sooner = await store.create(spec(ttl=10))
    assert store._tick_timer is not timer and timer.cancelled()
    assert soon.id in store._wheel[store._ticks[1]] and sooner.id in store._wheel[store._ticks[0]]
    await store.close()


async def test_a_bucket_falling_due_expires_its_sessions_and_moves_the_timer_on():
    store = MemoryStore(tombstone_ttl=60)
    first = await store.create(spec(ttl=0.05))
    later = await store.create(spec(ttl=60))
    await asyncio.sleep(0.3)
    assert isinstance(store._records[first.id], Tombstone)
    assert isinstance(store._records[later.id], Session)
    assert await store.count_live() == 1 and len(store._ticks) == 1
    assert store._tick_timer is not None and not store._tick_timer.cancelled()
    await store.close()


async def test_a_session_expired_early_by_a_read_is_left_alone_by_its_bucket():
    store = MemoryStore(tombstone_ttl=60)
    session = await store.create(spec(ttl=0.05))
    events = []
    store.add_listener(events.append)
    await asyncio.sleep(0.06)
    assert isinstance(await store.get(session.id), Tombstone)  # before the bucket fired
    await asyncio.sleep(0.3)
    assert [event.record.status for event in events] == ["expired"]
    assert await store.count_live() == 0
    await store.close()


async def test_closing_the_store_cancels_the_expiry_timer():
    store = MemoryStore(tombstone_ttl=60)
    await store.create(spec())
    timer = store._tick_timer
    await store.close()
    assert timer is not None and timer.cancelled()
    assert store._tick_timer is None and not store._wheel and not store._ticks


async def test_an_owners_expired_ids_are_swept_once_they_are_half_the_list():
    store = MemoryStore(tombstone_ttl=60)
    ttls = [0.05] * 3 + [0.4] + [60] * 4
    sessions = [await store.create(spec(ttl=ttl)) for ttl in ttls]
    await asyncio.sleep(0.2)
    assert len(store._by_owner["tenant-a"]) == 8 and store._stale["tenant-a"] == 3
    await asyncio.sleep(0.4)  # the fourth expiry: half the list
    assert store._by_owner["tenant-a"] == [s.id for s in sessions[4:]]
    assert "tenant-a" not in store._stale
    page = await store.list_live("tenant-a")
    assert [s.id for s in page.sessions] == [s.id for s in reversed(sessions[4:])]
    await store.close()
