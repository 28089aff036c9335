"""The signature pad: its size, its ink kept through a rotation, and the server drawing what it drew."""

import json
from base64 import b64decode

import numpy as np
import pytest
from PIL import Image, ImageFilter
from playwright.async_api import expect

from handoff.capture import pen

from .conftest import PHONE, SCREENSHOTS
from .demo_steps import (
    api_session, download_result, open_flow, open_image, touch_stroke, wait_for_status, zigzag,
)

INK_SHARE = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 127) inked += 1;
  return inked / (canvas.width * canvas.height);
}"""


#: True once the pad's canvas matches its box on the screen: the pad has resized and redrawn.
FITS = """() => {
  const canvas = document.getElementById("pad");
  const box = canvas.getBoundingClientRect();
  return canvas.width === Math.round(box.width * devicePixelRatio)
    && canvas.height === Math.round(box.height * devicePixelRatio);
}"""


async def pad_redrawn(page):
    """After a resize or rotation: wait for the pad's ResizeObserver to have redrawn it."""
    await page.wait_for_function(FITS)


async def open_pad(browser, server, size):
    context = await browser.new_context(**{**PHONE, "viewport": size})
    page = await context.new_page()
    session = await api_session(server, action_type="signature", output_format="png")
    await page.goto(session["url"])
    pad = page.get_by_role("img", name="Signature pad")
    await expect(pad).to_be_visible()
    return context, page, pad


@pytest.mark.parametrize("width,height", [(375, 667), (412, 915)])
async def test_the_pad_takes_45_percent_upright_and_most_of_the_height_turned(
    live_server, browser, screenshot, width, height
):
    context, page, pad = await open_pad(browser, live_server, {"width": width, "height": height})
    assert (await pad.bounding_box())["height"] >= 0.45 * height
    send = await page.get_by_role("button", name="Send").bounding_box()
    assert send["y"] + send["height"] <= height  # Send still on screen
    await screenshot(page, f"signature-pad-{width}x{height}", full_page=False)
    await page.set_viewport_size({"width": height, "height": width})
    await pad_redrawn(page)
    assert (await pad.bounding_box())["height"] >= 0.55 * width
    await screenshot(page, f"signature-pad-{height}x{width}", full_page=False)
    await context.close()


async def test_the_drawing_survives_a_rotation(live_server, browser, screenshot):
    context, page, pad = await open_pad(browser, live_server, {"width": 375, "height": 667})
    box = await pad.bounding_box()
    await touch_stroke(page, [(box["x"] + x, box["y"] + y) for x, y in zigzag(30, 320, box["height"] / 2, 40)])
    before = await pad.evaluate(INK_SHARE)
    assert before > 0.005
    await page.set_viewport_size({"width": 667, "height": 375})
    await pad_redrawn(page)
    await expect(page.get_by_role("button", name="Send")).to_be_enabled()
    # The drawing is scaled to fit the wider, lower pad: less of the canvas, all of the ink.
    assert await pad.evaluate(INK_SHARE) > 0.25 * before
    await page.set_viewport_size({"width": 375, "height": 667})
    await pad_redrawn(page)
    assert await pad.evaluate(INK_SHARE) == pytest.approx(before, rel=0.15)
    await screenshot(page, "signature-after-rotations", full_page=False)
    await context.close()


async def test_a_signature_too_small_says_why_send_is_off(live_server, browser, screenshot):
    context, page, pad = await open_pad(browser, live_server, {"width": 375, "height": 667})
    box = await pad.bounding_box()
    hint = page.locator("#send-hint")
    await expect(hint).to_be_hidden()
    await touch_stroke(page, [(box["x"] + 100 + i, box["y"] + 100) for i in range(4)])
    await expect(page.get_by_role("button", name="Send")).to_be_disabled()
    await expect(hint).to_have_text("Send is off: the signature is too small. Sign across the pad.")
    await screenshot(page, "signature-too-small", full_page=False)
    await touch_stroke(page, [(box["x"] + x, box["y"] + y) for x, y in zigzag(30, 320, box["height"] / 2, 40)])
    await expect(page.get_by_role("button", name="Send")).to_be_enabled()
    await expect(hint).to_be_hidden()
    await context.close()


def ink(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Where ``image`` has ink (alpha over half), at ``size``: a 1-bit mask."""
    alpha = image.getchannel("A").resize(size, Image.Resampling.BOX)
    return alpha.point(lambda a: 255 if a > 127 else 0)


def covered(mask: Image.Image, other: Image.Image, reach: int = 2) -> float:
    """The share of ``mask``'s ink that lies within ``reach`` pixels of ``other``'s."""
    near = np.asarray(other.filter(ImageFilter.MaxFilter(2 * reach + 1))) > 0
    inked = np.asarray(mask) > 0
    return float((inked & near).sum() / inked.sum())


async def test_the_server_draws_the_ink_the_phone_drew(start_server, desktop, phone, screenshot):
    flow = await open_flow(start_server, desktop, phone, "signature", "png")
    page = flow.phone
    sent: list[dict] = []

    async def capture(route):
        sent.append(route.request.post_data_json)
        await route.continue_()

    await page.route("**/result", capture)
    pad = page.get_by_role("img", name="Signature pad")
    box = await pad.bounding_box()
    # A slow wave then a fast one: thick then thin lines.
    slow = zigzag(box["x"] + 20, box["x"] + 170, box["y"] + box["height"] / 2, 50, steps=40)
    fast = zigzag(box["x"] + 190, box["x"] + box["width"] - 20, box["y"] + box["height"] / 2, 50, steps=6)
    await touch_stroke(page, slow)
    await touch_stroke(page, fast)
    phone_share = await pad.evaluate(INK_SHARE)
    canvas = open_image(b64decode((await pad.evaluate("(c) => c.toDataURL('image/png')")).split(",")[1]))
    # The server's width model is the pad's own, point for point.
    module_widths = await page.evaluate("""async () => {
      const { strokeWidths } = await import("/static/signature-pad.js");
      const stroke = [[0, 0, 0, 0], [2, 0, 16, 0], [40, 0, 20, 0.8], [41, 1, 60, 0], [120, 0, 62, 0]];
      return strokeWidths(stroke);
    }""")
    assert module_widths == pytest.approx(
        pen.widths([[[0, 0, 0, 0], [2, 0, 16, 0], [40, 0, 20, 0.8], [41, 1, 60, 0], [120, 0, 62, 0]]]).tolist()
    )
    await screenshot(page, "signature-ink-phone", full_page=False)
    await page.get_by_role("button", name="Send").click()
    await wait_for_status(flow.demo, "completed")
    content_type, data = await download_result(flow.demo, flow.server.base_url)
    assert content_type == "image/png"
    image = open_image(data)
    alpha = image.getchannel("A")
    server_share = sum(alpha.histogram()[128:]) / (image.width * image.height)
    # As much ink, within a fifth ...
    assert server_share == pytest.approx(phone_share, rel=0.2), (server_share, phone_share)
    # ... in the same places: each drawing's ink lies along the other's, to 2 px of the PNG.
    phone_ink, server_ink = ink(canvas, image.size), ink(image, image.size)
    assert covered(phone_ink, server_ink) > 0.97
    assert covered(server_ink, phone_ink) > 0.97
    assert all(len(point) == 4 for stroke in sent[0]["strokes"] for point in stroke)
    assert sent[0]["pointer_type"] == "touch" and sent[0]["device_pixel_ratio"] == 3
    image.save(SCREENSHOTS / "signature-ink-server.png")  # to look at beside signature-ink-phone
    side_by_side = Image.new("RGBA", (image.width * 2 + 20, image.height), "white")
    side_by_side.alpha_composite(canvas.resize(image.size, Image.Resampling.BOX))
    side_by_side.alpha_composite(image, (image.width + 20, 0))
    side_by_side.save(SCREENSHOTS / "signature-ink-side-by-side.png")  # phone left, server right
    assert flow.errors == [], json.dumps(flow.errors)
