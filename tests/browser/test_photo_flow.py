"""The photo flow in a real browser: a phone context beside the desktop demo."""

import asyncio

import aiohttp
from PIL import Image
from playwright.async_api import expect

from ..media import jpeg
from .demo_steps import REACHED, WAIT_MS, download_result, open_flow, open_image, wait_for_status


def rotated_camera_photo() -> bytes:
    """A 3000x2000 camera JPEG whose EXIF says "rotate 90° clockwise to view"."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return jpeg(3000, 2000, exif=exif)


async def test_photo_is_previewed_scaled_down_upright_and_shown_on_the_desktop(
    start_server, phone, desktop, screenshot
):
    flow = await open_flow(
        start_server, desktop, phone, "photo", "png", intro="Photograph the **front** of the card."
    )
    server, demo, page = flow.server, flow.demo, flow.phone
    await screenshot(demo, "demo-session")
    await screenshot(page, "photo-intro")
    await page.get_by_role("link", name="Continue").click()
    await expect(page.get_by_text("Take a photo")).to_be_visible()
    await expect(page.locator("#script-fallback")).to_have_count(0)
    await wait_for_status(demo, "opened")
    await expect(demo.locator('#timeline li[data-status="action_started"]')).not_to_have_class(REACHED)
    await screenshot(page, "photo-choose")

    await page.set_input_files(
        "#camera", files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": rotated_camera_photo()}]
    )
    await expect(page.locator("#preview")).to_be_visible()
    await wait_for_status(demo, "action_started")  # choosing the photo is capturing
    await expect(demo.locator('#timeline li[data-status="action_started"]')).to_contain_text("Capturing…")
    await expect(page.locator("#file-info")).to_contain_text("1707 × 2560", timeout=WAIT_MS)
    await expect(page.get_by_role("button", name="Send")).to_be_enabled()
    await expect(page.get_by_text("Retake")).to_be_visible()
    await screenshot(page, "photo-preview")

    # Hold the upload for a moment to see the page while it is sending.
    release = asyncio.Event()

    async def hold(route):
        await release.wait()
        await route.continue_()

    await page.route("**/result", hold)
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#progress")).to_be_visible()
    await expect(page.get_by_role("button", name="Send")).to_be_disabled()
    await screenshot(page, "photo-sending")
    release.set()
    await expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=WAIT_MS)
    await screenshot(page, "photo-done")

    await wait_for_status(demo, "completed")
    shown = demo.locator("#result img")
    await expect(shown).to_be_visible()
    await demo.wait_for_function("document.querySelector('#result img').naturalWidth > 0")
    await screenshot(demo, "demo-photo-completed")
    assert await demo.locator("#demo").get_attribute("data-transport") == "websocket"

    content_type, data = await download_result(demo, server.base_url)
    assert content_type == "image/png"
    image = open_image(data).convert("RGB")
    # Scaled by the browser to 2560 on the longest side, turned upright by its EXIF
    # orientation: the red corner, top-left as stored, is now top-right.
    assert image.size == (1707, 2560)
    red = image.getpixel((image.width - 40, 40))
    assert red[0] > 200 and red[1] < 60 and red[2] < 60, red
    blue = image.getpixel((40, image.height - 40))
    assert blue[2] > 150 and blue[0] < 100, blue
    assert flow.errors == []


async def test_upload_error_is_shown_and_the_next_photo_succeeds(start_server, phone, desktop, screenshot):
    flow = await open_flow(start_server, desktop, phone, "photo", "jpg")
    server, demo, page = flow.server, flow.demo, flow.phone

    await page.set_input_files(
        # Says it is a JPEG, so the phone lets it through; the server finds out.
        "#library", files=[{"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all\n" * 50}]
    )
    await expect(page.locator("#preview-note")).to_be_visible()
    await page.get_by_role("button", name="Send").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_be_visible(timeout=WAIT_MS)
    await expect(alert).to_contain_text("image")
    await expect(page.get_by_role("button", name="Choose another photo")).to_be_visible()
    await expect(page.get_by_role("button", name="Send")).to_be_enabled()
    await screenshot(page, "photo-error")
    assert await timeline_reached(demo, "completed") is False

    await page.set_input_files(
        "#library", files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": jpeg(800, 600)}]
    )
    await expect(alert).to_be_hidden()
    await expect(page.locator("#file-info")).to_contain_text("Ready to send", timeout=WAIT_MS)
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=WAIT_MS)
    await wait_for_status(demo, "completed")
    content_type, data = await download_result(demo, server.base_url)
    assert content_type == "image/jpeg"
    assert open_image(data).size == (800, 600)

    # Discarding on the desktop cancels the session and deletes the file at once.
    href = await demo.locator("#result a[download]").get_attribute("href")
    await demo.get_by_role("button", name="Discard").click()
    await wait_for_status(demo, "cancelled")
    await expect(demo.locator("#result-card")).to_be_hidden()
    async with aiohttp.ClientSession() as http, http.get(server.base_url + href) as gone:
        assert gone.status == 404
    assert flow.errors == []


async def timeline_reached(page, status: str) -> bool:
    classes = await page.locator(f'#timeline li[data-status="{status}"]').get_attribute("class") or ""
    return "is-reached" in classes
