"""Bad input of every kind is a 4xx with a sentence: never a 500, a stall, or a flood of log lines."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import FormData

from handoff.web.bodies import MAX_PARTS

from ..conftest import A
from ..helpers import create, token_of
from ..media import jpeg

#: 30,000 levels of arrays in 60 KB: deeper than Python's parser can recurse.
NESTED = "[" * 30_000 + "]" * 30_000
#: More digits than Python turns into an int (4,300).
DIGITS = "9" * 5_000


def error_of(body: dict) -> str:
    """The error sentence, checked to be words rather than a code or a traceback."""
    assert len(body["error"].split()) >= 4 and "\n" not in body["error"], body
    return body["error"]


async def raw_request(port: int, data: bytes) -> bytes:
    """Send ``data`` as it is and read the answer until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    return answer


async def new_scan(client) -> str:
    response = await client.post("/api/v1/sessions", json={"action_type": "scan"}, headers=A)
    return token_of(await response.json())


async def scan_upload(client, token: str, **fields: str):
    form = FormData()
    form.add_field("file", jpeg(), filename="page.jpg", content_type="image/jpeg")
    for name, value in fields.items():
        form.add_field(name, value)
    response = await client.post(f"/s/{token}/scan/upload", data=form)
    return response.status, await response.json()


# -- JSON nested too deeply, numbers too long -------------------------------------------


async def test_deeply_nested_json_in_a_create_body_is_a_400(client):
    body = '{"action_type": "photo", "output_format": "jpg", "metadata": ' + NESTED + "}"
    response = await client.post("/api/v1/sessions", data=body, headers=A)
    assert response.status == 400
    body = await response.json()
    assert body["code"] == "invalid_json"
    assert "nests arrays or objects too deeply" in error_of(body)


async def test_deeply_nested_json_in_a_signature_is_a_400(client):
    created = await create(client, action_type="signature", output_format="png")
    body = '{"width": 400, "height": 200, "strokes": ' + NESTED + "}"
    response = await client.post(f"/s/{token_of(created)}/result", data=body)
    assert response.status == 400
    assert "too deeply" in error_of(await response.json())


@pytest.mark.parametrize("depth", [1_500, 30_000])
async def test_deeply_nested_scan_corners_are_a_400(client, depth):
    status, body = await scan_upload(client, await new_scan(client), corners="[" * depth + "]" * depth)
    assert status == 400
    assert body["code"] in ("invalid_corners", "field_too_long")
    error_of(body)


@pytest.mark.parametrize("digits", [400, 5_000])
async def test_a_session_ttl_of_thousands_of_digits_is_a_400(client, digits):
    body = '{"action_type": "photo", "output_format": "jpg", "session_ttl": ' + "9" * digits + "}"
    response = await client.post("/api/v1/sessions", data=body, headers=A)
    assert response.status == 400
    error_of(await response.json())


async def test_a_signature_coordinate_of_thousands_of_digits_is_a_400(client):
    created = await create(client, action_type="signature", output_format="png")
    body = '{"width": 400, "height": 200, "strokes": [[[' + DIGITS + ", 1], [10, 10], [20, 20]]]}"
    response = await client.post(f"/s/{token_of(created)}/result", data=body)
    assert response.status == 400
    assert "number too long" in error_of(await response.json())


async def test_a_page_index_of_thousands_of_digits_is_a_400(client):
    status, body = await scan_upload(client, await new_scan(client), page_index=DIGITS)
    assert (status, body["code"]) == (400, "invalid_index")
    error_of(body)


# -- credentials that are not text ------------------------------------------------------


@pytest.mark.parametrize("header", [b"X-API-Key: \xff\xfekey", b"Authorization: Bearer k\xe9y"])
@pytest.mark.parametrize("target", [b"GET /api/v1/sessions", b"GET /api/v1/sessions/abc/ws"])
async def test_credentials_that_are_not_utf8_are_a_401(live_server, header, target):
    upgrade = b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n" \
              b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" if target.endswith(b"/ws") else b""
    request = target + b" HTTP/1.1\r\nHost: x\r\n" + upgrade + header + b"\r\nConnection: close\r\n\r\n"
    answer = await raw_request(live_server.server.port, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 401 ")
    assert json.loads(body)["code"] == "invalid_credentials"


# -- multipart bodies of many parts -----------------------------------------------------


async def _form_of_parts(client, parts: AsyncIterator[bytes]):
    created = await create(client)
    response = await client.post(f"/s/{token_of(created)}/result", data=parts,
                                 headers={"Content-Type": "multipart/form-data; boundary=b"})
    return response.status, await response.json()


async def test_a_form_is_refused_at_the_first_part_over_the_cap(client):
    answered = asyncio.Event()

    async def endless_form() -> AsyncIterator[bytes]:
        # Parts for as long as the server keeps reading: only stopping early answers at all.
        while not answered.is_set():
            yield b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n\r\n'
            await asyncio.sleep(0)  # let the server take its turn
        yield b"--b--\r\n"

    try:
        async with asyncio.timeout(10):
            status, body = await _form_of_parts(client, endless_form())
    finally:
        answered.set()
    assert (status, body["code"]) == (400, "too_many_parts")
    assert str(MAX_PARTS) in error_of(body)


async def test_a_multipart_nested_in_a_part_is_refused(client):
    async def nested() -> AsyncIterator[bytes]:
        yield (b"--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n"
               b"--c\r\n\r\ninner\r\n--c--\r\n--b--\r\n")

    status, body = await _form_of_parts(client, nested())
    assert (status, body["code"]) == (400, "malformed_multipart")


async def test_a_text_field_longer_than_any_index_or_corners_is_refused(client):
    status, body = await scan_upload(client, await new_scan(client), corners="1" * 100_000)
    assert (status, body["code"]) == (400, "field_too_long")
    error_of(body)
