"""The phone's per-page choices on upload: filter and rotation."""

import io

import pytest
from PIL import Image
from pypdf import PdfReader

from ..scanmedia import grid_page, to_jpeg
from .scanflow import accepted, download, finalize, new_scan, plain, scan_result, upload


async def test_bw_pages_arrive_as_one_bit_png_and_as_g4_in_the_pdf(client):
    session, token = await new_scan(client, output_format="images")
    await accepted(client, token, to_jpeg(grid_page(400, 600)), filter="bw")
    await accepted(client, token, to_jpeg(grid_page(400, 600)), page=1)
    await finalize(client, token)
    pages = (await scan_result(client, session))["documents"][0]["pages"]
    assert [p["content_type"] for p in pages] == ["image/png", "image/jpeg"]
    _, data = await download(client, pages[0]["url"])
    assert Image.open(io.BytesIO(data)).mode == "1"

    session, token = await new_scan(client)
    await accepted(client, token, to_jpeg(grid_page(400, 600)), filter="bw")
    await finalize(client, token)
    _, pdf = await download(client, (await scan_result(client, session))["documents"][0]["pdf_url"])
    (image,) = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/XObject"].values()
    assert image.get_object()["/Filter"] == ["/CCITTFaxDecode"]


async def test_rotation_turns_the_page_on_the_server(client):
    _, token = await new_scan(client)
    body = await accepted(client, token, plain(300, 500), rotation=90)
    assert (body["width"], body["height"]) == (500, 300)
    body = await accepted(client, token, plain(300, 500), rotation=180, filter="grayscale")
    assert (body["width"], body["height"]) == (300, 500)


@pytest.mark.parametrize(("field", "value", "code"), [
    ("filter", "sepia", "invalid_filter"),
    ("filter", "BW", "invalid_filter"),
    ("rotation", "45", "invalid_rotation"),
    ("rotation", "-90", "invalid_rotation"),
    ("rotation", "ninety", "invalid_rotation"),
])
async def test_unknown_filters_and_rotations_are_refused_with_a_sentence(client, field, value, code):
    _, token = await new_scan(client)
    response = await upload(client, token, plain(300, 400), **{field: value})
    body = await response.json()
    assert (response.status, body["code"]) == (400, code)
    assert body["error"].endswith(".") and field in body["error"]
    assert (await finalize(client, token)).status == 400  # nothing was kept
