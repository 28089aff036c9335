"""Steps shared by the browser flows: the desktop user on the demo page, the phone user's hand."""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from PIL import Image
from playwright.async_api import BrowserContext, Locator, Page, expect

from ..conftest import A
from .conftest import LiveServer

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


@dataclass
class Flow:
    """A server with the demo on, its page on the desktop and the phone link open on the phone."""

    server: LiveServer
    demo: Page
    phone: Page
    #: Script errors and console errors of both pages (a CSP violation shows up here).
    errors: list[str]


async def open_flow(
    start_server: Callable[..., Any], desktop: BrowserContext, phone: BrowserContext,
    action: str, fmt: str, *, intro: str = "", query: str = "", desktop_script: str | None = None,
) -> Flow:
    server = await start_server(demo=True)
    errors: list[str] = []
    demo = await desktop.new_page()
    watch_errors(demo, errors)
    if desktop_script:
        await demo.add_init_script(desktop_script)
    link = await start_demo_session(demo, server.base_url, action, fmt, intro)
    page = await phone.new_page()
    watch_errors(page, errors)
    await page.goto(link + query)
    return Flow(server, demo, page, errors)


def watch_errors(page: Page, errors: list[str]) -> None:
    def on_console(message: Any) -> None:
        # An error status the page handles (a refused upload) is logged too; that is expected.
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))


def timeline_step(page: Page, status: str) -> Locator:
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


async def api_session(server: LiveServer, **body: Any) -> dict:
    """A session created by a desktop through the REST API with the first key."""
    async with aiohttp.ClientSession() as http:
        response = await http.post(server.base_url + "/api/v1/sessions", json=body, headers=A)
        assert response.status == 201
        return await response.json()


def zigzag(x0: float, x1: float, y: float, amplitude: float, steps: int = 14) -> list[tuple[float, float]]:
    return [
        (x0 + (x1 - x0) * i / steps, y + (amplitude if i % 2 else -amplitude))
        for i in range(steps + 1)
    ]


async def touch_stroke(page: Page, points: list[tuple[float, float]]) -> None:
    """A finger drag, dispatched as real touch input by the browser."""
    cdp = await page.context.new_cdp_session(page)
    (x, y), rest = points[0], points[1:]
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for x, y in rest:
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    await cdp.detach()


async def mouse_stroke(page: Page, points: list[tuple[float, float]]) -> None:
    (x, y), rest = points[0], points[1:]
    await page.mouse.move(x, y)
    await page.mouse.down()
    for x, y in rest:
        await page.mouse.move(x, y, steps=3)
    await page.mouse.up()
