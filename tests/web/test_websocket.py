"""The desktop's websocket: checks before the upgrade, current state first, every change in order."""

import asyncio
import uuid

from aiohttp import WSMsgType, WSServerHandshakeError

import pytest

from ..conftest import A, B, KEY_A
from ..helpers import create, send_photo, token_of, until_expired


async def _connect(client, session, headers=A):
    return await client.ws_connect(f"/api/v1/sessions/{session['id']}/ws", headers=headers)


async def test_first_message_is_the_current_state(client):
    created = await create(client)
    await client.get(f"/s/{token_of(created)}")
    await client.post(f"/s/{token_of(created)}/started")
    ws = await _connect(client, created)
    message = await ws.receive_json()
    assert message["type"] == "status_update"
    assert message["status"] == "action_started"
    assert message["session_id"] == created["id"]
    assert message["version"] == 3
    assert message["session"]["status"] == "action_started"
    assert message["timestamp"].endswith("Z")
    await ws.close()


async def test_every_change_arrives_in_order_then_completed(client):
    created = await create(client)
    ws = await _connect(client, created)
    await client.get(f"/s/{token_of(created)}")
    await client.post(f"/s/{token_of(created)}/started")
    response = await send_photo(client, created)
    assert response.status == 200
    messages = [await ws.receive_json() for _ in range(4)]
    assert [m["status"] for m in messages] == ["pending", "opened", "action_started", "completed"]
    assert [m["version"] for m in messages] == [1, 2, 3, 4]
    done = messages[-1]
    assert done["type"] == "completed"
    assert done["data"] == done["session"]["result"]
    assert done["data"][0]["content_type"] == "image/jpeg"
    await ws.close()


async def test_socket_stays_open_after_completed_and_closes_after_cancel(client):
    created = await create(client)
    await send_photo(client, created)
    ws = await _connect(client, created)
    assert (await ws.receive_json())["type"] == "completed"
    await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    cancelled = await ws.receive_json()
    assert cancelled["status"] == "cancelled"
    closing = await ws.receive()
    assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert ws.close_code == 1000


async def test_expiry_is_pushed_then_the_socket_closes(make_client):
    client = await make_client(session_ttl=0.2)
    created = await create(client)
    ws = await _connect(client, created)
    assert (await ws.receive_json())["status"] == "pending"
    expired = await asyncio.wait_for(ws.receive_json(), 5)
    assert expired["status"] == "expired"
    assert expired["version"] == 2
    assert expired["session"] == {"id": created["id"], "status": "expired"}
    await ws.receive()
    assert ws.close_code == 1000


async def test_api_key_in_query_string_is_accepted(client):
    created = await create(client)
    ws = await client.ws_connect(f"/api/v1/sessions/{created['id']}/ws?api_key={KEY_A}")
    assert (await ws.receive_json())["status"] == "pending"
    await ws.close()


@pytest.mark.parametrize(
    ("headers", "status"), [({}, 401), ({"X-API-Key": "wrong"}, 401), (B, 404)]
)
async def test_bad_credentials_are_refused_before_the_upgrade(client, headers, status):
    created = await create(client)
    with pytest.raises(WSServerHandshakeError) as refused:
        await _connect(client, created, headers)
    assert refused.value.status == status


async def test_unknown_cancelled_and_expired_sessions_are_refused(make_client):
    client = await make_client(session_ttl=0.1)
    with pytest.raises(WSServerHandshakeError) as unknown:
        await _connect(client, {"id": str(uuid.uuid4())})
    assert unknown.value.status == 404
    cancelled = await create(client, session_ttl="10s")
    await client.delete(f"/api/v1/sessions/{cancelled['id']}", headers=A)
    with pytest.raises(WSServerHandshakeError) as refused:
        await _connect(client, cancelled)
    assert refused.value.status == 410
    expired = await create(client)
    await until_expired(client, expired["id"])
    with pytest.raises(WSServerHandshakeError) as gone:
        await _connect(client, expired)
    assert gone.value.status == 410


async def test_no_compression_is_negotiated(client):
    created = await create(client)
    ws = await client.ws_connect(f"/api/v1/sessions/{created['id']}/ws", headers=A, compress=15)
    assert ws.compress == 0
    await ws.close()


async def test_server_shutdown_closes_sockets_with_1001(make_client):
    client = await make_client()
    created = await create(client)
    ws = await _connect(client, created)
    await ws.receive_json()
    await client.server.app.shutdown()
    closing = await asyncio.wait_for(ws.receive(), 5)
    assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert ws.close_code == 1001


async def test_plain_get_on_the_websocket_route_says_what_is_needed(client):
    created = await create(client)
    response = await client.get(f"/api/v1/sessions/{created['id']}/ws", headers=A)
    assert response.status == 400
    assert (await response.json())["code"] == "websocket_required"


async def test_a_socket_not_reading_when_its_session_ends_gets_the_last_message_then_1000(client):
    created = await create(client)
    ws = await _connect(client, created)
    await ws.receive_json()
    response = await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    assert response.status == 200
    await asyncio.sleep(0.3)  # the desktop is busy elsewhere and reads nothing meanwhile
    last = await asyncio.wait_for(ws.receive_json(), 5)
    assert last["status"] == "cancelled"
    closing = await asyncio.wait_for(ws.receive(), 5)
    assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    assert ws.close_code == 1000


async def test_the_upgrade_answer_says_its_request_id_and_carries_no_page_headers(client):
    created = await create(client)
    ws = await client.ws_connect(f"/api/v1/sessions/{created['id']}/ws", headers=A)
    headers = ws._response.headers
    assert len(headers["X-Request-ID"]) == 32
    assert "Content-Security-Policy" not in headers and "Cache-Control" not in headers
    await ws.close()
