"""The scan page in a real Chromium: capture, crop, reorder, send; the desktop gets the documents."""

import asyncio
import io
import json

import aiohttp
from PIL import Image
from playwright.async_api import expect
from pypdf import PdfReader
from yarl import URL

from ..conftest import A
from ..scanmedia import ANGLED, grid_page, photographed, to_jpeg

LANDSCAPE = [(150.0, 300.0), (710.0, 300.0), (700.0, 700.0), (160.0, 690.0)]


def page_file(name: str, image: Image.Image) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": to_jpeg(image)}


async def capture(page, file: dict) -> None:
    """Give the camera input a photo and wait for the crop screen's suggestion."""
    await page.set_input_files("#camera", files=[file])
    await page.wait_for_selector("#screen-crop:not([hidden])")
    # (wait_for_function would evaluate a string, which the page's CSP forbids)
    await expect(page.locator("#crop-note")).to_contain_text("Page found")


async def accept(page) -> None:
    await page.click("#screen-crop [data-act=crop-done]")
    await page.wait_for_selector("#screen-preview:not([hidden])")
    await page.click("#screen-preview [data-act=accept]")
    await page.wait_for_selector("#screen-home:not([hidden])")


async def drag(page, box: dict, dx: float, dy: float, *, hold: float = 0.0, shot=None) -> None:
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await page.mouse.move(x, y)
    await page.mouse.down()
    if hold:
        await asyncio.sleep(hold)
    await page.mouse.move(x + dx / 2, y + dy / 2, steps=6)
    await page.mouse.move(x + dx, y + dy, steps=6)
    if shot is not None:
        await shot()
    await page.mouse.up()


async def test_multi_document_scan_reaches_the_desktop(start_server, phone, screenshot):
    # A per-page limit that the grainy second photo exceeds as the camera took it.
    live_server = await start_server(scan_upload_max_bytes=250_000)
    async with aiohttp.ClientSession(live_server.base_url, headers=A) as api:
        created = await api.post("/api/v1/sessions", json={
            "action_type": "scan", "document_mode": "multi", "output_format": "pdf",
            "intro_text": "Scan the **contract** and its annex.",
        })
        session = await created.json()
        page = await phone.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(session["url"])
        await page.click("text=Continue")
        await page.wait_for_selector("#screen-home:not([hidden])")
        await screenshot(page, "scan-1-start")

        # Document 1, page 1: photographed at an angle; its top-left corner is dragged inwards.
        await capture(page, page_file("p1.jpg", photographed(grid_page(marks=1), ANGLED)))
        await screenshot(page, "scan-2-crop")
        handle = await page.locator('[data-corner="0"] .handle__ring').bounding_box()
        await drag(page, handle, 40, 40, shot=lambda: screenshot(page, "scan-3-crop-magnifier"))
        await page.click("#screen-crop [data-act=crop-done]")
        await page.wait_for_selector("#screen-preview:not([hidden])")
        await screenshot(page, "scan-4-preview")
        await page.click("#screen-preview [data-act=accept]")

        # Document 1, page 2: a landscape page on a grainy table, too large as it is.
        grainy = page_file("p2.jpg", photographed(grid_page(560, 400, marks=2), LANDSCAPE, noise=40))
        assert len(grainy["buffer"]) > 250_000
        await capture(page, grainy)
        await accept(page)
        # Document 2, one page.
        await page.click("#next-document")
        await capture(page, page_file("p3.jpg", photographed(grid_page(marks=3), ANGLED)))
        await accept(page)
        await screenshot(page, "scan-5-filmstrip")

        # Long-press the second page and drag it before the first.
        second = await page.locator('.thumb[data-doc="0"][data-index="1"]').bounding_box()
        first = await page.locator('.thumb[data-doc="0"][data-index="0"]').bounding_box()
        start = second["x"] + second["width"] / 2
        await drag(page, second, first["x"] + 8 - start, 0, hold=0.6)
        assert await page.locator(".thumb").count() == 3
        # The moved page stays selected, with its actions at hand.
        await expect(page.locator("#selection-label")).to_have_text("Page 1 of document 1")
        await screenshot(page, "scan-6-reordered-selected")

        await page.click("#to-review")
        await screenshot(page, "scan-7-review")

        # The first send fails at its second page: back to review, nothing lost.
        failures = {"left": 1}

        async def flaky(route):
            body = route.request.post_data_buffer or b""
            second_page = b'name="page_index"\r\n\r\n1' in body and b'document_index"\r\n\r\n0' in body
            if second_page and failures["left"]:
                failures["left"] -= 1
                await route.fulfill(status=503, content_type="application/json",
                                    body=json.dumps({"error": "The server is busy.", "code": "busy"}))
                return
            if second_page:
                await asyncio.sleep(1.2)  # long enough to see the progress line
            await route.continue_()

        await page.route("**/scan/upload", flaky)
        await page.click("#screen-review [data-act=send]")
        await page.wait_for_selector("#review-error:not([hidden])")
        assert "The server is busy." in await page.text_content("#review-error")
        assert await page.locator(".review__pages figure").count() == 3
        await screenshot(page, "scan-8-send-failed")

        await page.click("#screen-review [data-act=send]")
        await expect(page.locator("#sending-status")).to_have_text("Uploading page 2 of 3")
        await screenshot(page, "scan-9-sending")
        await page.wait_for_selector("text=Sent.")
        await screenshot(page, "scan-10-done")
        assert errors == []

        state = await (await api.get(f"/api/v1/sessions/{session['id']}")).json()
        assert state["status"] == "completed"
        documents = state["scan_result"]["documents"]
        sizes = []
        for document in documents:
            response = await api.get(URL(document["pdf_url"]).path)
            reader = PdfReader(io.BytesIO(await response.read()))
            sizes.append([p.images[0].image.size for p in reader.pages])
    assert [len(pages) for pages in sizes] == [2, 1]
    (landscape, dragged), (untouched,) = sizes
    assert landscape[0] > landscape[1]  # the reordered page now comes first
    assert abs(untouched[0] - 400) <= 6 and abs(untouched[1] - 560) <= 6
    # The dragged corner reached the server: the page has another shape.
    assert abs(dragged[0] / dragged[1] - untouched[0] / untouched[1]) > 0.03, (dragged, untouched)


async def test_single_page_retaken_without_detected_edges(live_server, phone, screenshot):
    async with aiohttp.ClientSession(live_server.base_url, headers=A) as api:
        created = await api.post("/api/v1/sessions",
                                 json={"action_type": "scan", "output_format": "images"})
        session = await created.json()
        page = await phone.new_page()
        await page.goto(session["url"])
        assert await page.locator("#next-document").is_hidden()

        await capture(page, page_file("first.jpg", photographed(grid_page(marks=1), ANGLED)))
        await page.click("#screen-crop [data-act=crop-done]")
        await page.click("#screen-preview [data-act=retake]")
        # A 12-megapixel photo stored sideways (EXIF orientation 6) with no page
        # edges to find: the inset rectangle is suggested.
        exif = Image.Exif()
        exif[0x0112] = 6
        sideways = to_jpeg(Image.new("RGB", (4000, 3000), "#d9d4c7"), exif=exif)
        await page.set_input_files("#camera", files=[
            {"name": "plain.jpg", "mimeType": "image/jpeg", "buffer": sideways}])
        await expect(page.locator("#crop-note")).to_contain_text("No page edges found")
        await screenshot(page, "scan-11-crop-fallback")
        await page.click("#screen-crop [data-act=reset]")
        await accept(page)
        # A second page, selected and deleted again: it is not sent.
        await page.click("#add-page")
        await capture(page, page_file("extra.jpg", photographed(grid_page(marks=2), ANGLED)))
        await accept(page)
        await page.locator('.thumb[data-index="1"]').click()
        await screenshot(page, "scan-12-single-selected")
        await page.click("#selection [data-act=delete]")
        assert await page.locator(".thumb").count() == 1
        await page.click("#to-review")
        await page.click("#screen-review [data-act=send]")
        await page.wait_for_selector("text=Sent.")

        state = await (await api.get(f"/api/v1/sessions/{session['id']}")).json()
        (document,) = state["scan_result"]["documents"]
        (only,) = document["pages"]
        response = await api.get(URL(only["url"]).path)
        image = Image.open(io.BytesIO(await response.read()))
    # Upright (EXIF honoured) and scaled down to 3000 px in the browser; its 3:4
    # is within 3 % of US Letter, so it is snapped to Letter's proportions.
    assert only["content_type"] == "image/jpeg" and image.size == (round(3000 * 215.9 / 279.4), 3000)
