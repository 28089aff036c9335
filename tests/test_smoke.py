from aiohttp import FormData

from .conftest import A
from .media import jpeg, signature_strokes


async def test_photo_flow_end_to_end(client):
    created = await client.post("/api/v1/sessions", json={"action_type": "photo", "output_format": "png"}, headers=A)
    assert created.status == 201
    session = await created.json()
    token = session["url"].rsplit("/", 1)[1]
    ws = await client.ws_connect(f"/api/v1/sessions/{session['id']}/ws", headers=A)
    first = await ws.receive_json()
    assert first["status"] == "pending"
    page = await client.get(f"/s/{token}")
    assert page.status == 200
    assert (await ws.receive_json())["status"] == "opened"
    assert (await ws.receive_json())["status"] == "action_started"
    form = FormData()
    form.add_field("file", jpeg(), filename="p.jpg", content_type="image/jpeg")
    up = await client.post(f"/s/{token}/result", data=form)
    assert up.status == 200, await up.text()
    done = await ws.receive_json()
    assert done["type"] == "completed"
    item = done["data"][0]
    dl = await client.get(f"/api/v1/downloads/{item['download_id']}", headers=A)
    assert dl.headers["Content-Type"] == "image/png"
    assert (await dl.read()).startswith(b"\x89PNG")
    await ws.close()


async def test_signature_flow(client):
    created = await client.post("/api/v1/sessions", json={"action_type": "signature", "output_format": "svg"}, headers=A)
    session = await created.json()
    token = session["url"].rsplit("/", 1)[1]
    up = await client.post(f"/s/{token}/result", json=signature_strokes())
    assert up.status == 200, await up.text()
    res = await client.get(f"/api/v1/sessions/{session['id']}/result", headers=A)
    body = await res.json()
    assert res.status == 200, body
