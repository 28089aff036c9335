"""The document scan: pages in, corrected and ordered, out as PDFs or JPEG pages."""

import asyncio
import io

import pytest
from aiohttp import FormData
from PIL import Image
from pypdf import PdfReader

from handoff.keys import store_key

from ..conftest import BASE_URL, A
from ..helpers import until_expired
from ..media import png
from .scanflow import accepted, download, finalize, new_scan, page_sizes, plain, scan_result, upload
from ..scanmedia import ANGLED, GRID, TILTED, camera_corners, grid_page, photographed, to_jpeg


async def test_single_mode_makes_one_pdf_with_pages_in_index_order(client):
    session, token = await new_scan(client)
    assert session["document_mode"] == "single" and session["scan_output_format"] == "pdf"
    await accepted(client, token, plain(300, 500), page=1)
    await accepted(client, token, plain(500, 300), page=0)
    assert (await finalize(client, token)).status == 200
    documents = (await scan_result(client, session))["documents"]
    assert len(documents) == 1 and set(documents[0]) == {"pdf_url", "pdf_preview_url"}
    content_type, pdf = await download(client, documents[0]["pdf_url"])
    assert content_type == "application/pdf"
    assert page_sizes(pdf) == [(500, 300), (300, 500)]


async def test_single_mode_puts_every_page_in_document_zero(client):
    session, token = await new_scan(client)
    body = await accepted(client, token, plain(200, 200), document=3)
    assert body["document_index"] == 0 and body["status"] == "page accepted"
    await accepted(client, token, plain(200, 200), document=5, page=1)
    await finalize(client, token)
    documents = (await scan_result(client, session))["documents"]
    _, pdf = await download(client, documents[0]["pdf_url"])
    assert len(documents) == 1 and len(PdfReader(io.BytesIO(pdf)).pages) == 2


async def test_multi_mode_makes_one_pdf_per_document(client):
    session, token = await new_scan(client, document_mode="multi")
    for document, count in ((2, 3), (0, 2)):  # indexes need not be dense or in order
        for page in range(count):
            await accepted(client, token, plain(200 + page, 300), document=document, page=page)
    assert (await finalize(client, token)).status == 200
    documents = (await scan_result(client, session))["documents"]
    counts = [len(PdfReader(io.BytesIO((await download(client, d["pdf_url"]))[1])).pages)
              for d in documents]
    assert counts == [2, 3]


async def test_multi_mode_images_gives_jpeg_pages_per_document(client):
    session, token = await new_scan(client, output_format="images", document_mode="multi")
    assert session["scan_output_format"] == "images"
    await accepted(client, token, png(240, 320), document=0, page=0)
    await accepted(client, token, plain(250, 320), document=0, page=1)
    await accepted(client, token, plain(260, 320), document=1, page=0)
    await finalize(client, token)
    documents = (await scan_result(client, session))["documents"]
    assert [len(d["pages"]) for d in documents] == [2, 1]
    assert all(set(d) == {"pages"} for d in documents)
    widths = []
    for document in documents:
        for page in document["pages"]:
            assert page["content_type"] == "image/jpeg"
            content_type, data = await download(client, page["url"])
            assert content_type == "image/jpeg"
            widths.append(Image.open(io.BytesIO(data)).size[0])
    assert widths == [240, 250, 260]


def grid_offsets(profile, expected: list[int]) -> list[float]:
    """Where the darkest line lies near each expected grid line position."""
    found = []
    for position in expected:
        window = profile[position - 8 : position + 9]
        found.append(position - 8 + min(range(len(window)), key=window.__getitem__))
    return found


async def test_angled_page_comes_back_upright_at_its_true_proportions(client):
    session, token = await new_scan(client, output_format="images")
    photo = to_jpeg(photographed(grid_page(400, 600), TILTED))
    body = await accepted(client, token, photo, corners=TILTED, filter="color")
    width, height = body["width"], body["height"]
    assert width / height == pytest.approx(400 / 600, rel=0.01)
    await finalize(client, token)
    page = (await scan_result(client, session))["documents"][0]["pages"][0]
    image = Image.open(io.BytesIO((await download(client, page["url"]))[1])).convert("L")
    assert image.size == (width, height)
    scale = width / 400
    pixels = image.load()
    # Every corner of the result is page (white), not the grey background around it.
    for x, y in ((2, 2), (width - 3, 2), (width - 3, height - 3), (2, height - 3)):
        assert pixels[x, y] > 200, (x, y, pixels[x, y])
    # The grid lines are straight and where they were drawn, within a few pixels.
    for row in (75, 275, 475):
        columns = [pixels[x, round(row * scale)] for x in range(width)]
        xs = [round(x * scale) for x in range(GRID, 400, GRID)]
        assert all(abs(f - e) <= 3 for f, e in zip(grid_offsets(columns, xs), xs)), row
    for column in (75, 225, 325):
        rows = [pixels[round(column * scale), y] for y in range(height)]
        ys = [round(y * scale) for y in range(GRID, 600, GRID)]
        assert all(abs(f - e) <= 3 for f, e in zip(grid_offsets(rows, ys), ys)), column


async def test_corners_are_read_in_the_upright_photo(client):
    session, token = await new_scan(client, output_format="images")
    photo = photographed(grid_page(400, 600), TILTED)
    upright = await accepted(client, token, to_jpeg(photo), corners=TILTED)
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera held sideways: display rotated 90° clockwise
    sideways = to_jpeg(photo.transpose(Image.Transpose.ROTATE_90), exif=exif)
    body = await accepted(client, token, sideways, corners=TILTED)
    assert (body["width"], body["height"]) == (upright["width"], upright["height"])


async def test_pdf_pages_embed_the_jpeg_and_follow_its_aspect_ratio(client):
    session, token = await new_scan(client)
    await accepted(client, token, plain(620, 877))  # A4 proportions
    await accepted(client, token, plain(900, 300), page=1)
    await accepted(client, token, plain(64, 2000), page=2)  # a till receipt
    await finalize(client, token)
    _, pdf = await download(client, (await scan_result(client, session))["documents"][0]["pdf_url"])
    reader = PdfReader(io.BytesIO(pdf))
    boxes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    assert boxes[0] == pytest.approx((595.28, 842.0), abs=1.0)
    assert boxes[1] == pytest.approx((1785.84, 595.28), abs=1.0)
    assert boxes[2] == pytest.approx((460.8, 14400.0), abs=1.0)  # the PDF's largest page
    for page in reader.pages:
        (image,) = page["/Resources"]["/XObject"].values()
        assert image.get_object()["/Filter"] == "/DCTDecode"


@pytest.mark.parametrize("size_mm, points", [
    ((210, 297), (595.28, 841.89)),  # A4
    ((215.9, 279.4), (612.0, 792.0)),  # US Letter
    ((85.6, 53.98), (242.65, 153.01)),  # an ID-1 card, landscape
])
async def test_page_photographed_at_an_angle_gets_its_paper_size(client, size_mm, points):
    session, token = await new_scan(client)
    scale = 500 / max(size_mm)
    page = grid_page(round(size_mm[0] * scale), round(size_mm[1] * scale))
    corners = camera_corners(size_mm, 35, 15, spin=3)
    await accepted(client, token, to_jpeg(photographed(page, corners, size=(900, 1200))), corners=corners)
    await finalize(client, token)
    _, pdf = await download(client, (await scan_result(client, session))["documents"][0]["pdf_url"])
    box = PdfReader(io.BytesIO(pdf)).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(points, abs=0.05)


async def test_retake_replaces_the_page(client):
    session, token = await new_scan(client, output_format="images")
    await accepted(client, token, plain(300, 400))
    body = await accepted(client, token, plain(310, 400))
    assert body["pages"] == 1
    await finalize(client, token)
    pages = (await scan_result(client, session))["documents"][0]["pages"]
    assert len(pages) == 1
    _, data = await download(client, pages[0]["url"])
    assert Image.open(io.BytesIO(data)).size == (310, 400)


async def test_page_limit_refuses_a_new_page_but_allows_a_retake(make_client):
    client = await make_client(scan_max_pages=2)
    _, token = await new_scan(client)
    await accepted(client, token, plain(100, 100), page=0)
    await accepted(client, token, plain(100, 100), page=1)
    response = await upload(client, token, plain(100, 100), page=2)
    body = await response.json()
    assert response.status == 400 and body["code"] == "too_many_pages"
    assert "(2)" in body["error"] and body["limit"] == 2
    await accepted(client, token, plain(120, 100), page=1)


async def test_page_over_the_size_limit_is_refused_with_the_limit(make_client):
    client = await make_client(scan_upload_max_bytes=20_000)
    _, token = await new_scan(client)
    big = to_jpeg(photographed(grid_page(), ANGLED, noise=30), quality=95)
    assert len(big) > 20_000
    response = await upload(client, token, big)
    body = await response.json()
    assert response.status == 413 and "20000 bytes" in body["error"], body
    assert body["code"] == "page_too_large"
    response = await finalize(client, token)
    assert response.status == 400 and (await response.json())["code"] == "no_pages"


async def test_finalize_without_pages_is_refused_and_changes_nothing(client):
    session, token = await new_scan(client)
    response = await finalize(client, token)
    body = await response.json()
    assert response.status == 400 and body["code"] == "no_pages" and body["error"]
    state = await (await client.get(f"/api/v1/sessions/{session['id']}", headers=A)).json()
    assert state["status"] == "pending" and "scan_result" not in state


@pytest.mark.parametrize(
    ("corners", "status", "code"),
    [
        ([[100, 100], [300, 300], [300, 100], [100, 300]], 422, "corners_not_convex"),
        ([[100, 100], [100, 300], [300, 300], [300, 100]], 422, "corners_mirrored"),
        ([[100, 100], [130, 100], [130, 130], [100, 130]], 422, "crop_too_small"),
        ([[100, 100], [1300, 100], [300, 300], [100, 300]], 422, "corners_outside_image"),
        ([[100, 100], [300, 100], [300, 300]], 400, "invalid_corners"),
        ("[[1, 2], [3, 4], [5, 6], [7, 'x']]", 400, "invalid_corners"),
        ("not json", 400, "invalid_corners"),
    ],
)
async def test_unusable_corners_are_refused_with_a_sentence(client, corners, status, code):
    _, token = await new_scan(client)
    response = await upload(client, token, plain(640, 480), corners=corners)
    body = await response.json()
    assert (response.status, body["code"]) == (status, code)
    assert body["error"].endswith(".")
    assert (await finalize(client, token)).status == 400  # nothing was kept


@pytest.mark.parametrize(
    ("field", "value"), [("page_index", "-1"), ("page_index", "two"), ("document_index", "1e3")]
)
async def test_bad_indexes_are_refused(client, field, value):
    _, token = await new_scan(client, document_mode="multi")
    form = FormData()
    form.add_field("file", plain(100, 100), filename="p.jpg")
    form.add_field(field, value)
    response = await client.post(f"/s/{token}/scan/upload", data=form)
    assert response.status == 400 and (await response.json())["code"] == "invalid_index"


async def test_broken_or_missing_page_files_are_refused(client):
    _, token = await new_scan(client)
    form = FormData(default_to_multipart=True)
    form.add_field("page_index", "0")
    response = await client.post(f"/s/{token}/scan/upload", data=form)
    assert response.status == 400 and (await response.json())["code"] == "missing_file"
    assert (await upload(client, token, b"%PDF-1.4 not an image")).status == 415
    assert (await upload(client, token, plain(200, 200)[:300])).status == 422


async def test_status_rules_match_the_other_actions(client):
    session, token = await new_scan(client)
    await accepted(client, token, plain(100, 100))
    assert (await finalize(client, token)).status == 200
    assert (await upload(client, token, plain(100, 100))).status == 409
    assert (await finalize(client, token)).status == 409
    assert (await upload(client, "no-such-token", plain(100, 100))).status == 404
    assert (await finalize(client, "no-such-token")).status == 404

    session, token = await new_scan(client)
    await accepted(client, token, plain(100, 100))
    await client.delete(f"/api/v1/sessions/{session['id']}", headers=A)
    response = await upload(client, token, plain(100, 100))
    assert response.status == 410 and (await response.json())["status"] == "cancelled"
    assert (await finalize(client, token)).status == 410


async def test_expired_scan_refuses_pages(make_client):
    client = await make_client(session_ttl=1)
    session, token = await new_scan(client)
    await accepted(client, token, plain(100, 100))
    await until_expired(client, session["id"])
    response = await upload(client, token, plain(100, 100))
    assert response.status == 410 and (await response.json())["status"] == "expired"
    assert (await finalize(client, token)).status == 410


async def test_scan_routes_refuse_other_actions(client):
    response = await client.post(
        "/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"}, headers=A
    )
    token = (await response.json())["url"].rsplit("/", 1)[1]
    response = await upload(client, token, plain(100, 100))
    assert response.status == 400 and (await response.json())["code"] == "not_a_scan"
    assert (await finalize(client, token)).status == 400


async def test_racing_finalizes_complete_once(client):
    session, token = await new_scan(client)
    for page in range(3):
        await accepted(client, token, plain(800, 1100), page=page)
    responses = await asyncio.gather(*(finalize(client, token) for _ in range(3)))
    assert sorted(r.status for r in responses) == [200, 409, 409]
    state = await (await client.get(f"/api/v1/sessions/{session['id']}", headers=A)).json()
    # pending, a version per page sent, then completed once
    assert state["version"] == 1 + 3 + 1 and len(state["result"]) == 1


async def test_clearing_pages_lets_the_phone_send_afresh(client):
    session, token = await new_scan(client)
    await accepted(client, token, plain(100, 100), page=0)
    await accepted(client, token, plain(100, 100), page=1)
    assert (await client.delete(f"/s/{token}/scan/pages")).status == 204
    assert (await finalize(client, token)).status == 400
    await accepted(client, token, plain(100, 100), page=0)
    await finalize(client, token)
    _, pdf = await download(client, (await scan_result(client, session))["documents"][0]["pdf_url"])
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


async def test_scan_result_has_the_go_shape_in_get_result_and_websocket(client):
    session, token = await new_scan(client, document_mode="multi")
    ws = await client.ws_connect(f"/api/v1/sessions/{session['id']}/ws?api_key={A['X-API-Key']}")
    assert (await ws.receive_json())["status"] == "pending"
    await accepted(client, token, plain(200, 300), document=0)
    await accepted(client, token, plain(200, 300), document=1)
    await finalize(client, token)
    pages = [await ws.receive_json() for _ in range(2)]  # one update per page sent
    message = await ws.receive_json()
    await ws.close()
    assert [(m["status"], m["session"]["scan_pages"]) for m in pages] == [("pending", 1), ("pending", 2)]
    assert message["type"] == "completed" and message["status"] == "completed"
    expected = await scan_result(client, session)
    assert message["data"] == expected
    assert list(expected) == ["documents"] and len(expected["documents"]) == 2
    for document in expected["documents"]:
        assert list(document) == ["pdf_url", "pdf_preview_url"]  # the Go shape, and the preview
        assert document["pdf_url"].startswith(f"{BASE_URL}/api/v1/downloads/")
    poll = await client.get(f"/api/v1/sessions/{session['id']}/result", headers=A)
    body = await poll.json()
    assert poll.status == 200 and body["scan_result"] == expected and len(body["items"]) == 2


async def test_size_limit_counts_the_page_not_the_form(make_client):
    page = plain(300, 300)
    client = await make_client(scan_upload_max_bytes=len(page))
    _, token = await new_scan(client)
    await accepted(client, token, page, corners=[[0, 0], [300, 0], [300, 300], [0, 300]])
    client = await make_client(scan_upload_max_bytes=len(page) - 1)
    _, token = await new_scan(client)
    response = await upload(client, token, page)
    assert response.status == 413 and f"{len(page) - 1} bytes" in (await response.json())["error"]


async def test_held_pages_are_dropped_on_cancel_and_expiry(make_client):
    client = await make_client(session_ttl=1.0)
    store = client.app[store_key]
    cancelled, token = await new_scan(client)
    await accepted(client, token, plain(100, 100))
    assert len(await store.scan_pages(cancelled["id"])) == 1
    await client.delete(f"/api/v1/sessions/{cancelled['id']}", headers=A)
    assert await store.scan_pages(cancelled["id"]) == []

    expiring, token = await new_scan(client)
    async with store.subscribe(expiring["id"]) as events:
        await accepted(client, token, plain(100, 100))
        while (await asyncio.wait_for(events.get(), 5)).status != "expired":
            pass
    assert await store.scan_pages(expiring["id"]) == []


async def test_the_session_counts_the_pages_sent_so_far(client):
    session, token = await new_scan(client)
    assert session["scan_pages"] == 0
    await accepted(client, token, plain(200, 300), page=0)
    await accepted(client, token, plain(200, 300), page=1)
    await accepted(client, token, plain(200, 300), page=1)  # a retake
    state = await (await client.get(f"/api/v1/sessions/{session['id']}", headers=A)).json()
    assert (state["scan_pages"], state["version"], state["status"]) == (2, 3, "pending")
    assert (await client.delete(f"/s/{token}/scan/pages")).status == 204
    state = await (await client.get(f"/api/v1/sessions/{session['id']}", headers=A)).json()
    assert state["scan_pages"] == 0


async def test_a_long_poll_wakes_when_a_page_arrives(client):
    session, token = await new_scan(client)
    waiting = asyncio.create_task(client.get(
        f"/api/v1/sessions/{session['id']}", params={"wait": "30"},
        headers={**A, "If-None-Match": '"1"'},
    ))
    await accepted(client, token, plain(200, 300), page=0)
    answer = await waiting
    assert answer.status == 200
    assert (await answer.json())["scan_pages"] == 1
