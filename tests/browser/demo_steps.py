"""Steps shared by the browser flows: drive the demo page as the desktop user would."""

import io
import re

import aiohttp
from PIL import Image
from playwright.async_api import Page, expect

#: Generous for a loaded CI machine; a passing run takes a fraction of it.
WAIT_MS = 10_000
REACHED = re.compile(r"\bis-reached\b")


async def start_demo_session(page: Page, base_url: str, action: str, fmt: str, intro: str = "") -> str:
    """Open the demo, ask for ``action`` as ``fmt``, and return the phone link it shows."""
    await page.goto(base_url + "/")
    await page.get_by_label(action.capitalize(), exact=True).check()
    await page.get_by_label("Output format").select_option(fmt)
    if intro:
        await page.get_by_label("Intro text for the phone").fill(intro)
    await page.get_by_role("button", name="Start").click()
    link = page.locator("#phone-link")
    await expect(link).to_have_attribute("href", re.compile(r"/s/"), timeout=WAIT_MS)
    await expect(timeline_step(page, "pending")).to_have_class(REACHED)
    href = await link.get_attribute("href")
    assert href is not None
    return href


def timeline_step(page: Page, status: str):  # noqa: ANN201 - a Playwright Locator
    return page.locator(f'#timeline li[data-status="{status}"]')


async def wait_for_status(page: Page, status: str) -> None:
    await expect(timeline_step(page, status)).to_have_class(REACHED, timeout=WAIT_MS)


async def download_result(page: Page, base_url: str) -> tuple[str, bytes]:
    """Fetch the file behind the demo's download button, as the browser would."""
    button = page.locator("#result a[download]")
    href = await button.get_attribute("href")
    assert href is not None and "client_secret=" in href
    async with aiohttp.ClientSession() as http, http.get(base_url + href) as response:
        assert response.status == 200
        return response.headers["Content-Type"], await response.read()


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
