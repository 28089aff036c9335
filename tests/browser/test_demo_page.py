"""The demo page as a desktop: scans offered, the QR code giving way, time left, expired results."""

import io
import re

import aiohttp
from PIL import Image, ImageDraw
from playwright.async_api import expect

from ..media import jpeg
from .demo_steps import WAIT_MS, start_demo_session, wait_for_status, watch_errors
from .test_accessibility import problems


async def send_photo(link: str) -> None:
    form = aiohttp.FormData()
    form.add_field("file", jpeg(320, 200), filename="p.jpg", content_type="image/jpeg")
    async with aiohttp.ClientSession() as phone, phone.post(link + "/result", data=form) as sent:
        assert sent.status == 200


async def test_the_demo_asks_for_scans_of_several_documents(start_server, desktop, phone):
    server = await start_server(demo=True)
    demo = await desktop.new_page()
    await demo.goto(server.base_url + "/")
    await expect(demo.get_by_label("Documents")).to_be_hidden()
    await demo.get_by_label("Scan", exact=True).check()
    await demo.get_by_label("Documents").select_option("multi")
    await demo.get_by_role("button", name="Start").click()
    link = demo.locator("#phone-link")
    await expect(link).to_have_attribute("href", re.compile("/s/"), timeout=WAIT_MS)
    page = await phone.new_page()
    await page.goto(await link.get_attribute("href"))
    await expect(page.locator("#scan")).to_have_attribute("data-mode", "multi")


async def test_the_qr_code_gives_way_to_phone_connected_and_both_go_when_it_ends(
    start_server, desktop, phone, screenshot
):
    server = await start_server(demo=True)
    demo = await desktop.new_page()
    link = await start_demo_session(demo, server.base_url, "photo", "jpg")
    await expect(demo.locator("#qr")).to_be_visible()
    await expect(demo.get_by_text("Phone connected")).to_be_hidden()
    page = await phone.new_page()
    await page.goto(link)
    await wait_for_status(demo, "opened")
    await expect(demo.get_by_text("Phone connected")).to_be_visible()
    await expect(demo.locator("#qr")).to_be_hidden()
    await screenshot(demo, "demo-phone-connected", full_page=False)
    await demo.get_by_role("button", name="Cancel").click()
    await wait_for_status(demo, "cancelled")
    await expect(demo.get_by_text("Phone connected")).to_be_hidden()
    await expect(demo.locator("#qr")).to_be_hidden()


async def test_start_another_cancels_the_session_still_waiting(start_server, desktop):
    server = await start_server(demo=True)
    demo = await desktop.new_page()
    first = await start_demo_session(demo, server.base_url, "photo", "jpg")
    await demo.get_by_role("button", name="Start another").click()
    async with aiohttp.ClientSession() as phone, phone.get(first, headers={"Accept": "text/html"}) as page:
        assert page.status == 410
        assert "cancelled on the computer" in await page.text()


async def test_time_left_shows_under_five_minutes_on_the_phone_and_the_demo(
    start_server, desktop, browser, screenshot
):
    server = await start_server(demo=True, session_ttl=240)
    demo = await desktop.new_page()
    link = await start_demo_session(demo, server.base_url, "signature", "png")
    await expect(demo.locator("#time-left")).to_have_text(re.compile(r"^Time left: 3 min, \d+ sec"))
    german = await browser.new_context(locale="de-DE", viewport={"width": 375, "height": 667})
    page = await german.new_page()
    await page.goto(link)
    await expect(page.locator("#time-left")).to_have_text(re.compile(r"^Verbleibende Zeit: 3 Min\., \d+ Sek\."))
    await screenshot(page, "time-left-phone-de", full_page=False)
    await german.close()


async def test_no_time_left_is_shown_with_more_than_five_minutes(start_server, desktop, phone):
    server = await start_server(demo=True)
    demo = await desktop.new_page()
    link = await start_demo_session(demo, server.base_url, "photo", "jpg")
    page = await phone.new_page()
    await page.goto(link)
    await expect(page.get_by_role("button", name="Take a photo")).to_be_visible()
    await page.wait_for_timeout(1200)
    await expect(page.locator("#time-left")).to_be_hidden()
    await expect(demo.locator("#time-left")).to_be_hidden()


async def test_a_result_past_its_time_can_no_longer_be_downloaded(start_server, desktop, screenshot):
    server = await start_server(demo=True, result_ttl=2)
    demo = await desktop.new_page()
    link = await start_demo_session(demo, server.base_url, "photo", "jpg")
    await send_photo(link)
    await wait_for_status(demo, "completed")
    await expect(demo.get_by_role("link", name="Download photo.jpg")).to_be_visible()
    expired = demo.get_by_role("button", name="photo.jpg expired")
    await expect(expired).to_be_disabled(timeout=WAIT_MS)
    await expect(demo.get_by_role("link", name="Download photo.jpg")).to_have_count(0)
    await screenshot(demo, "demo-result-expired")


def text_page(width: int = 600, height: int = 800) -> bytes:
    """A white page with a dark title and lines of "text", as a phone would photograph it."""
    image = Image.new("RGB", (width, height), "#fafafa")
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, width - 60, 130), fill="#1d4ed8")
    for row in range(14):
        draw.rectangle((60, 180 + row * 40, width - 60 - (row % 3) * 70, 196 + row * 40), fill="#222222")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


async def send_scan(link: str, pages: list[bytes]) -> None:
    async with aiohttp.ClientSession() as phone:
        for index, data in enumerate(pages):
            form = aiohttp.FormData()
            form.add_field("file", data, filename="page.jpg", content_type="image/jpeg")
            form.add_field("page_index", str(index))
            form.add_field("filter", "color")
            async with phone.post(link + "/scan/upload", data=form) as sent:
                assert sent.status == 200, await sent.text()
        async with phone.post(link + "/scan/finalize") as done:
            assert done.status == 200, await done.text()


#: Share of the image's pixels that are dark (the lines of text), read in the page.
DARK_SHARE = """(img) => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 240) dark += 1;
  return dark / (canvas.width * canvas.height);
}"""


async def test_a_scanned_pdf_shows_its_first_page(start_server, desktop, screenshot):
    server = await start_server(demo=True)
    demo = await desktop.new_page()
    errors: list[str] = []
    watch_errors(demo, errors)
    link = await start_demo_session(demo, server.base_url, "scan", "pdf")
    await send_scan(link, [text_page(), jpeg(600, 800, color="#fafafa")])
    await wait_for_status(demo, "completed")
    page = demo.get_by_role("img", name=re.compile(r"^First page of .+\.pdf$"))
    await expect(page).to_be_visible()
    await expect(demo.get_by_text("Page 1 of 2.")).to_be_visible()
    await expect(demo.get_by_role("link", name=re.compile(r"^Download .+\.pdf$"))).to_be_visible()
    # The page drawn is the first one, with its lines of text (the second is blank).
    assert await page.evaluate("(img) => img.complete && img.naturalWidth") == 480
    assert 0.05 < await page.evaluate(DARK_SHARE) < 0.5
    assert await problems(demo, "demo pdf preview") == []  # axe: the preview is labelled, text readable
    await screenshot(demo, "demo-pdf-preview")
    assert errors == [], errors
