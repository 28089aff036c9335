"""The demo at /: on only when enabled, creating sessions without exposing an API key."""

from handoff.settings import Settings, with_development_key

from ..conftest import KEY_A, KEY_B, A, B


async def test_demo_is_404_when_not_enabled(client):
    assert (await client.get("/")).status == 404
    response = await client.post("/demo/sessions", json={"action_type": "photo", "output_format": "jpg"})
    assert response.status == 404


async def test_demo_page_is_served_when_enabled_without_any_key_in_it(make_client):
    client = await make_client(demo=True)
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    assert 'src="/static/demo.js"' in page
    assert KEY_A not in page and KEY_B not in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


async def test_demo_session_belongs_to_the_first_key_and_gives_only_the_client_secret(make_client):
    client = await make_client(demo=True)
    response = await client.post(
        "/demo/sessions", json={"action_type": "signature", "output_format": "svg", "intro_text": "Sign *here*"}
    )
    assert response.status == 201
    body = await response.json()
    text = await response.text()
    assert KEY_A not in text and KEY_B not in text
    session = body["session"]
    assert session["status"] == "pending" and session["intro_text"] == "Sign *here*"
    assert body["session_url"] == f"/api/v1/sessions/{session['id']}"
    assert body["events_url"] == f"/api/v1/sessions/{session['id']}/ws"
    assert body["qr_url"] == f"/api/v1/sessions/{session['id']}/qr.svg?client_secret={session['client_secret']}"

    # The first key's holder sees the session; the second key does not.
    listed = await (await client.get("/api/v1/sessions", headers=A)).json()
    assert [s["id"] for s in listed["sessions"]] == [session["id"]]
    assert (await client.get(body["session_url"], headers=B)).status == 404
    # The client secret reads the session and its QR code, and may not create sessions.
    secret = {"Authorization": f"Bearer {session['client_secret']}"}
    assert (await client.get(body["session_url"], headers=secret)).status == 200
    qr = await client.get(body["qr_url"])
    assert qr.status == 200 and qr.headers["Content-Type"] == "image/svg+xml"
    refused = await client.post("/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"}, headers=secret)
    assert refused.status == 403


async def test_demo_refuses_a_cross_site_request(make_client):
    client = await make_client(demo=True)
    response = await client.post(
        "/demo/sessions",
        json={"action_type": "photo", "output_format": "jpg"},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert response.status == 403
    assert (await response.json())["code"] == "cross_origin"
    assert (await (await client.get("/api/v1/sessions", headers=A)).json())["sessions"] == []


async def test_demo_same_origin_request_is_accepted(make_client):
    client = await make_client(demo=True)
    origin = f"http://{client.server.host}:{client.server.port}"
    response = await client.post(
        "/demo/sessions", json={"action_type": "photo", "output_format": "jpg"}, headers={"Origin": origin}
    )
    assert response.status == 201


async def test_demo_names_a_bad_field_in_its_error(make_client):
    client = await make_client(demo=True)
    response = await client.post("/demo/sessions", json={"action_type": "photo", "output_format": "svg"})
    assert response.status == 400
    assert "output_format" in (await response.json())["error"]
    assert (await (await client.get("/api/v1/sessions", headers=A)).json())["sessions"] == []


async def test_demo_asks_for_scans_of_one_or_several_documents(make_client):
    client = await make_client(demo=True)
    page = await (await client.get("/")).text()
    assert 'value="scan"' in page and 'value="multi"' in page
    response = await client.post("/demo/sessions", json={"action_type": "scan", "document_mode": "multi"})
    assert response.status == 201
    session = (await response.json())["session"]
    assert (session["action_type"], session["document_mode"], session["output_format"]) == ("scan", "multi", "pdf")


async def test_development_mode_demo_uses_the_generated_key(make_client):
    settings, key = with_development_key(Settings(_env_file=None, base_url="http://phone.test:8080"))
    assert settings.demo_enabled
    client = await make_client(api_keys=settings.api_keys, demo=True)
    created = await (await client.post("/demo/sessions", json={"action_type": "photo", "output_format": "png"})).json()
    listed = await (await client.get("/api/v1/sessions", headers={"X-API-Key": key})).json()
    assert [s["id"] for s in listed["sessions"]] == [created["session"]["id"]]
