"""The photo page on real phone sizes: camera and library apart, files checked, actions in reach."""

from playwright.async_api import expect

from ..media import jpeg
from .demo_steps import WAIT_MS, api_session

IPHONE_SE = {"width": 375, "height": 667}
LONG_INTRO = "\n\n".join(
    f"{n}. Place the card on a dark table, fill the frame, avoid reflections and keep it sharp."
    for n in range(1, 13)
)


async def open_photo_page(live_server, phone, **body):
    page = await phone.new_page()
    await page.set_viewport_size(IPHONE_SE)
    session = await api_session(live_server, action_type="photo", output_format="jpg", **body)
    await page.goto(session["url"])
    await expect(page.locator("#script-fallback")).to_have_count(0)
    return page


async def test_camera_and_library_are_separate_controls(live_server, phone, screenshot):
    page = await open_photo_page(live_server, phone)
    camera = page.get_by_label("Take a photo")
    library = page.get_by_label("Choose a photo")
    assert await camera.get_attribute("capture") == "environment"
    assert await library.get_attribute("capture") is None
    assert await camera.get_attribute("accept") == await library.get_attribute("accept") == "image/*"
    await expect(page.locator("#take")).to_be_visible()
    await expect(page.locator("#choose")).to_be_visible()
    await screenshot(page, "photo-choose-375")


async def test_a_file_that_is_not_an_image_is_refused_before_any_upload(live_server, phone, screenshot):
    page = await open_photo_page(live_server, phone)
    uploads = []
    page.on("request", lambda request: uploads.append(request.url) if "/result" in request.url else None)
    await page.set_input_files(
        "#library", files=[{"name": "contract.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}]
    )
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("This file is not a photo. Choose a JPEG, PNG, WebP or HEIC image.")
    await expect(page.locator("#preview-step")).to_be_hidden()
    await screenshot(page, "photo-not-an-image")
    # The next choice works and the refusal goes away.
    await page.set_input_files("#library", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg(640, 480)}])
    await expect(alert).to_be_hidden()
    await expect(page.get_by_role("button", name="Send")).to_be_enabled(timeout=WAIT_MS)
    assert uploads == []


async def test_retake_and_send_stay_on_screen_below_a_long_intro(live_server, phone, screenshot):
    page = await open_photo_page(live_server, phone)
    session = await api_session(live_server, action_type="photo", output_format="jpg", intro_text=LONG_INTRO)
    await page.goto(session["url"].rstrip("/") + "/action")
    await page.set_input_files("#camera", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1200, 1600)}])
    send = page.get_by_role("button", name="Send")
    await expect(send).to_be_enabled(timeout=WAIT_MS)
    assert await page.evaluate("document.documentElement.scrollHeight > window.innerHeight * 1.5")
    for scroll in ("0", "document.documentElement.scrollHeight / 2", "document.documentElement.scrollHeight"):
        await page.evaluate(f"window.scrollTo(0, {scroll})")
        for control in (send, page.get_by_text("Retake")):
            box = await control.bounding_box()
            assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= IPHONE_SE["height"], scroll
    await page.evaluate("window.scrollTo(0, 0)")
    await screenshot(page, "photo-long-intro-375", full_page=False)
    await screenshot(page, "photo-long-intro-375-full")

