"""The session JSON cache: built once per version, never stale, bounded, dropped at expiry."""

import asyncio

from handoff.web import presenter
from handoff.keys import presenter_key, store_key

from ..conftest import A


async def create(client) -> dict:
    response = await client.post(
        "/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"}, headers=A
    )
    assert response.status == 201
    return await response.json()


async def test_repeated_gets_serve_the_same_cached_bytes(client):
    session = await create(client)
    version, body, _ = client.app[presenter_key]._cache[session["id"]]
    assert version == 1
    response = await client.get(f"/api/v1/sessions/{session['id']}", headers=A)
    assert await response.read() == body


async def test_a_change_is_served_at_once_not_the_cached_version(client):
    session = await create(client)
    await client.get(f"/api/v1/sessions/{session['id']}", headers=A)
    await client.get(session["url"].removeprefix("http://phone.test:8080"))
    response = await client.get(f"/api/v1/sessions/{session['id']}", headers=A)
    assert (await response.json())["status"] == "opened"


async def test_the_cache_keeps_only_the_most_recent_versions(client, monkeypatch):
    monkeypatch.setattr(presenter, "CACHED_VERSIONS", 3)
    sessions = [await create(client) for _ in range(5)]
    cache = client.app[presenter_key]._cache
    assert list(cache) == [s["id"] for s in sessions[-3:]]
    response = await client.get(f"/api/v1/sessions/{sessions[0]['id']}", headers=A)
    assert (await response.json())["id"] == sessions[0]["id"]
    assert len(cache) == 3


async def test_an_expired_session_leaves_nothing_in_the_cache(make_client):
    client = await make_client(session_ttl=0.2)
    response = await client.post(
        "/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"}, headers=A
    )
    session_id = (await response.json())["id"]
    cache = client.app[presenter_key]._cache
    assert session_id in cache
    async with client.app[store_key].subscribe(session_id) as events:
        assert (await asyncio.wait_for(events.get(), 5)).status == "expired"
    response = await client.get(f"/api/v1/sessions/{session_id}", headers=A)
    assert await response.json() == {"id": session_id, "status": "expired"}
    assert session_id not in cache


async def test_a_session_that_expires_unread_leaves_the_cache_by_itself(make_client, monkeypatch):
    monkeypatch.setattr(presenter, "SWEEP_EVERY", 0.05)
    client = await make_client(session_ttl=0.2)
    kept = await create(client)  # the default TTL here is 0.2 s too: give one a longer life
    response = await client.post(
        "/api/v1/sessions",
        json={"action_type": "photo", "output_format": "jpg", "session_ttl": 60},
        headers=A,
    )
    assert response.status == 201
    lasting = (await response.json())["id"]
    cache = client.app[presenter_key]._cache
    assert kept["id"] in cache and lasting in cache
    async with client.app[store_key].subscribe(kept["id"]) as events:
        assert (await asyncio.wait_for(events.get(), 5)).status == "expired"
    async with asyncio.timeout(5):  # the next sweep, with no read of the session
        while kept["id"] in cache:
            await asyncio.sleep(0.02)
    assert list(cache) == [lasting]
