"""Tombstones: answer ``expired`` for TOMBSTONE_TTL, then are forgotten (404), oldest first."""

import asyncio

from handoff.keys import store_key
from handoff.store import memory

from ..conftest import A


async def create(client, ttl: float | None = None) -> str:
    """A session with the server's (short) default TTL, or ``ttl`` seconds (at least 1)."""
    body = {"action_type": "photo", "output_format": "jpg"}
    if ttl is not None:
        body["session_ttl"] = ttl
    response = await client.post("/api/v1/sessions", json=body, headers=A)
    assert response.status == 201
    return (await response.json())["id"]


async def status_of(client, session_id: str) -> int | str:
    response = await client.get(f"/api/v1/sessions/{session_id}", headers=A)
    return response.status if response.status != 200 else (await response.json())["status"]


async def test_many_tombstones_are_forgotten_in_batches(make_client, monkeypatch):
    monkeypatch.setattr(memory, "BATCH", 2)
    client = await make_client(session_ttl=0.1, tombstone_ttl=0.2)
    ids = [await create(client) for _ in range(5)]
    await asyncio.sleep(0.15)
    assert [await status_of(client, sid) for sid in ids] == ["expired"] * 5
    await asyncio.sleep(0.35)
    assert [await status_of(client, sid) for sid in ids] == [404] * 5
    store = client.app[store_key]
    assert not store._graves and store._grave_timer is None


async def test_tombstones_hold_no_timer_of_their_own(make_client):
    client = await make_client(session_ttl=0.1, tombstone_ttl=60)
    session_id = await create(client)
    await asyncio.sleep(0.2)
    store = client.app[store_key]
    assert all(session_id not in ids for ids in store._wheel.values())
    assert [after for _, after in store._graves] == [1] and list(store._unpacked) == [session_id]
    await store.close()
    assert store._grave_timer is None and not store._graves


async def test_sessions_falling_due_together_all_expire_in_batches(make_client, monkeypatch):
    monkeypatch.setattr(memory, "BATCH", 2)
    client = await make_client(session_ttl=0.2, tombstone_ttl=60)
    ids = [await create(client) for _ in range(5)]
    ws = await client.ws_connect(f"/api/v1/sessions/{ids[-1]}/ws", headers=A)
    assert (await ws.receive_json())["status"] == "pending"
    await asyncio.sleep(0.3)
    assert [await status_of(client, sid) for sid in ids] == ["expired"] * 5
    assert (await ws.receive_json(timeout=1))["status"] == "expired"
    store = client.app[store_key]
    assert not store._due and store._due_handle is None
    await ws.close()


async def test_indexes_are_rebuilt_small_once_a_wave_is_forgotten(make_client):
    client = await make_client(session_ttl=0.2, tombstone_ttl=0.1)
    store = client.app[store_key]
    ids = [await create(client) for _ in range(40)]
    keep = await create(client, 60)
    records = store._records
    assert store._peak == 41
    await asyncio.sleep(0.5)
    assert [await status_of(client, sid) for sid in ids[:3]] == [404] * 3
    assert store._records is not records and list(store._records) == [keep]
    assert store._peak < 10  # rebuilt during the wave, not left at 41
    assert await status_of(client, keep) == "pending"
