"""The desktop ending a session reaches an open phone page; the client survives without WebSocket."""

import aiohttp
import pytest
from playwright.async_api import expect

from ..conftest import A

from .demo_steps import (
    WAIT_MS,
    api_session,
    open_flow,
    touch_stroke,
    wait_for_status,
    zigzag,
)


async def test_cancelling_on_the_desktop_switches_the_open_phone_page_to_cancelled(
    start_server, phone, desktop, screenshot
):
    flow = await open_flow(start_server, desktop, phone, "signature", "svg", query="?poll=150")
    demo, page = flow.demo, flow.phone
    await expect(page.get_by_role("heading", name="Sign below")).to_be_visible()
    await wait_for_status(demo, "opened")
    # The first stroke on the pad is when capturing starts.
    box = await page.get_by_role("img", name="Signature pad").bounding_box()
    await touch_stroke(page, zigzag(box["x"] + 30, box["x"] + 90, box["y"] + box["height"] / 2, 20))
    await wait_for_status(demo, "action_started")

    await demo.get_by_role("button", name="Cancel").click()
    await wait_for_status(demo, "cancelled")
    await screenshot(demo, "demo-cancelled")
    await expect(page.get_by_role("heading", name="Cancelled")).to_be_visible(timeout=WAIT_MS)
    await expect(page.get_by_role("img", name="Signature pad")).to_have_count(0)
    await screenshot(page, "phone-cancelled")
    assert flow.errors == []


async def test_an_open_phone_page_switches_to_expired_when_the_session_runs_out(
    live_server, phone, screenshot
):
    page = await phone.new_page()
    await page.goto(live_server.base_url + "/static/phone.css")  # the browser is warm
    link = (await api_session(live_server, action_type="photo", output_format="jpg", session_ttl="2s"))["url"]
    await page.goto(link + "?poll=150")
    await expect(page.get_by_text("Take a photo")).to_be_visible()
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
    flow = await open_flow(start_server, desktop, phone, "signature", "png", desktop_script=sabotage)
    demo, page = flow.demo, flow.phone
    await expect(demo.locator("#demo")).to_have_attribute("data-transport", "polling")
    await wait_for_status(demo, "opened")
    box = await page.get_by_role("img", name="Signature pad").bounding_box()
    assert box is not None
    points = zigzag(box["x"] + 30, box["x"] + box["width"] - 30, box["y"] + box["height"] / 2, 30)
    await touch_stroke(page, points)
    await wait_for_status(demo, "action_started")
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=WAIT_MS)

    await wait_for_status(demo, "completed")
    await expect(demo.locator("#result img")).to_be_visible()
    await expect(demo.locator("#transport")).to_contain_text("completed; updates came by long-polling")
    await screenshot(demo, "demo-polling-completed")
    if sabotage == FAILING_WEBSOCKET:
        # It retried the websocket with backoff before settling on long-polling.
        assert await demo.evaluate("window.socketAttempts") == 3


async def test_an_open_scan_page_leaves_for_the_cancelled_page_when_the_desktop_cancels(
    live_server, phone, screenshot
):
    page = await phone.new_page()
    session = await api_session(live_server, action_type="scan", output_format="pdf")
    await page.goto(session["url"] + "?poll=150")
    await expect(page.get_by_role("heading", name="Scan a document")).to_be_visible()
    async with aiohttp.ClientSession() as http:
        url = f"{live_server.base_url}/api/v1/sessions/{session['id']}"
        async with http.delete(url, headers=A) as response:
            assert response.status == 200
    await expect(page.get_by_role("heading", name="Cancelled")).to_be_visible(timeout=WAIT_MS)
    await screenshot(page, "scan-cancelled")
