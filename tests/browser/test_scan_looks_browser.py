"""Each scanned page's look is chosen on the phone, previewed there and applied by the server."""

import io

import aiohttp
import numpy as np
from PIL import Image
from playwright.async_api import expect
from yarl import URL

from ..conftest import A
from ..scanmedia import ANGLED, grid_page, photographed
from .test_scan_browser import capture, page_file

#: The preview canvas's distinct grey levels and how colourful it is (largest channel spread).
PREVIEW_LEVELS = """() => {
  const canvas = document.getElementById("preview");
  const px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const levels = new Set();
  let spread = 0;
  for (let i = 0; i < px.length; i += 4) {
    levels.add(px[i]);
    spread = Math.max(spread, Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]));
  }
  return { levels: levels.size, spread };
}"""


async def to_preview(page, marks: int) -> None:
    await capture(page, page_file(f"p{marks}.jpg", photographed(grid_page(marks=marks), ANGLED)))
    await page.click("#screen-crop [data-act=crop-done]")
    await page.wait_for_selector("#screen-preview:not([hidden])")


async def choose(page, look: str) -> None:
    await page.click(f'#looks [data-look="{look}"]')
    await expect(page.locator(f'#looks [data-look="{look}"]')).to_have_attribute("aria-checked", "true")


async def test_black_and_white_and_grey_turned_pages_arrive_as_chosen(live_server, phone, screenshot):
    async with aiohttp.ClientSession(live_server.base_url, headers=A) as api:
        created = await api.post("/api/v1/sessions", json={"action_type": "scan", "output_format": "images"})
        session = await created.json()
        page = await phone.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(session["url"])

        # Page 1 in black and white: the preview is two levels, the red marks gone.
        await to_preview(page, 1)
        assert (await page.evaluate(PREVIEW_LEVELS))["spread"] > 100  # auto keeps colour
        await choose(page, "bw")
        assert await page.evaluate(PREVIEW_LEVELS) == {"levels": 2, "spread": 0}
        await screenshot(page, "scan-looks-1-bw", full_page=False)
        await page.click("#screen-preview [data-act=accept]")

        # Page 2 in grey, then turned a quarter turn from the filmstrip.
        await to_preview(page, 2)
        await choose(page, "grayscale")
        preview = await page.evaluate(PREVIEW_LEVELS)
        assert preview["spread"] == 0 and preview["levels"] > 2
        await screenshot(page, "scan-looks-2-grey", full_page=False)
        await page.click("#screen-preview [data-act=accept]")
        await page.locator('.thumb[data-index="1"]').click()
        await page.click("#selection [data-act=rotate]")
        await screenshot(page, "scan-looks-3-strip")

        await page.click("#to-review")
        await page.click("#screen-review [data-act=send]")
        await page.wait_for_selector("text=Sent.")
        assert errors == []

        state = await (await api.get(f"/api/v1/sessions/{session['id']}")).json()
        (document,) = state["scan_result"]["documents"]
        images = []
        for item in document["pages"]:
            response = await api.get(URL(item["url"]).path)
            images.append((item["content_type"], Image.open(io.BytesIO(await response.read()))))
    (bw_type, bw), (grey_type, grey) = images
    assert bw_type == "image/png" and bw.mode == "1"
    assert bw.width < bw.height  # upright, as taken
    assert grey_type == "image/jpeg" and grey.mode == "L"
    assert grey.width > grey.height  # turned a quarter turn
    # Clockwise: the red marks at the page's top-left are now at its top-right.
    top_left, top_right = (mean(grey.crop(box)) for box in ((5, 5, 40, 40), (grey.width - 40, 5, grey.width - 5, 40)))
    assert top_right < 200 < 220 < top_left, (top_left, top_right)


def mean(image: Image.Image) -> float:
    return float(np.asarray(image).mean())
