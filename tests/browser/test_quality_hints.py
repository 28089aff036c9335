"""Before sending, the phone warns (never blocks) when a photo is blurry or lost in glare."""

import base64

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import expect

from ..conftest import A
from ..scanmedia import ANGLED, dimmed, grid_page, lit_from_side, photographed, text_page, to_jpeg, with_glare
from .test_scan_browser import capture, page_file

#: The page's own measure (static/quality.js) of a JPEG, and the hint it gives.
MEASURE = """async ([data, src]) => {
  const { measure, qualityHint } = await import(new URL("quality.js", src));
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/jpeg" }));
  return { ...measure(bitmap, bitmap.width, bitmap.height), hint: qualityHint(bitmap, bitmap.width, bitmap.height) };
}"""


def text_photo(*, blur: float = 0.0, size: tuple[int, int] = (900, 1200)) -> Image.Image:
    """A page of text, its white exposed as a camera does, on a grey table."""
    page, _ = text_page(["The quick brown fox jumps", "over the lazy dog again", "and again"] * 6)
    k = size[0] / 900
    corners = [(x * k, y * k) for x, y in [(150, 130), (760, 150), (740, 1020), (170, 1000)]]
    return photographed(dimmed(page), corners, size=size, blur=blur, noise=3)


#: name: (photo, blurry?, glare?)
CASES = {
    "text, sharp": (lambda: text_photo(), False, False),
    "text, sharp, 1350×1800": (lambda: text_photo(size=(1350, 1800)), False, False),
    "text, blurred 1.5 px": (lambda: text_photo(blur=1.5), False, False),
    "text, blurred 2 px": (lambda: text_photo(blur=2), True, False),
    "text, blurred 3 px": (lambda: text_photo(blur=3), True, False),
    "text 1350×1800, blurred 4 px": (lambda: text_photo(blur=4, size=(1350, 1800)), True, False),
    "grid, sharp, paper pure white": (lambda: photographed(grid_page(), ANGLED), False, False),
    "grid, blurred 2 px": (lambda: photographed(grid_page(), ANGLED, blur=2), True, False),
    "white page on a light table": (lambda: photographed(grid_page(), ANGLED, background="#b0b0b0"), False, False),
    "text, lit from one side": (lambda: lit_from_side(text_photo()), False, False),
    "text, small reflection (r 30 px)": (lambda: with_glare(text_photo(), (450, 500), 30), False, False),
    "text, glare (r 60 px)": (lambda: with_glare(text_photo(), (450, 500), 60), False, True),
    "text, glare (r 150 px)": (lambda: with_glare(text_photo(), (450, 500), 150), False, True),
    "grid, glare (r 100 px)": (lambda: with_glare(dimmed(photographed(grid_page(), ANGLED)), (380, 400), 100),
                               False, True),
    "text, blurred 2 px and glare": (lambda: with_glare(text_photo(blur=2), (450, 500), 80), True, True),
}


async def a_scan_page(server, phone):
    async with aiohttp.ClientSession(server.base_url, headers=A) as api:
        created = await api.post("/api/v1/sessions", json={"action_type": "scan", "output_format": "images"})
        session = await created.json()
    page = await phone.new_page()
    await page.goto(session["url"])
    return page


@pytest.fixture
async def measured(live_server, phone):
    page = await a_scan_page(live_server, phone)
    src = await page.eval_on_selector("script[type=module]", "script => script.src")

    async def measure(image: Image.Image) -> dict:
        return await page.evaluate(MEASURE, [base64.b64encode(to_jpeg(image)).decode(), src])

    return measure


async def test_blur_and_glare_are_told_apart_from_sharp_clean_photos(measured):
    wrong = {}
    for name, (make, blurry, glare) in CASES.items():
        result = await measured(make())
        hint = result["hint"] or ""
        if ("blurry" in hint) != blurry or ("glare" in hint) != glare:
            wrong[name] = result
    assert wrong == {}


async def test_the_photo_page_warns_of_a_blurry_photo_and_still_sends_it(live_server, phone, screenshot):
    async with aiohttp.ClientSession(live_server.base_url, headers=A) as api:
        created = await api.post("/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"})
        session = await created.json()
        page = await phone.new_page()
        await page.goto(session["url"] + "/action")
        sharp = {"name": "sharp.jpg", "mimeType": "image/jpeg", "buffer": to_jpeg(text_photo())}
        blurred = {"name": "blurred.jpg", "mimeType": "image/jpeg", "buffer": to_jpeg(text_photo(blur=3))}

        await page.set_input_files("#camera", files=[blurred])
        await expect(page.locator("#quality-hint")).to_have_text(
            "This photo looks blurry. You can take it again or send it as it is.")
        await expect(page.get_by_role("button", name="Send")).to_be_enabled()
        await screenshot(page, "photo-hint-blurry", full_page=False)
        # A sharp retake: the warning goes.
        await page.set_input_files("#camera", files=[sharp])
        await expect(page.locator("#file-info")).to_contain_text("Ready to send")
        await expect(page.locator("#quality-hint")).to_be_hidden()
        # Back to the blurred one, sent anyway.
        await page.set_input_files("#camera", files=[blurred])
        await expect(page.locator("#quality-hint")).to_be_visible()
        await page.get_by_role("button", name="Send").click()
        await expect(page.get_by_role("heading", name="Done")).to_be_visible()
        state = await (await api.get(f"/api/v1/sessions/{session['id']}")).json()
    assert state["status"] == "completed"


async def test_the_scan_preview_warns_of_glare_on_the_page_only(live_server, phone, screenshot):
    page = await a_scan_page(live_server, phone)
    clean = dimmed(photographed(grid_page(marks=1), ANGLED))
    await capture(page, page_file("clean.jpg", clean))
    await page.click("#screen-crop [data-act=crop-done]")
    await page.wait_for_selector("#screen-preview:not([hidden])")
    await expect(page.locator("#preview-hint")).to_be_hidden()
    await page.click("#screen-preview [data-act=retake]")

    await capture(page, page_file("glare.jpg", with_glare(clean, (380, 400), 100)))
    await page.click("#screen-crop [data-act=crop-done]")
    await expect(page.locator("#preview-hint")).to_have_text(
        "Part of this photo is lost in glare. You can take it again or send it as it is.")
    await screenshot(page, "scan-hint-glare", full_page=False)
    await page.click("#screen-preview [data-act=accept]")  # a warning, not a refusal
    await expect(page.locator("#strip .thumb")).to_have_count(1)
