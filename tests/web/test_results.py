"""Stored results are exactly the requested format: photos converted and cleaned, signatures rendered."""

import asyncio
import hashlib
import io
import time

import pillow_heif  # noqa: F401  (registers the HEIF writer used below)
import pypdf
import pytest
from PIL import Image

from handoff.keys import store_key

from ..conftest import A
from ..helpers import create, send_photo, send_signature
from ..media import jpeg, png, signature_strokes

ORIENTATION = 0x0112
GPS_IFD = 0x8825


async def _result(client, created):
    body = await (await client.get(f"/api/v1/sessions/{created['id']}/result", headers=A)).json()
    item = body["items"][0]
    response = await client.get(f"/api/v1/downloads/{item['download_id']}", headers=A)
    return item, response, await response.read()


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename", "magic"),
    [
        ("jpg", "image/jpeg", "photo.jpg", b"\xff\xd8\xff"),
        ("png", "image/png", "photo.png", b"\x89PNG"),
        ("webp", "image/webp", "photo.webp", b"RIFF"),
        ("pdf", "application/pdf", "photo.pdf", b"%PDF"),
    ],
)
async def test_photo_is_stored_in_the_requested_format(client, fmt, content_type, filename, magic):
    created = await create(client, output_format=fmt)
    assert (await send_photo(client, created, png(320, 240))).status == 200
    item, response, data = await _result(client, created)
    assert (item["content_type"], item["filename"]) == (content_type, filename)
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert data.startswith(magic)
    assert item["size"] == len(data)
    assert item["sha256"] == hashlib.sha256(data).hexdigest()
    if fmt == "pdf":
        pages = pypdf.PdfReader(io.BytesIO(data)).pages
        assert len(pages) == 1
        # A printable page: the long side is an A4 page's, the photo's aspect kept.
        box = pages[0].mediabox
        assert (float(box.width), float(box.height)) == pytest.approx((842, 631.5), abs=1)
    else:
        assert Image.open(io.BytesIO(data)).size == (320, 240)


async def test_exif_orientation_is_applied(client):
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # the camera was turned: display rotated 90° clockwise
    created = await create(client, output_format="png")
    await send_photo(client, created, jpeg(400, 200, exif=exif))
    _, _, data = await _result(client, created)
    stored = Image.open(io.BytesIO(data))
    assert stored.size == (200, 400)
    # The red marker drawn at the top-left of the sensor image ends up top-right.
    assert stored.convert("RGB").getpixel((190, 10))[0] > 200
    assert stored.convert("RGB").getpixel((10, 10))[0] < 100


async def test_gps_and_all_exif_are_removed(client):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (48.0, 8.0, 30.0)
    source = jpeg(300, 200, exif=exif)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(GPS_IFD)  # the upload carries GPS
    created = await create(client, output_format="jpg")
    await send_photo(client, created, source)
    _, _, data = await _result(client, created)
    stored = Image.open(io.BytesIO(data))
    assert len(stored.getexif()) == 0
    assert b"PhoneMaker" not in data and b"Exif" not in data


async def test_longest_side_is_capped(client):
    created = await create(client, output_format="jpg")
    await send_photo(client, created, jpeg(5000, 1000, quality=50))
    _, _, data = await _result(client, created)
    assert Image.open(io.BytesIO(data)).size == (4096, 819)


async def test_heic_from_a_phone_is_converted(client):
    heif = io.BytesIO()
    Image.new("RGB", (320, 240), "#884422").save(heif, "HEIF")
    assert heif.getvalue()[4:12] == b"ftypheic"
    created = await create(client, output_format="jpg")
    assert (await send_photo(client, created, heif.getvalue())).status == 200
    _, _, data = await _result(client, created)
    assert Image.open(io.BytesIO(data)).format == "JPEG"


async def test_png_with_transparency_becomes_white_in_jpeg(client):
    created = await create(client, output_format="jpg")
    clear = io.BytesIO()
    Image.new("RGBA", (64, 64), (0, 0, 0, 0)).save(clear, "PNG")
    await send_photo(client, created, clear.getvalue())
    _, _, data = await _result(client, created)
    stored = Image.open(io.BytesIO(data)).convert("RGB")
    assert stored.getpixel((32, 32)) >= (250, 250, 250)


def _ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    alpha = image.getchannel("A") if image.mode == "RGBA" else Image.eval(image.convert("L"), lambda v: 255 - v)
    return alpha.point(lambda v: 255 if v > 64 else 0).getbbox()


async def test_signature_svg_is_generated_by_the_server(client):
    created = await create(client, action_type="signature", output_format="svg")
    pad = signature_strokes(400, 200)
    pad["strokes"][0][0] += [0.7, "<script>"][:1]  # extra numbers are allowed and ignored
    assert (await send_signature(client, created, pad)).status == 200
    item, response, data = await _result(client, created)
    assert (item["content_type"], item["filename"]) == ("image/svg+xml", "signature.svg")
    svg = data.decode()
    assert svg.startswith("<svg") and 'viewBox="0 0 400 200"' in svg
    assert " Q " in svg  # smoothed with curves, not a polyline
    assert "script" not in svg


async def test_signature_png_is_transparent_at_twice_the_pad_with_ink_where_drawn(client):
    created = await create(client, action_type="signature", output_format="png")
    await send_signature(client, created, signature_strokes(400, 200))
    _, _, data = await _result(client, created)
    image = Image.open(io.BytesIO(data))
    assert image.mode == "RGBA" and image.size == (800, 400)
    assert image.getpixel((5, 5))[3] == 0  # transparent background
    left, top, right, bottom = _ink_box(image)
    # Strokes span x 40..272 and y 80..150 on the pad; at 2x, 80..544 and 160..300.
    assert abs(left - 80) < 12 and abs(right - 544) < 12
    assert abs(top - 160) < 12 and abs(bottom - 300) < 12
    histogram = image.getchannel("A").histogram()
    partial = sum(histogram[1:255])
    assert partial, "edges are anti-aliased"


async def test_signature_jpg_is_on_white_and_pdf_opens(client):
    created = await create(client, action_type="signature", output_format="jpg")
    await send_signature(client, created)
    _, _, data = await _result(client, created)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert image.size == (800, 400)
    assert image.getpixel((5, 5)) >= (250, 250, 250)
    created = await create(client, action_type="signature", output_format="pdf")
    await send_signature(client, created)
    item, _, data = await _result(client, created)
    assert item["filename"] == "signature.pdf"
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((400, 200), abs=1)


async def test_image_work_runs_off_the_event_loop(client):
    created = await create(client, output_format="png")
    other = await create(client)
    store = client.server.app[store_key]
    upload = asyncio.create_task(send_photo(client, created, jpeg(4000, 3000)))
    deadline = time.monotonic() + 30
    while not store._leases:  # the body is in; the image job has been handed over
        assert time.monotonic() < deadline and not upload.done()
        await asyncio.sleep(0.001)
    # While the job runs the loop keeps turning: short sleeps come back and a GET is answered.
    response = await client.get(f"/api/v1/sessions/{other['id']}", headers=A)
    assert response.status == 200
    turns = 0
    while store._leases:
        turns += 1
        await asyncio.sleep(0.001)
    assert turns >= 3, "the loop was blocked while the photo was processed"
    assert (await upload).status == 200
