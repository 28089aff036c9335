"""The signature flow in a real browser: drawn with real touch and mouse input."""

from playwright.async_api import expect

from .demo_steps import (
    WAIT_MS,
    download_result,
    mouse_stroke,
    open_flow,
    open_image,
    touch_stroke,
    wait_for_status,
    zigzag,
)

#: Counts the inked pixels of the pad's canvas inside a box given in CSS pixels.
INK_IN_BOX = """(canvas, [x0, y0, x1, y1]) => {
  const r = canvas.width / canvas.getBoundingClientRect().width;
  const data = canvas.getContext("2d").getImageData(x0 * r, y0 * r, (x1 - x0) * r, (y1 - y0) * r).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) inked += 1;
  return inked;
}"""


async def test_signature_drawn_with_undo_and_clear_reaches_the_desktop_with_ink_where_drawn(
    start_server, phone, desktop, screenshot
):
    flow = await open_flow(start_server, desktop, phone, "signature", "png")
    server, demo, page = flow.server, flow.demo, flow.phone
    pad = page.get_by_role("img", name="Signature pad")
    send = page.get_by_role("button", name="Send")
    undo = page.get_by_role("button", name="Undo")
    redo = page.get_by_role("button", name="Redo")
    clear = page.get_by_role("button", name="Clear")
    await expect(pad).to_be_visible()
    await expect(page.get_by_text("Rotate your phone for more room")).to_be_visible()
    await expect(send).to_be_disabled()
    await screenshot(page, "signature-empty")

    box = await pad.bounding_box()
    assert box is not None
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    # Regions in pad pixels: A on the left half, B on the right half.
    region_a = (0.08 * width, 0.25 * height, 0.45 * width, 0.75 * height)
    region_b = (0.55 * width, 0.25 * height, 0.92 * width, 0.75 * height)

    def on_page(points):
        return [(left + x, top + y) for x, y in points]

    # A single dot is not a signature.
    await page.mouse.click(left + width / 2, top + height / 2)
    await expect(undo).to_be_enabled()
    await expect(send).to_be_disabled()
    await undo.click()
    await expect(undo).to_be_disabled()

    await touch_stroke(page, on_page(zigzag(0.1 * width, 0.43 * width, 0.5 * height, 0.15 * height)))
    await expect(send).to_be_enabled()
    await mouse_stroke(page, on_page(zigzag(0.57 * width, 0.9 * width, 0.5 * height, 0.15 * height)))
    assert await pad.evaluate(INK_IN_BOX, region_a) > 200
    assert await pad.evaluate(INK_IN_BOX, region_b) > 200
    await screenshot(page, "signature-drawn")

    await undo.click()
    assert await pad.evaluate(INK_IN_BOX, region_b) == 0
    assert await pad.evaluate(INK_IN_BOX, region_a) > 200
    await clear.click()
    assert await pad.evaluate(INK_IN_BOX, region_a) == 0
    await expect(send).to_be_disabled()
    await expect(redo).to_be_enabled()
    await redo.click()  # Clear is undoable: the last stroke cleared (A) comes back first
    assert await pad.evaluate(INK_IN_BOX, region_a) > 200
    assert await pad.evaluate(INK_IN_BOX, region_b) == 0

    # Turning the phone keeps the drawing, redrawn at the new size.
    await page.set_viewport_size({"width": 844, "height": 390})
    await expect(page.get_by_text("Rotate your phone for more room")).to_be_hidden()
    await page.wait_for_function("document.getElementById('pad').getBoundingClientRect().width > 600")
    assert await pad.evaluate(INK_IN_BOX, (0, 0, 780, 250)) > 200
    await screenshot(page, "signature-landscape")
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.wait_for_function(f"document.getElementById('pad').getBoundingClientRect().width < {width + 1}")

    await send.click()
    await expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=WAIT_MS)
    await screenshot(page, "signature-done")

    await wait_for_status(demo, "completed")
    await demo.wait_for_function("document.querySelector('#result img')?.naturalWidth > 0")
    await screenshot(demo, "demo-signature-completed")
    content_type, data = await download_result(demo, server.base_url)
    assert content_type == "image/png"
    image = open_image(data)
    assert image.mode == "RGBA"
    scale = image.width / width
    assert abs(image.height / scale - height) < 2

    def inked(region) -> int:
        x0, y0, x1, y1 = (round(v * scale) for v in region)
        alpha = image.getchannel("A").crop((x0, y0, x1, y1))
        return alpha.width * alpha.height - alpha.histogram()[0]

    assert inked(region_a) > 500
    assert inked(region_b) == 0
    assert flow.errors == []


async def test_pen_strokes_carry_pressure_in_pad_pixels(start_server, phone, desktop):
    flow = await open_flow(start_server, desktop, phone, "signature", "svg")
    page = flow.phone
    pad = page.get_by_role("img", name="Signature pad")
    box = await pad.bounding_box()
    assert box is not None
    sent: list[dict] = []

    async def capture(route):
        sent.append(route.request.post_data_json)
        await route.continue_()

    await page.route("**/result", capture)
    cdp = await page.context.new_cdp_session(page)
    points = zigzag(box["x"] + 40, box["x"] + 240, box["y"] + 100, 25, steps=10)
    pressures = [0.2 + 0.06 * i for i in range(len(points))]
    for index, ((x, y), force) in enumerate(zip(points, pressures, strict=True)):
        kind = "mousePressed" if index == 0 else "mouseMoved"
        await cdp.send("Input.dispatchMouseEvent", {
            "type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1,
            "pointerType": "pen", "force": force,
        })
    await cdp.send("Input.dispatchMouseEvent", {
        "type": "mouseReleased", "x": points[-1][0], "y": points[-1][1], "button": "left",
        "clickCount": 1, "pointerType": "pen",
    })
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=WAIT_MS)

    body = sent[0]
    assert abs(body["width"] - box["width"]) < 1 and abs(body["height"] - box["height"]) < 1
    [stroke] = body["strokes"]
    assert len(stroke) >= len(points)
    for x, y, _t, pressure in stroke:
        assert 0 <= x <= body["width"] and 0 <= y <= body["height"]
        assert 0 < pressure <= 1
    assert stroke[-1][3] > stroke[0][3]  # the pen pressed harder as it went
    assert stroke[-1][2] >= stroke[0][2]  # times in milliseconds, in order
