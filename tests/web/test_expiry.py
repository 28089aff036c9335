"""Timed expiry: sessions become tombstones, then are forgotten; files keep their own clock."""

import asyncio

from handoff.keys import store_key
from handoff.store import Session, Tombstone

from ..conftest import A, B
from ..helpers import complete, create, token_of, until_expired


async def _wait_until(predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition never became true"
        await asyncio.sleep(0.02)


async def _status(client, session_id, headers=A):
    response = await client.get(f"/api/v1/sessions/{session_id}", headers=headers)
    return response.status, await response.json()


async def test_expired_session_answers_expired_then_is_forgotten(make_client):
    client = await make_client(session_ttl=0.15, tombstone_ttl=0.3)
    created = await create(client)
    sid = created["id"]

    async def expired():
        return (await _status(client, sid))[1].get("status") == "expired"

    await _wait_until(expired)
    assert await _status(client, sid) == (200, {"id": sid, "status": "expired"})

    async def forgotten():
        return (await _status(client, sid))[0] == 404

    await _wait_until(forgotten)


async def test_per_session_ttl_overrides_the_default(make_client):
    client = await make_client(session_ttl=60)
    created = await create(client, session_ttl="1s")
    assert created["session_ttl"] == 10**9
    record = await client.server.app[store_key].get(created["id"])
    assert record.expires_at - record.created_at == 1


async def test_tombstone_keeps_its_owner_and_phone_token(make_client):
    client = await make_client(session_ttl=0.1)
    created = await create(client)
    await until_expired(client, created['id'])
    assert (await _status(client, created["id"], B))[0] == 404
    status = await client.get(f"/s/{token_of(created)}/status")
    assert await status.json() == {"status": "expired"}
    page = await client.get(f"/s/{token_of(created)}", headers={"Accept": "text/html"})
    assert page.status == 410
    secret = {"Authorization": f"Bearer {created['client_secret']}"}
    assert await _status(client, created["id"], secret) == (
        200, {"id": created["id"], "status": "expired"}
    )


async def test_expired_result_poll_and_cancel_are_410(make_client):
    client = await make_client(session_ttl=0.1)
    created = await create(client)
    await until_expired(client, created['id'])
    poll = await client.get(f"/api/v1/sessions/{created['id']}/result", headers=A)
    assert poll.status == 410
    assert (await poll.json())["status"] == "expired"
    cancel = await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    assert cancel.status == 410


async def test_expired_sessions_leave_the_list(make_client):
    client = await make_client(session_ttl=0.1)
    gone = await create(client)
    kept = await create(client, session_ttl="1m")
    await until_expired(client, gone["id"])
    listing = await (await client.get("/api/v1/sessions", headers=A)).json()
    assert [s["id"] for s in listing["sessions"]] == [kept["id"]]


async def test_tombstone_releases_the_session_body(make_client):
    client = await make_client(session_ttl=0.1)
    created = await create(client, intro_text="Please photograph the meter", metadata={"k": "v"})
    await until_expired(client, created['id'])
    record = await client.server.app[store_key].get(created["id"])
    assert isinstance(record, Tombstone)
    assert not hasattr(record, "intro_text") and not hasattr(record, "metadata")


async def test_files_outlive_their_session(make_client):
    client = await make_client(session_ttl=0.3, result_ttl=30)
    created = await create(client)
    download_id = (await complete(client, created))["items"][0]["download_id"]
    await until_expired(client, created["id"])
    assert (await _status(client, created["id"]))[1]["status"] == "expired"
    response = await client.get(f"/api/v1/downloads/{download_id}", headers=A)
    assert response.status == 200


async def test_files_expire_on_their_own_clock_without_a_new_version(make_client):
    client = await make_client(result_ttl=0.2)
    created = await create(client)
    poll = await complete(client, created)
    download_id = poll["items"][0]["download_id"]
    before = await (await client.get(f"/api/v1/sessions/{created['id']}", headers=A)).json()
    assert (await client.get(f"/api/v1/downloads/{download_id}", headers=A)).status == 200

    async def file_gone():
        response = await client.get(f"/api/v1/downloads/{download_id}", headers=A)
        return response.status == 404

    await _wait_until(file_gone)
    after = await (await client.get(f"/api/v1/sessions/{created['id']}", headers=A)).json()
    assert after == before  # the result list describes what was produced; no new version


async def test_deleting_a_download_frees_it_at_once(client):
    created = await create(client)
    download_id = (await complete(client, created))["items"][0]["download_id"]
    deleted = await client.delete(f"/api/v1/downloads/{download_id}", headers=A)
    assert deleted.status == 204
    assert (await client.get(f"/api/v1/downloads/{download_id}", headers=A)).status == 404
    again = await client.delete(f"/api/v1/downloads/{download_id}", headers=A)
    assert again.status == 404


async def test_a_file_timer_is_cancelled_when_the_file_goes_and_the_session_keeps_its_expiry(
    client,
):
    store = client.server.app[store_key]
    created = await create(client)
    timer = store._tick_timer
    assert timer is not None and not timer.cancelled()
    download_id = (await complete(client, created))["items"][0]["download_id"]
    file_handle = store._file_timers[download_id]
    await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    assert file_handle.cancelled()
    assert download_id not in store._file_timers
    # Cancelling leaves the session's expiry waiting: it still expires at its deadline.
    assert store._tick_timer is timer and not timer.cancelled()
    assert any(created["id"] in ids for ids in store._wheel.values())


async def test_closing_the_store_cancels_every_timer(make_client):
    client = await make_client()
    created = await create(client)
    await complete(client, created)
    store = client.server.app[store_key]
    handles = [store._tick_timer, *store._file_timers.values()]
    await store.close()
    assert len(handles) == 2 and all(handle.cancelled() for handle in handles)
    assert await store.get(created["id"]) is None


async def test_live_record_is_a_session(client):
    created = await create(client)
    assert isinstance(await client.server.app[store_key].get(created["id"]), Session)
