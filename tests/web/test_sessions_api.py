"""Creating, reading, listing and cancelling sessions through the desktop API."""

import re
import uuid

from ..conftest import A, B, BASE_URL
from ..helpers import complete, create, token_of


async def test_health_and_version_need_no_key(client):
    health = await client.get("/api/v1/health")
    assert (health.status, await health.json()) == (200, {"status": "ok"})
    version = await client.get("/api/v1/version")
    assert version.status == 200
    assert set(await version.json()) == {"version", "commit"}


async def test_create_returns_the_session_with_location(client):
    response = await client.post(
        "/api/v1/sessions",
        json={"action_type": "photo", "output_format": "png", "intro_text": "Hello"},
        headers=A,
    )
    assert response.status == 201
    body = await response.json()
    assert response.headers["Location"] == f"/api/v1/sessions/{body['id']}"
    assert uuid.UUID(body["id"]).version == 4
    assert body["status"] == "pending"
    assert body["action_type"] == "photo"
    assert body["output_format"] == "png"
    assert body["intro_text"] == "Hello"
    assert body["session_ttl"] == 30 * 60 * 10**9
    assert body["result_ttl"] == 5 * 60 * 10**9
    assert body["version"] == 1
    assert body["url"].startswith(f"{BASE_URL}/s/")
    assert body["events_url"] == f"ws://phone.test:8080/api/v1/sessions/{body['id']}/ws"
    assert "completed_at" not in body and "result" not in body
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body["created_at"])


async def test_phone_token_is_not_the_id_nor_the_secret(client):
    body = await create(client)
    token = token_of(body)
    assert len(token) >= 22  # at least 128 random bits in URL-safe base64
    assert token != body["id"] and token != body["client_secret"]
    assert body["id"] not in body["url"]


async def test_jpeg_is_stored_and_echoed_as_jpg(client):
    body = await create(client, output_format="jpeg")
    assert body["output_format"] == "jpg"


async def test_new_formats_and_metadata_are_accepted(client):
    webp = await create(client, output_format="webp", metadata={"order": "A-17"})
    assert webp["output_format"] == "webp"
    assert webp["metadata"] == {"order": "A-17"}
    sig = await create(client, action_type="signature", output_format="jpg")
    assert sig["output_format"] == "jpg"


async def test_ttls_accept_go_syntax_and_seconds(client):
    body = await create(client, session_ttl="1h30m", result_ttl=90)
    assert body["session_ttl"] == 5400 * 10**9
    assert body["result_ttl"] == 90 * 10**9


async def _create_error(client, body, headers=A):
    response = await client.post("/api/v1/sessions", json=body, headers=headers)
    return response.status, await response.json()


async def test_unknown_action_is_refused_naming_the_field(client):
    status, body = await _create_error(client, {"action_type": "video", "output_format": "jpg"})
    assert status == 400
    assert body["code"] == "invalid_request"
    assert body["error"].startswith("action_type")
    assert body["details"][0]["field"] == "action_type"


async def test_format_not_allowed_for_action_is_refused(client):
    status, body = await _create_error(client, {"action_type": "photo", "output_format": "svg"})
    assert status == 400
    assert body["error"].startswith("output_format") and "svg" in body["error"]
    assert body["details"][0]["field"] == "output_format"


async def test_output_format_is_required_for_photo(client):
    status, body = await _create_error(client, {"action_type": "photo"})
    assert status == 400
    assert body["error"].startswith("output_format: required")
    assert body["details"][0]["field"] == "output_format"


async def test_ttl_out_of_range_is_refused(make_client):
    client = await make_client(max_session_ttl=3600)
    for ttl in ("500ms", "2h", "-5s", "soon", True):
        status, body = await _create_error(
            client, {"action_type": "photo", "output_format": "jpg", "session_ttl": ttl}
        )
        assert status == 400, ttl
        assert body["error"].startswith("session_ttl"), body


async def test_intro_text_and_metadata_limits(client):
    status, body = await _create_error(
        client, {"action_type": "photo", "output_format": "jpg", "intro_text": "x" * 2001}
    )
    assert status == 400 and body["error"].startswith("intro_text")
    many = {f"k{i}": "v" for i in range(21)}
    status, body = await _create_error(
        client, {"action_type": "photo", "output_format": "jpg", "metadata": many}
    )
    assert status == 400 and body["error"].startswith("metadata")
    status, body = await _create_error(
        client, {"action_type": "photo", "output_format": "jpg", "metadata": {"k": 5}}
    )
    assert status == 400 and body["error"].startswith("metadata")


async def test_malformed_and_non_object_json_are_refused(client):
    for raw in (b"{", b"[1, 2]", b"", b"\xff\xfe"):
        response = await client.post(
            "/api/v1/sessions", data=raw, headers={**A, "Content-Type": "application/json"}
        )
        body = await response.json()
        assert response.status == 400, raw
        assert body["code"] == "invalid_json"


async def test_wrong_types_are_refused(client):
    status, body = await _create_error(client, {"action_type": 7, "output_format": ["jpg"]})
    assert status == 400
    fields = {detail["field"] for detail in body["details"]}
    assert "action_type" in fields


async def test_huge_create_body_is_refused_with_413(client):
    response = await client.post(
        "/api/v1/sessions",
        data=b'{"intro_text": "' + b"x" * 200_000 + b'"}',
        headers={**A, "Content-Type": "application/json"},
    )
    assert response.status == 413
    assert "limit" in (await response.json())["error"]


async def test_failed_create_leaves_nothing_behind(client):
    await _create_error(client, {"action_type": "video"})
    listing = await client.get("/api/v1/sessions", headers=A)
    assert (await listing.json())["sessions"] == []


async def test_get_returns_the_session_with_etag(client):
    created = await create(client)
    response = await client.get(f"/api/v1/sessions/{created['id']}", headers=A)
    assert response.status == 200
    assert response.headers["ETag"] == '"1"'
    assert await response.json() == created


async def test_unknown_session_is_404(client):
    response = await client.get(f"/api/v1/sessions/{uuid.uuid4()}", headers=A)
    assert response.status == 404
    body = await response.json()
    assert body["code"] == "session_not_found" and body["error"]


async def test_list_shows_own_sessions_newest_first(client):
    first = await create(client)
    second = await create(client, action_type="signature", output_format="svg")
    await create(client, headers=B)
    response = await client.get("/api/v1/sessions", headers=A)
    ids = [s["id"] for s in (await response.json())["sessions"]]
    assert ids == [second["id"], first["id"]]


async def test_cancel_moves_to_cancelled_and_is_repeatable(client):
    created = await create(client)
    for _ in range(2):
        response = await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
        assert response.status == 200
        body = await response.json()
        assert body["status"] == "cancelled"
    assert body["version"] == 2
    listing = await (await client.get("/api/v1/sessions", headers=A)).json()
    assert [s["status"] for s in listing["sessions"]] == ["cancelled"]


async def test_cancel_after_completion_deletes_the_files(client):
    created = await create(client)
    poll = await complete(client, created)
    download_id = poll["items"][0]["download_id"]
    response = await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    body = await response.json()
    assert body["status"] == "cancelled" and "result" not in body
    assert (await client.get(f"/api/v1/downloads/{download_id}", headers=A)).status == 404


async def test_result_poll_follows_the_session(client):
    created = await create(client)
    url = f"/api/v1/sessions/{created['id']}/result"
    waiting = await client.get(url, headers=A)
    assert (waiting.status, await waiting.json()) == (202, {"status": "pending"})
    poll = await complete(client, created)
    assert poll["status"] == "completed"
    assert poll["completed_at"].endswith("Z")
    item = poll["items"][0]
    assert set(item) >= {"download_id", "content_type", "filename", "size", "sha256",
                         "expires_at", "download_url"}
    assert item["download_url"] == f"{BASE_URL}/api/v1/downloads/{item['download_id']}"
    await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    gone = await client.get(url, headers=A)
    body = await gone.json()
    assert gone.status == 410
    assert body["status"] == "cancelled" and body["error"]


async def test_qr_codes_encode_the_phone_link(client):
    created = await create(client)
    svg = await client.get(f"/api/v1/sessions/{created['id']}/qr.svg", headers=A)
    assert svg.status == 200
    assert svg.headers["Content-Type"] == "image/svg+xml"
    assert svg.headers["Cache-Control"] == "no-store"
    assert b"<svg" in await svg.read()
    png = await client.get(f"/api/v1/sessions/{created['id']}/qr.png", headers=A)
    assert png.headers["Content-Type"] == "image/png"
    assert (await png.read()).startswith(b"\x89PNG")
    other = await client.get(f"/api/v1/sessions/{created['id']}/qr.png", headers=B)
    assert other.status == 404


async def test_unknown_api_route_and_method_answer_json(client):
    missing = await client.get("/api/v1/nothing", headers=A)
    assert missing.status == 404
    assert (await missing.json())["code"] == "route_not_found"
    wrong = await client.put("/api/v1/sessions", headers=A)
    assert wrong.status == 405
    assert (await wrong.json())["code"] == "method_not_allowed"
