"""Bad input of every kind is a 4xx with a sentence: never a 500, a stall, or a flood of log lines."""

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator

import pypdf
import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import unused_port

from handoff.app import create_app
from handoff.capture.signature import MAX_INK
from handoff.web.bodies import MAX_PARTS
from handoff.web.phone.pages import SIGNATURE_BODY_LIMIT

from ..conftest import KEY_A, A, make_settings
from ..helpers import create, send_signature, token_of
from ..media import jpeg, png, signature_strokes

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


async def test_a_list_limit_of_thousands_of_digits_is_a_400(client):
    response = await client.get(f"/api/v1/sessions?limit={DIGITS}", headers=A)
    assert response.status == 400
    assert (await response.json())["code"] == "invalid_limit"


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


# -- PDF pages of any shape -------------------------------------------------------------


@pytest.mark.parametrize("size", [(3000, 10), (10, 3000)])
async def test_a_photo_strip_becomes_a_pdf_on_a_padded_page(client, size):
    created = await create(client, output_format="pdf")
    form = FormData()
    form.add_field("file", png(*size), filename="strip.png", content_type="image/png")
    response = await client.post(f"/s/{token_of(created)}/result", data=form)
    assert response.status == 200, await response.text()
    [page] = pypdf.PdfReader(io.BytesIO(await _download(client, created))).pages
    assert min(float(page.mediabox.width), float(page.mediabox.height)) >= 72


@pytest.mark.parametrize("pad", [(2, 300), (20000, 300)])
async def test_a_signature_pdf_from_a_pad_of_any_shape_opens(client, pad):
    width, height = pad
    created = await create(client, action_type="signature", output_format="pdf")
    strokes = [[[width / 2, 20], [width / 2, 150], [width, 280]]]
    response = await send_signature(client, created, {"width": width, "height": height, "strokes": strokes})
    assert response.status == 200, await response.text()
    [page] = pypdf.PdfReader(io.BytesIO(await _download(client, created))).pages
    assert 72 <= float(page.mediabox.width) <= 14400


async def _download(client, created) -> bytes:
    poll = await (await client.get(f"/api/v1/sessions/{created['id']}/result", headers=A)).json()
    return await (await client.get(f"/api/v1/downloads/{poll['items'][0]['download_id']}", headers=A)).read()


# -- signatures that cost more than a signature -----------------------------------------


async def test_a_point_far_outside_the_pad_is_a_422(client):
    created = await create(client, action_type="signature", output_format="png")
    pad = {"width": 100, "height": 100, "strokes": [[[0, 0], [1e6, 1e6], [0, 1e6]]]}
    response = await send_signature(client, created, pad)
    assert response.status == 422
    body = await response.json()
    assert body["code"] == "point_outside_pad"
    assert "outside" in error_of(body)


async def test_a_point_just_past_the_pad_edge_is_accepted(client):
    created = await create(client, action_type="signature", output_format="png")
    pad = signature_strokes(400, 200)
    pad["strokes"][0].append([401.5, -1.5])
    assert (await send_signature(client, created, pad)).status == 200


async def test_far_more_ink_than_a_signature_is_a_422(client):
    created = await create(client, action_type="signature", output_format="png")
    zigzag = [[0 if i % 2 else 400, i % 200] for i in range(200_000)]
    response = await _send_large_signature(client, created, {"width": 400, "height": 200, "strokes": [zigzag]})
    assert response.status == 422
    body = await response.json()
    assert body["code"] == "too_much_ink"
    error_of(body)


async def test_the_largest_signature_allowed_is_rendered(client):
    created = await create(client, action_type="signature", output_format="png")
    # 2,000 strokes of 100 points going back and forth across a large pad, as much ink as allowed.
    width, height = 1500, 1500
    reach = MAX_INK * (width + height) * 0.9 / 200_000
    strokes = [[[abs(i * reach % (2 * width) - width), 100 + k % 1300] for i in range(k * 100, k * 100 + 100)]
               for k in range(2000)]
    response = await _send_large_signature(client, created, {"width": width, "height": height, "strokes": strokes})
    assert response.status == 200, await response.text()


async def test_a_signature_body_larger_than_any_signature_is_a_413(client):
    created = await create(client, action_type="signature", output_format="png")
    pad = {**signature_strokes(), "note": "x" * (SIGNATURE_BODY_LIMIT + 1)}
    response = await _send_large_signature(client, created, pad)
    assert response.status == 413
    assert (await response.json())["code"] == "body_too_large"


async def _send_large_signature(client, created, pad: dict):
    # A file object, so that the test client streams the body rather than warning.
    body = io.BytesIO(json.dumps(pad).encode())
    return await client.post(f"/s/{token_of(created)}/result", data=body,
                             headers={"Content-Type": "application/json"})


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


# -- the server's own failures ----------------------------------------------------------


async def test_an_unexpected_error_is_a_json_500_logged_once(aiohttp_client, caplog):
    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    app = create_app(make_settings())
    app.router.add_get("/broken", broken)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR):
        response = await client.get("/broken")
    assert response.status == 500
    assert response.content_type == "application/json"
    body = await response.json()
    assert body["code"] == "internal_error"
    error_of(body)
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None and "a bug" in str(record.exc_info[1])


async def test_a_missing_static_file_is_the_json_404(client):
    for path in ("/static/nothing-here.js", "/static/%2e%2e/pyproject.toml", "/static/"):
        response = await client.get(path)
        assert response.status == 404, path
        assert response.content_type == "application/json"
        error_of(await response.json())


# -- what the server logs about broken clients ------------------------------------------


def _problems(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("request_bytes", [
    b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nBad\x01Name: y\r\n\r\n",
    b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
])
async def test_a_request_the_parser_refuses_is_one_warning_line(live_server, caplog, request_bytes):
    with caplog.at_level(logging.INFO):
        answer = await raw_request(live_server.server.port, request_bytes)
    assert answer.startswith(b"HTTP/1.0 400 ") or answer.startswith(b"HTTP/1.1 400 ")
    [warning] = _problems(caplog)
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert "\n" not in warning.getMessage()
    assert not any(" 500 " in r.getMessage() for r in caplog.records)


async def test_a_refused_request_line_is_logged_without_its_bytes(live_server, caplog):
    line = b"GET /api/v1/sessions?api_key=" + KEY_A.encode() + b"&pad=" + b"a" * 9000
    with caplog.at_level(logging.INFO):
        await raw_request(live_server.server.port, line + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _problems(caplog)
    assert KEY_A not in caplog.text


@pytest.fixture
async def served_as_in_production() -> AsyncIterator[int]:
    """The app served the way ``handoff serve`` does (``web.run_app``'s runner); its port."""
    runner = web.AppRunner(create_app(make_settings()))
    await runner.setup()
    port = unused_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield port
    await runner.cleanup()


async def test_a_client_that_leaves_mid_body_is_one_warning_line(served_as_in_production, caplog):
    port = served_as_in_production
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = b'{"action_type": "photo", "output_format": "jpg"}'
    writer.write(b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nX-API-Key: " + KEY_A.encode()
                 + b"\r\nContent-Length: 1000\r\n\r\n" + body[:20])
    with caplog.at_level(logging.INFO):
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        async with asyncio.timeout(5):
            while not any("aiohttp.access" == r.name for r in caplog.records):
                await asyncio.sleep(0.01)
    [warning] = _problems(caplog)
    assert warning.levelno == logging.WARNING and warning.exc_info is None
    assert "closed the connection" in warning.getMessage()
    assert not any(" 500 " in r.getMessage() for r in caplog.records)
