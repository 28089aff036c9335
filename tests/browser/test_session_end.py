"""The desktop ending a session reaches an open phone page; the client survives without WebSocket."""

import aiohttp
import pytest
from playwright.async_api import expect

from ..conftest import A
from .demo_steps import WAIT_MS, start_demo_session, wait_for_status
from .test_signature_flow import touch_stroke, zigzag


async def test_cancelling_on_the_desktop_switches_the_open_phone_page_to_cancelled(
    start_server, phone, desktop, screenshot
):
    server = await start_server(demo=True)
    demo = await desktop.new_page()
    link = await start_demo_session(demo, server.base_url, "signature", "svg")
    page = await phone.new_page()
    await page.goto(link + "?poll=150")
    await expect(page.get_by_role("heading", name="Sign below")).to_be_visible()
    await wait_for_status(demo, "action_started")

    await demo.get_by_role("button", name="Cancel").click()
    await wait_for_status(demo, "cancelled")
    await screenshot(demo, "demo-cancelled")
    await expect(page.get_by_role("heading", name="Cancelled")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_role("img", name="Signature pad")).to_have_count(0)
    await screenshot(page, "phone-cancelled")


async def test_an_open_phone_page_switches_to_expired_when_the_session_runs_out(
    live_server, phone, screenshot
):
    page = await phone.new_page()
    await page.goto(live_server.base_url + "/static/phone.css")  # the browser is warm
    async with aiohttp.ClientSession() as http:
        created = await http.post(
            live_server.base_url + "/api/v1/sessions",
            json={"action_type": "photo", "output_format": "jpg", "session_ttl": "2s"},
            headers=A,
        )
        assert created.status == 201
        link = (await created.json())["url"]
    await page.goto(link + "?poll=150")
    await expect(page.get_by_text("Open camera")).to_be_visible()
    await expect(page.get_by_role("heading", name="This link has expired")).to_be_visible(timeout=WAIT_MS)
    await screenshot(page, "phone-expired")


#: A WebSocket that never connects, as behind a proxy that refuses upgrades.
FAILING_WEBSOCKET = """
window.WebSocket = class extends EventTarget {
  static OPEN = 1;
  constructor(url) {
    super();
    this.readyState = 0;
    window.socketAttempts = (window.socketAttempts || 0) + 1;
    setTimeout(() => { this.readyState = 3; this.dispatchEvent(new Event("close")); }, 20);
  }
  close() {}
};
"""


@pytest.mark.parametrize(
    "sabotage", ["delete window.WebSocket;", FAILING_WEBSOCKET], ids=["no-websocket", "refused-upgrade"]
)
async def test_browser_client_falls_back_to_long_polling_without_websocket(
    start_server, phone, desktop, screenshot, sabotage
):
    server = await start_server(demo=True)
    demo = await desktop.new_page()
    await demo.add_init_script(sabotage)
    link = await start_demo_session(demo, server.base_url, "signature", "png")
    await expect(demo.locator("#demo")).to_have_attribute("data-transport", "polling")

    page = await phone.new_page()
    await page.goto(link)
    await wait_for_status(demo, "opened")
    await wait_for_status(demo, "action_started")
    box = await page.get_by_role("img", name="Signature pad").bounding_box()
    assert box is not None
    points = zigzag(box["x"] + 30, box["x"] + box["width"] - 30, box["y"] + box["height"] / 2, 30)
    await touch_stroke(page, points)
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=WAIT_MS)

    await wait_for_status(demo, "completed")
    await expect(demo.locator("#result img")).to_be_visible()
    await expect(demo.locator("#transport")).to_contain_text("completed")
    await screenshot(demo, "demo-polling-completed")
    if sabotage == FAILING_WEBSOCKET:
        # It retried the websocket with backoff before settling on long-polling.
        assert await demo.evaluate("window.socketAttempts") == 3
