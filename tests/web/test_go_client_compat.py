"""The Go client (pkg/handoff) keeps working: its exact calls, and strict checks of what it decodes."""

import asyncio
import json
import re
from typing import Any

from aiohttp import FormData

from ..conftest import KEY_A
from ..helpers import token_of, until_expired
from ..media import jpeg

# What the Go client sends on every request, GETs included.
GO_HEADERS = {"X-API-Key": KEY_A, "Content-Type": "application/json", "User-Agent": "Go-http-client/1.1"}
# time.Time's UnmarshalJSON accepts RFC 3339 with optional fractional seconds.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")


def go_time(value: Any) -> None:
    assert isinstance(value, str) and RFC3339.fullmatch(value), value


def go_int64(value: Any) -> None:
    assert type(value) is int, value  # a float such as 1.8e12 would fail to decode


def go_string(value: Any) -> None:
    assert isinstance(value, str), value


def go_result_items(items: Any) -> None:
    assert isinstance(items, list)
    for item in items:
        for name in ("download_id", "content_type", "filename"):
            go_string(item[name])


def go_session_response(body: dict[str, Any]) -> None:
    """The fields of sessionResponse, with the types Go decodes them into."""
    for name in ("id", "action_type", "status", "output_format", "url"):
        go_string(body[name])
    for name in ("intro_text", "document_mode", "scan_output_format"):
        if name in body:
            go_string(body[name])
    go_int64(body["session_ttl"])
    go_int64(body["result_ttl"])
    go_time(body["created_at"])
    if "completed_at" in body:
        go_time(body["completed_at"])
    if "result" in body:
        go_result_items(body["result"])


async def test_the_go_clients_calls_round_trip(client):
    # Invoke(): POST with only the fields the builder sets (omitempty drops the others).
    body = json.dumps(
        {"action_type": "photo", "intro_text": "Front of the card", "output_format": "jpg",
         "session_ttl": "30m", "result_ttl": "5m"}, separators=(",", ":"),
    )
    created = await client.post("/api/v1/sessions", data=body, headers=GO_HEADERS)
    assert created.status == 201
    session = await created.json()
    go_session_response(session)
    assert session["session_ttl"] == 30 * 60 * 10**9

    # runWebSocket(): no headers, the key in the query string.
    ws = await client.ws_connect(f"/api/v1/sessions/{session['id']}/ws?api_key={KEY_A}")

    # GetSession(): a GET that still carries Content-Type: application/json and no body.
    got = await client.get(f"/api/v1/sessions/{session['id']}", headers=GO_HEADERS)
    assert got.status == 200
    go_session_response(await got.json())

    # pollResult(): 202 until completed.
    poll = await client.get(f"/api/v1/sessions/{session['id']}/result", headers=GO_HEADERS)
    assert poll.status == 202

    form = FormData()
    form.add_field("file", jpeg(), filename="photo.jpg", content_type="image/jpeg")
    assert (await client.post(f"/s/{token_of(session)}/result", data=form)).status == 200

    # readWebSocketMessages(): every message decodes into wsMessage; it returns on "completed".
    while True:
        message = await asyncio.wait_for(ws.receive_json(), 5)
        assert message["type"] in ("status_update", "completed")
        go_string(message["session_id"])
        go_string(message["status"])
        go_time(message["timestamp"])
        if message["type"] == "completed":
            go_result_items(message["data"])
            items = message["data"]
            break
    await ws.close()

    poll = await client.get(f"/api/v1/sessions/{session['id']}/result", headers=GO_HEADERS)
    assert poll.status == 200
    result = await poll.json()
    assert result["status"] == "completed"
    go_time(result["completed_at"])
    go_result_items(result["items"])
    assert [i["download_id"] for i in result["items"]] == [i["download_id"] for i in items]

    # DownloadFile(): bytes and the Content-Type header.
    download = await client.get(f"/api/v1/downloads/{items[0]['download_id']}", headers=GO_HEADERS)
    assert download.status == 200
    assert download.headers["Content-Type"] == items[0]["content_type"] == "image/jpeg"
    assert (await download.read()).startswith(b"\xff\xd8")


async def test_errors_map_to_the_go_clients_sentinels(make_client):
    client = await make_client(session_ttl=0.1)
    # 401 → ErrUnauthorized, with {"error": "..."} as the message.
    unauthorized = await client.get("/api/v1/downloads/x", headers={**GO_HEADERS, "X-API-Key": "bad"})
    assert unauthorized.status == 401
    go_string((await unauthorized.json())["error"])
    # 404 → ErrNotFound.
    missing = await client.get("/api/v1/downloads/00000000-0000-4000-8000-000000000000", headers=GO_HEADERS)
    assert missing.status == 404
    go_string((await missing.json())["error"])
    # 410 → ErrSessionExpired.
    created = await (await client.post(
        "/api/v1/sessions", data='{"action_type":"signature","output_format":"svg"}', headers=GO_HEADERS
    )).json()
    await until_expired(client, created["id"])
    expired = await client.get(f"/api/v1/sessions/{created['id']}/result", headers=GO_HEADERS)
    assert expired.status == 410
    go_string((await expired.json())["error"])
    # A tombstone still decodes as a sessionResponse for GetSession (missing fields are zero).
    tombstone = await (await client.get(f"/api/v1/sessions/{created['id']}", headers=GO_HEADERS)).json()
    assert tombstone == {"id": created["id"], "status": "expired"}


async def test_conflict_maps_to_409_with_an_error_message(client):
    created = await (await client.post(
        "/api/v1/sessions", data='{"action_type":"photo","output_format":"png"}', headers=GO_HEADERS
    )).json()
    for expected in (200, 409):
        form = FormData()
        form.add_field("file", jpeg(), filename="p.jpg", content_type="image/jpeg")
        response = await client.post(f"/s/{token_of(created)}/result", data=form)
        assert response.status == expected
    go_string((await response.json())["error"])
