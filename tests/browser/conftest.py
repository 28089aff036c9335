"""Browser fixtures: a real handoff server on 127.0.0.1 and Debian's Chromium driven by Playwright.

The browser is found from ``HANDOFF_CHROMIUM`` or the usual paths. Without one the
browser tests are skipped with a loud reason, except under ``CI``, where that fails.
"""

import contextlib
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright
from playwright.async_api import Error as PlaywrightError

from ..conftest import LiveServer  # noqa: F401  (the live-server fixtures moved to tests/conftest.py)

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
    ),
}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def find_chromium() -> str | None:
    candidates = [os.environ.get("HANDOFF_CHROMIUM", "")]
    candidates += [shutil.which(name) or "" for name in ("chromium", "chromium-browser", "google-chrome")]
    candidates += ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
    return next((path for path in candidates if path and os.access(path, os.X_OK)), None)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        reason = (
            "NO CHROMIUM FOUND: browser tests need Debian's chromium (apt-get install chromium) "
            "or HANDOFF_CHROMIUM=/path/to/chromium"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        await browser.close()


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A mobile-emulated context: touch, small viewport, high DPI."""
    context = await browser.new_context(**PHONE)
    yield context
    # A test that closed its page itself (unloading it) may leave the context closing already.
    with contextlib.suppress(PlaywrightError):
        await context.close()


@pytest.fixture
async def desktop(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(**DESKTOP)
    yield context
    await context.close()


@pytest.fixture
async def phone_with_camera(
    chromium_path: str, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[BrowserContext]]]:
    """``await phone_with_camera(video)``: a phone context whose camera plays ``video``
    (a .y4m file's bytes) in a loop, with the camera allowed; ``args`` go to Chromium too."""
    async with async_playwright() as playwright:
        browsers: list[Browser] = []

        async def launch(video: bytes, args: Sequence[str] = ()) -> BrowserContext:
            path = tmp_path / f"camera-{len(browsers)}.y4m"
            path.write_bytes(video)
            flags = [*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream",
                     f"--use-file-for-fake-video-capture={path}", *args]
            browser = await playwright.chromium.launch(executable_path=chromium_path, headless=True, args=flags)
            browsers.append(browser)
            return await browser.new_context(**PHONE, permissions=["camera"])

        yield launch
        for browser in browsers:
            await browser.close()


@pytest.fixture
def screenshot() -> Callable[..., Any]:
    """``await screenshot(page, "photo-preview")`` saves tests/screenshots/photo-preview.png.

    The whole page by default; ``full_page=False`` keeps what the screen shows (sticky bars).
    """
    SCREENSHOTS.mkdir(exist_ok=True)

    async def take(page: Any, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        await page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
