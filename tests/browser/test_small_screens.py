"""The capture pages fit a 320 px phone, upright and turned, without sideways scrolling."""

import pytest
from playwright.async_api import expect

from .demo_steps import api_session

SMALL = {"width": 320, "height": 568}
SMALL_LANDSCAPE = {"width": 568, "height": 320}


@pytest.mark.parametrize("action,fmt", [("photo", "jpg"), ("signature", "svg")])
async def test_capture_page_fits_a_small_phone_both_ways(live_server, phone, screenshot, action, fmt):
    page = await phone.new_page()
    await page.set_viewport_size(SMALL)
    await page.goto((await api_session(live_server, action_type=action, output_format=fmt))["url"])
    await expect(page.locator("#script-fallback")).to_have_count(0)
    for name, size in (("portrait", SMALL), ("landscape", SMALL_LANDSCAPE)):
        await page.set_viewport_size(size)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        if action == "signature":
            # Everything needed to sign and send is on screen without scrolling.
            send = await page.get_by_role("button", name="Send").bounding_box()
            assert send is not None and send["y"] + send["height"] <= size["height"]
            pad = await page.get_by_role("img", name="Signature pad").bounding_box()
            assert pad is not None and pad["height"] >= 120
        await screenshot(page, f"{action}-320-{name}")
