"""The phone's upload: every error class, atomicity, and the race between two uploads."""

import asyncio
import io

from aiohttp import FormData
from PIL import Image

from handoff.keys import store_key

from ..conftest import A
from ..helpers import create, photo_form, send_photo, send_signature, token_of, until_expired
from ..media import jpeg, png


async def _upload(client, session, form):
    response = await client.post(f"/s/{token_of(session)}/result", data=form)
    return response.status, await response.json()


async def _unchanged(client, created, version=1):
    body = await (await client.get(f"/api/v1/sessions/{created['id']}", headers=A)).json()
    assert body["version"] == version
    assert body["status"] != "completed"


async def test_photo_upload_completes_the_session(client):
    created = await create(client)
    response = await send_photo(client, created)
    assert (response.status, await response.json()) == (200, {"status": "completed"})
    body = await (await client.get(f"/api/v1/sessions/{created['id']}", headers=A)).json()
    assert body["status"] == "completed"
    assert body["completed_at"].endswith("Z")
    assert body["result"][0]["filename"] == "photo.jpg"


async def test_body_that_is_not_multipart_is_400(client):
    created = await create(client)
    response = await client.post(f"/s/{token_of(created)}/result", data=b"raw bytes",
                                 headers={"Content-Type": "application/octet-stream"})
    assert response.status == 400
    assert (await response.json())["code"] == "not_multipart"
    await _unchanged(client, created)


async def test_multipart_without_a_file_part_is_400(client):
    created = await create(client)
    form = FormData()
    form.add_field("other", "value")
    form.add_field("x", b"123", filename="x.bin")
    status, body = await _upload(client, created, form)
    assert status == 400 and body["code"] == "missing_file"


async def test_body_over_the_limit_is_413(make_client):
    client = await make_client(max_upload_bytes=50_000)
    created = await create(client)
    status, body = await _upload(client, created, photo_form(jpeg(1200, 900, quality=100) + b"\0" * 60_000))
    assert status == 413
    assert "50000" in body["error"]
    await _unchanged(client, created)


async def test_chunked_body_over_the_limit_is_413(make_client):
    client = await make_client(max_upload_bytes=50_000)
    created = await create(client)

    async def chunks():
        yield b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        for _ in range(20):
            yield b"x" * 10_000
        yield b"\r\n--xyz--\r\n"

    response = await client.post(
        f"/s/{token_of(created)}/result", data=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status == 413
    await _unchanged(client, created)


async def test_non_image_is_415_whatever_its_declared_type(client):
    created = await create(client)
    form = photo_form(b"%PDF-1.4 this is not a photo" * 10, "photo.jpg", "image/jpeg")
    status, body = await _upload(client, created, form)
    assert status == 415
    assert body["code"] == "unsupported_image_type" and "JPEG" in body["error"]
    await _unchanged(client, created)


async def test_truncated_jpeg_is_422(client):
    created = await create(client)
    whole = jpeg(800, 600)
    status, body = await _upload(client, created, photo_form(whole[: len(whole) // 2]))
    assert status == 422
    assert body["code"] == "undecodable_image"
    await _unchanged(client, created)


async def test_garbage_after_a_jpeg_signature_is_422(client):
    created = await create(client)
    status, body = await _upload(client, created, photo_form(b"\xff\xd8\xff" + b"\x00" * 500))
    assert status == 422


async def test_decompression_bomb_is_422(client):
    created = await create(client)
    bomb = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(bomb, "PNG")  # 100 megapixels in a few kilobytes
    status, body = await _upload(client, created, photo_form(bomb.getvalue(), "bomb.png", "image/png"))
    assert status == 422
    assert body["code"] == "image_too_large"
    await _unchanged(client, created)


async def test_failed_upload_can_be_retried(client):
    created = await create(client)
    status, _ = await _upload(client, created, photo_form(b"not an image at all"))
    assert status == 415
    response = await send_photo(client, created)
    assert response.status == 200


async def test_second_upload_after_completion_is_409(client):
    created = await create(client)
    assert (await send_photo(client, created)).status == 200
    status, body = await _upload(client, created, photo_form(png()))
    assert status == 409 and body["code"] == "already_completed"


async def test_upload_to_cancelled_session_is_410(client):
    created = await create(client)
    await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    status, body = await _upload(client, created, photo_form())
    assert status == 410
    assert body["code"] == "session_cancelled" and body["status"] == "cancelled"


async def test_upload_to_expired_session_is_410(make_client):
    client = await make_client(session_ttl=0.1)
    created = await create(client)
    await until_expired(client, created["id"])
    status, body = await _upload(client, created, photo_form())
    assert status == 410 and body["status"] == "expired"


async def test_upload_to_unknown_token_is_404(client):
    response = await client.post("/s/unknown-token/result", data=photo_form())
    assert response.status == 404
    assert (await response.json())["code"] == "session_not_found"


async def test_two_racing_uploads_complete_the_session_once(client):
    created = await create(client)
    big = jpeg(3000, 2000)
    responses = await asyncio.gather(*(send_photo(client, created, big) for _ in range(3)))
    statuses = sorted(r.status for r in responses)
    assert statuses == [200, 409, 409]
    body = await (await client.get(f"/api/v1/sessions/{created['id']}", headers=A)).json()
    assert len(body["result"]) == 1
    assert body["version"] == 2


async def test_cancel_during_processing_discards_the_result(client):
    created = await create(client)
    store = client.app[store_key]
    upload = asyncio.create_task(send_photo(client, created, jpeg(4000, 3000)))
    async with asyncio.timeout(30):
        while not store._leases:  # the body is in and the photo is being converted
            assert not upload.done(), "the upload finished before it was seen processing"
            await asyncio.sleep(0.001)
    await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    response = await upload
    assert response.status == 410
    body = await (await client.get(f"/api/v1/sessions/{created['id']}", headers=A)).json()
    assert body["status"] == "cancelled"
    assert "result" not in body


async def test_malformed_signature_json_is_400(client):
    created = await create(client, action_type="signature", output_format="svg")
    for bad in (b"{", b'{"width": 100}', b'{"width": "wide", "height": 10, "strokes": []}',
                b'{"width": 100, "height": 50, "strokes": [[[1]]]}'):
        response = await client.post(f"/s/{token_of(created)}/result", data=bad,
                                     headers={"Content-Type": "application/json"})
        assert response.status == 400, bad
        assert (await response.json())["error"]
    await _unchanged(client, created)


async def test_empty_or_tiny_signature_is_422(client):
    created = await create(client, action_type="signature", output_format="png")
    for pad in (
        {"width": 400, "height": 200, "strokes": []},
        {"width": 400, "height": 200, "strokes": [[[10, 10]]]},
        {"width": 400, "height": 200, "strokes": [[[100, 100], [102, 101], [103, 102], [101, 103]]]},
    ):
        response = await send_signature(client, created, pad)
        assert response.status == 422, pad
        assert (await response.json())["code"] in ("empty_signature", "degenerate_signature")
    await _unchanged(client, created)
