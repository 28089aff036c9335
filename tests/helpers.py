"""Small steps the tests repeat: create a session, open it as the phone, send a result."""

import asyncio
from typing import Any

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from handoff.keys import store_key

from .conftest import A
from .media import jpeg, signature_strokes


def token_of(session: dict[str, Any]) -> str:
    return session["url"].rsplit("/", 1)[1]


async def create(client: TestClient, headers: dict[str, str] = A, **body: Any) -> dict[str, Any]:
    body.setdefault("action_type", "photo")
    body.setdefault("output_format", "jpg")
    response = await client.post("/api/v1/sessions", json=body, headers=headers)
    assert response.status == 201, await response.text()
    return await response.json()


async def until_expired(client: TestClient, session_id: str, timeout: float = 5) -> None:
    """Wait for the session's ``expired`` event (at once if it already expired)."""
    store = client.app[store_key]
    async with store.subscribe(session_id) as events:
        record = await store.get(session_id)
        if record is None or record.status == "expired":
            return
        async with asyncio.timeout(timeout):
            while (await events.get()).status != "expired":
                pass


def photo_form(data: bytes | None = None, filename: str = "photo.jpg",
               content_type: str = "image/jpeg") -> FormData:
    form = FormData()
    form.add_field("file", jpeg() if data is None else data, filename=filename,
                   content_type=content_type)
    return form


async def send_photo(client: TestClient, session: dict[str, Any], data: bytes | None = None):
    return await client.post(f"/s/{token_of(session)}/result", data=photo_form(data))


async def send_signature(client: TestClient, session: dict[str, Any], pad: dict | None = None):
    return await client.post(f"/s/{token_of(session)}/result", json=pad or signature_strokes())


async def complete(client: TestClient, session: dict[str, Any]) -> dict[str, Any]:
    """Complete a session as the phone would and return its result poll."""
    if session["action_type"] == "signature":
        response = await send_signature(client, session)
    else:
        response = await send_photo(client, session)
    assert response.status == 200, await response.text()
    poll = await client.get(f"/api/v1/sessions/{session['id']}/result", headers=A)
    assert poll.status == 200
    return await poll.json()
