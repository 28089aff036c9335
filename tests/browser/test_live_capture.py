"""The camera inside the page (Chromium's fake camera playing a prepared video of a page)."""

import base64
import io
import math
import re

import aiohttp
import numpy as np
from PIL import Image
from playwright.async_api import expect
from yarl import URL

from ..conftest import A
from ..capture.test_scan_detect import TILTED
from ..scanmedia import ANGLED, camera_corners, grid_page, photographed, to_jpeg, with_clutter, with_shadow, y4m

FRAME = (720, 960)
#: The page's corners in the video's frames: tilted 25° away and turned 10°, as a phone sees it.
IN_FRAME = camera_corners((400, 560), 25, 10, size=FRAME, fill=0.65)


def page_video() -> bytes:
    """A second of empty table, then three seconds of a page held before the camera."""
    table = photographed(Image.new("RGB", (8, 8), "#6b6b6b"), [(0, 0), (1, 0), (1, 1), (0, 1)],
                         size=FRAME, noise=6, seed=3)
    frames = [table] * 10
    for n in range(30):  # the grain changes from frame to frame, as a camera's does
        frames.append(photographed(grid_page(marks=1), IN_FRAME, size=FRAME, noise=6, seed=n))
    return y4m(frames)


async def scan_session(server, output_format: str = "images") -> dict:
    async with aiohttp.ClientSession(server.base_url, headers=A) as api:
        created = await api.post("/api/v1/sessions", json={"action_type": "scan", "output_format": output_format})
        return await created.json()


async def test_a_page_held_still_is_taken_by_itself_and_arrives_straightened(
    live_server, phone_with_camera, screenshot
):
    phone = await phone_with_camera(page_video())
    session = await scan_session(live_server)
    page = await phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(session["url"])
    await page.click("#add-page")
    await expect(page.locator(".live video")).to_be_visible()
    # The outline is drawn over the page while it is looked for.
    await expect(page.locator(".live__outline polygon")).to_have_attribute("points", re.compile(r"\d"), timeout=30_000)
    await expect(page.locator(".live__status")).to_have_text("Page found. Hold still…")
    await screenshot(page, "live-1-outline", full_page=False)
    outline_ms = float(await page.locator(".live").get_attribute("data-outline-ms"))
    # Nobody presses the shutter: the page is taken once it has held still.
    await page.wait_for_selector("#screen-crop:not([hidden])", timeout=30_000)
    await expect(page.locator(".live")).to_be_hidden()
    await expect(page.locator("#crop-note")).to_contain_text("Page found")
    await screenshot(page, "live-2-crop", full_page=False)
    await page.click("#screen-crop [data-act=crop-done]")
    await page.click("#screen-preview [data-act=accept]")
    await page.click("#to-review")
    await page.click("#screen-review [data-act=send]")
    await page.wait_for_selector("text=Sent.")
    assert errors == []

    async with aiohttp.ClientSession(live_server.base_url, headers=A) as api:
        state = await (await api.get(f"/api/v1/sessions/{session['id']}")).json()
        (document,) = state["scan_result"]["documents"]
        (item,) = document["pages"]
        image = Image.open(io.BytesIO(await (await api.get(URL(item["url"]).path)).read())).convert("L")
    # Found several times within the second the outline must hold, even on a busy machine.
    assert outline_ms < 1000, outline_ms
    # The page alone, at its proportions (400×560, snapped to A4's), with its grid upright.
    assert abs(image.width / image.height - 400 / 560) < 0.02, image.size
    pixels = np.asarray(image, dtype=np.float32)
    h, w = pixels.shape
    inset = max(4, w // 80)
    corners = [pixels[inset:2 * inset, inset:2 * inset], pixels[inset:2 * inset, -2 * inset:-inset],
               pixels[-2 * inset:-inset, inset:2 * inset], pixels[-2 * inset:-inset, -2 * inset:-inset]]
    assert min(float(c.mean()) for c in corners) > 170  # paper, not table, at every corner
    # The first vertical grid line (x = 50 of 400) at the top and at the bottom of the page.
    near = slice(int(0.08 * w), int(0.17 * w))
    top = int(np.argmin(pixels[int(0.15 * h):int(0.3 * h), near].mean(axis=0)))
    bottom = int(np.argmin(pixels[int(0.7 * h):int(0.85 * h), near].mean(axis=0)))
    assert abs(top - bottom) <= max(2, w // 150), (top, bottom)


async def test_the_shutter_takes_a_photo_at_once_on_the_photo_page(live_server, phone_with_camera, screenshot):
    phone = await phone_with_camera(page_video())
    async with aiohttp.ClientSession(live_server.base_url, headers=A) as api:
        created = await api.post("/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"})
        session = await created.json()
        page = await phone.new_page()
        await page.goto(session["url"].rstrip("/") + "/action")
        await page.get_by_text("Take a photo").click()
        await expect(page.locator(".live video")).to_be_visible()
        await expect(page.locator(".live__outline polygon")).not_to_have_attribute("points", re.compile(r"\d"))
        await screenshot(page, "live-3-photo", full_page=False)
        await page.get_by_role("button", name="Take the photo").click()
        await expect(page.locator(".live")).to_be_hidden()
        await expect(page.locator("#file-info")).to_contain_text("720 × 960")
        await page.get_by_role("button", name="Send").click()
        await expect(page.get_by_role("heading", name="Done")).to_be_visible()
        state = await (await api.get(f"/api/v1/sessions/{session['id']}")).json()
    assert state["status"] == "completed"


async def test_closing_the_camera_leaves_the_page_as_it_was(live_server, phone_with_camera):
    phone = await phone_with_camera(page_video())
    session = await scan_session(live_server)
    page = await phone.new_page()
    await page.goto(session["url"])
    await page.click("#add-page")
    await expect(page.locator(".live video")).to_be_visible()
    await page.get_by_role("button", name="Close the camera").click()
    await expect(page.locator(".live")).to_be_hidden()
    await expect(page.locator("#screen-home")).to_be_visible()
    assert await page.locator("#strip .thumb").count() == 0
    # The camera is let go: no track still running.
    assert await page.evaluate("() => document.querySelector('.live video').srcObject") is None


async def test_on_plain_http_at_a_lan_address_the_file_input_stays(live_server, phone_with_camera):
    # A name for the test server that is not loopback: the page is no secure context there.
    port = URL(live_server.base_url).port
    phone = await phone_with_camera(page_video(), args=["--host-resolver-rules=MAP phone.lan 127.0.0.1"])
    session = await scan_session(live_server)
    page = await phone.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(str(URL(session["url"]).with_host("phone.lan").with_port(port)))
    assert await page.evaluate("() => window.isSecureContext") is False
    async with page.expect_file_chooser() as chooser:
        await page.click("#add-page")
    assert await (await chooser.value).element.get_attribute("id") == "camera"
    assert await page.locator(".live").count() == 0
    assert errors == []


#: The live outline of a JPEG at 180×200 (a camera frame's small copy), and how long it took.
OUTLINE = """async ([data, src]) => {
  const { findOutline } = await import(new URL("scan-outline.js", src));
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
  const canvas = document.createElement("canvas");
  canvas.width = 180;
  canvas.height = 200;
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0, 180, 200);
  const pixels = context.getImageData(0, 0, 180, 200).data;
  findOutline(pixels, 180, 200); // once to compile
  const started = performance.now();
  const corners = findOutline(pixels, 180, 200);
  return { corners, ms: performance.now() - started };
}"""


async def test_the_live_outline_finds_the_page_where_the_server_does(live_server, phone):
    session = await scan_session(live_server)
    page = await phone.new_page()
    await page.goto(session["url"])
    src = await page.eval_on_selector("script[type=module]", "script => script.src")
    scenes = {
        "grey table": photographed(grid_page(), TILTED, background="#6b6b6b", noise=4),
        "white on white": photographed(grid_page(), ANGLED, background="#f4f4f4"),
        "shadow across": with_shadow(photographed(grid_page(), TILTED, background="#6b6b6b", noise=4)),
        "clutter": with_clutter(photographed(grid_page(), ANGLED, background="#6b6b6b", noise=4)),
    }
    truth = {"grey table": TILTED, "white on white": ANGLED, "shadow across": TILTED, "clutter": ANGLED}
    errors, times = {}, []
    for name, photo in scenes.items():
        result = await page.evaluate(OUTLINE, [base64.b64encode(to_jpeg(photo)).decode(), src])
        assert result["corners"], name
        # One pixel of the small copy is 5 of the photo: a coarse outline, to draw, not to crop.
        errors[name] = max(math.dist((x * 5, y * 5), true) for (x, y), true in zip(result["corners"], truth[name]))
        times.append(result["ms"])
    assert max(errors.values()) <= 12, errors  # within about two pixels of the small copy
    assert sorted(times)[len(times) // 2] < 1000, times  # several outlines within the hold
    # Nothing page-like: no outline.
    empty = await page.evaluate(OUTLINE, [base64.b64encode(to_jpeg(Image.new("RGB", (900, 1000), "#808080"))).decode(), src])
    assert empty["corners"] is None
