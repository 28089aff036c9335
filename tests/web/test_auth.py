"""API keys, tenant isolation and per-session client secrets."""

from ..conftest import A, B, KEY_A
from ..helpers import complete, create


async def test_missing_key_is_401(client):
    response = await client.post("/api/v1/sessions", json={"action_type": "photo"})
    assert response.status == 401
    body = await response.json()
    assert body["code"] == "missing_credentials" and "API key" in body["error"]


async def test_wrong_key_is_401(client):
    response = await client.get("/api/v1/sessions", headers={"X-API-Key": "nope"})
    assert response.status == 401
    assert (await response.json())["code"] == "invalid_credentials"


async def test_bearer_key_is_accepted(client):
    response = await client.get(
        "/api/v1/sessions", headers={"Authorization": f"Bearer {KEY_A}"}
    )
    assert response.status == 200


async def test_api_key_in_query_is_only_for_the_websocket(client):
    response = await client.get(f"/api/v1/sessions?api_key={KEY_A}")
    assert response.status == 401


async def test_other_tenants_sessions_look_unknown(client):
    created = await create(client, headers=A)
    sid = created["id"]
    for method, path in [
        ("GET", f"/api/v1/sessions/{sid}"),
        ("GET", f"/api/v1/sessions/{sid}/result"),
        ("DELETE", f"/api/v1/sessions/{sid}"),
        ("GET", f"/api/v1/sessions/{sid}/qr.svg"),
        ("GET", f"/api/v1/sessions/{sid}/ws"),
    ]:
        response = await client.request(method, path, headers=B)
        assert response.status == 404, (method, path)
    listing = await (await client.get("/api/v1/sessions", headers=B)).json()
    assert listing == {"sessions": []}
    still = await (await client.get(f"/api/v1/sessions/{sid}", headers=A)).json()
    assert still["status"] == "pending"


async def test_other_tenants_files_look_unknown(client):
    created = await create(client, headers=A)
    download_id = (await complete(client, created))["items"][0]["download_id"]
    assert (await client.get(f"/api/v1/downloads/{download_id}", headers=B)).status == 404
    assert (await client.delete(f"/api/v1/downloads/{download_id}", headers=B)).status == 404
    assert (await client.get(f"/api/v1/downloads/{download_id}", headers=A)).status == 200


async def test_client_secret_reads_its_own_session(client):
    created = await create(client)
    secret = {"Authorization": f"Bearer {created['client_secret']}"}
    sid = created["id"]
    assert (await client.get(f"/api/v1/sessions/{sid}", headers=secret)).status == 200
    assert (await client.get(f"/api/v1/sessions/{sid}/result", headers=secret)).status == 202
    assert (await client.get(f"/api/v1/sessions/{sid}/qr.svg", headers=secret)).status == 200
    query = await client.get(f"/api/v1/sessions/{sid}?client_secret={created['client_secret']}")
    assert query.status == 200
    ws = await client.ws_connect(f"/api/v1/sessions/{sid}/ws?client_secret={created['client_secret']}")
    assert (await ws.receive_json())["status"] == "pending"
    await ws.close()


async def test_client_secret_downloads_and_cancels_its_session(client):
    created = await create(client)
    secret = {"Authorization": f"Bearer {created['client_secret']}"}
    download_id = (await complete(client, created))["items"][0]["download_id"]
    assert (await client.get(f"/api/v1/downloads/{download_id}", headers=secret)).status == 200
    cancelled = await client.delete(f"/api/v1/sessions/{created['id']}", headers=secret)
    assert (await cancelled.json())["status"] == "cancelled"


async def test_client_secret_cannot_create_or_list(client):
    created = await create(client)
    secret = {"Authorization": f"Bearer {created['client_secret']}"}
    listing = await client.get("/api/v1/sessions", headers=secret)
    assert listing.status == 403
    assert (await listing.json())["code"] == "api_key_required"
    creating = await client.post(
        "/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"}, headers=secret
    )
    assert creating.status == 403


async def test_client_secret_of_one_session_cannot_read_another(client):
    first = await create(client)
    second = await create(client)
    second_download = (await complete(client, second))["items"][0]["download_id"]
    secret = {"Authorization": f"Bearer {first['client_secret']}"}
    assert (await client.get(f"/api/v1/sessions/{second['id']}", headers=secret)).status == 404
    assert (await client.delete(f"/api/v1/sessions/{second['id']}", headers=secret)).status == 404
    assert (await client.get(f"/api/v1/downloads/{second_download}", headers=secret)).status == 404


async def test_phone_token_grants_no_desktop_access(client):
    created = await create(client)
    token = created["url"].rsplit("/", 1)[1]
    response = await client.get(
        f"/api/v1/sessions/{created['id']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401


async def test_401_names_the_scheme(client):
    response = await client.get("/api/v1/sessions")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
