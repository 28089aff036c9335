"""How the in-memory store holds its sessions: one expiry timer for all, lists per owner."""

import asyncio
import gc
import weakref

from handoff import shortcode
from handoff.store import MemoryStore, Session, Tombstone, memory
from handoff.store.pending import Pending

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
    assert isinstance(await store.get(later.id), Session)
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


async def test_a_long_owner_list_is_swept_a_slice_per_loop_iteration(monkeypatch):
    monkeypatch.setattr(memory, "SWEEP_SLICE", 2)
    store = MemoryStore(tombstone_ttl=60)
    sessions = [await store.create(spec(ttl=60)) for _ in range(10)]
    for session in sessions[:6]:  # as one expiry batch would: the sixth starts the sweep
        store._expire(session.id)
    assert "tenant-a" in store._sweeping
    assert len(store._by_owner["tenant-a"]) == 10  # nothing swept within the batch
    newer = await store.create(spec())  # made while the sweep is under way: kept
    iterations = 0
    while "tenant-a" in store._sweeping and iterations < 100:
        await asyncio.sleep(0)
        iterations += 1
    assert store._by_owner["tenant-a"] == [s.id for s in sessions[6:]] + [newer.id]
    assert iterations >= 4  # 11 ids, 2 at a time
    await store.close()


async def test_forgetting_a_wave_frees_reference_cycles_the_collector_left(monkeypatch):
    monkeypatch.setattr(memory, "PACK", 2)
    monkeypatch.setattr(memory, "WAVE", 4)

    class Left:  # stands for a closed connection's transport and protocol
        pass

    gc.disable()  # as a server after a wave: no allocations, so no full collection
    try:
        cycle = Left()
        cycle.me = cycle  # type: ignore[attr-defined]
        left = weakref.ref(cycle)
        del cycle
        store = MemoryStore(tombstone_ttl=0.6)
        await expired(store, 4)
        assert left() is not None
        deadline = asyncio.get_running_loop().time() + 3
        while store._graves and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        assert len(store._packs) == 0
        assert left() is None
    finally:
        gc.enable()
    await store.close()


async def expired(store: MemoryStore, count: int) -> list[Session]:
    made = [await store.create(spec(ttl=0.05)) for _ in range(count)]
    await asyncio.sleep(0.3)
    return made


async def test_packed_tombstones_answer_every_lookup_as_before(monkeypatch):
    monkeypatch.setattr(memory, "PACK", 3)
    store = MemoryStore(tombstone_ttl=60)
    made = await expired(store, 7)
    assert len(store._packs) == 2 and len(store._unpacked) == 1
    assert len(store._records) == 1 and len(store._by_key) == 3
    for session in made:
        tombstone = await store.get(session.id)
        assert isinstance(tombstone, Tombstone)
        assert (tombstone.owner, tombstone.version, tombstone.action_type, tombstone.was) == (
            "tenant-a", 2, "photo", "pending")
        assert await store.get_by_token(session.phone_token) == tombstone
        assert await store.get_by_short_code(session.short_code) == tombstone
        assert await store.session_for_secret(session.client_secret) == session.id
    assert await store.get(made[0].phone_token) is None  # each field answers for itself only
    await store.close()


async def test_a_pack_keeps_each_tombstones_owner_action_and_status(monkeypatch):
    monkeypatch.setattr(memory, "PACK", 4)
    store = MemoryStore(tombstone_ttl=60)
    photo = await store.create(spec("tenant-a", ttl=0.05))
    signature = await store.create(spec("tenant-b", ttl=0.05, action_type="signature",
                                        output_format="png"))
    opened = await store.create(spec("tenant-a", ttl=0.05))
    await store.mark_opened(opened.id)
    other = await store.create(spec("tenant-c", ttl=0.05))
    await asyncio.sleep(0.3)
    assert len(store._packs) == 1 and not store._records
    found = {s.id: await store.get_by_token(s.phone_token)
             for s in (photo, signature, opened, other)}
    assert [(t.owner, t.action_type, t.was, t.version) for t in found.values()] == [
        ("tenant-a", "photo", "pending", 2), ("tenant-b", "signature", "pending", 2),
        ("tenant-a", "photo", "opened", 3), ("tenant-c", "photo", "pending", 2)]
    assert all(t.id == i for i, t in found.items())
    await store.close()


async def test_packed_tombstones_are_forgotten_with_the_others(monkeypatch):
    monkeypatch.setattr(memory, "PACK", 3)
    store = MemoryStore(tombstone_ttl=0.3)
    made = await expired(store, 7)
    deadline = asyncio.get_running_loop().time() + 3
    while store._graves and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    for session in made:
        assert await store.get(session.id) is None
        assert await store.get_by_token(session.phone_token) is None
        assert await store.session_for_secret(session.client_secret) is None
    assert len(store._packs) == 0 and not store._unpacked and not store._records
    await store.close()


async def test_a_live_session_answers_before_a_packed_tombstone_of_the_same_code(monkeypatch):
    monkeypatch.setattr(memory, "PACK", 1)
    store = MemoryStore(tombstone_ttl=60)
    (gone,) = await expired(store, 1)
    assert len(store._packs) == 1 and gone.short_code not in store._by_key
    monkeypatch.setattr(shortcode, "new_code", lambda: gone.short_code)
    fresh = await store.create(spec())
    assert await store.get_by_short_code(gone.short_code) == fresh
    await store.close()


async def test_an_untouched_session_is_held_as_a_pending_and_read_as_it_was_made():
    store = MemoryStore(tombstone_ttl=60)
    made = await store.create(spec(metadata={"case": "42"}, match_number="17", locale="de"))
    other = await store.create(spec())
    assert isinstance(store._records[made.id], Pending)
    assert store._records[made.id].options is not store._records[other.id].options
    again = await store.create(spec(metadata={"case": "43"}, match_number="18", locale="de"))
    assert store._records[again.id].options is store._records[made.id].options
    assert await store.get(made.id) == made and await store.get_by_token(made.phone_token) == made
    opened = await store.mark_opened(made.id)
    assert isinstance(store._records[made.id], Session) and await store.get(made.id) == opened
    await store.close()


async def test_a_read_pending_is_rebuilt_once_and_forgotten_when_the_session_moves_on():
    store = MemoryStore(tombstone_ttl=60)
    made = await store.create(spec())
    first = await store.get(made.id)
    assert await store.get(made.id) is first  # polled: not rebuilt again
    opened = await store.mark_opened(made.id)
    assert made.id not in store._rebuilt and await store.get(made.id) == opened
    await store.close()


async def test_rebuilt_sessions_are_bounded_and_the_oldest_go_first():
    store = MemoryStore(tombstone_ttl=60)
    made = [await store.create(spec()) for _ in range(memory.REBUILT + 10)]
    for session in made:
        assert await store.get(session.id) == session
    assert len(store._rebuilt) == memory.REBUILT
    assert made[0].id not in store._rebuilt and made[-1].id in store._rebuilt
    assert await store.get(made[0].id) == made[0]  # rebuilt anew, equal to the one made
    await store.close()
    assert not store._rebuilt  # no credential outlives the store


async def test_an_expired_session_leaves_no_rebuilt_copy_behind():
    store = MemoryStore(tombstone_ttl=60)
    made = await store.create(spec(ttl=0.05))
    await store.get(made.id)
    await asyncio.sleep(0.06)
    assert isinstance(await store.get(made.id), Tombstone)
    assert made.id not in store._rebuilt
    await store.close()
