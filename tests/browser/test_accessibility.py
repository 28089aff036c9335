"""axe-core on every phone page and the demo, at two phone sizes, upright and turned.

No serious or critical violation (contrast under 4.5:1, unlabelled controls and
the rest of axe's rules), and every control a finger must hit at least 44 px square.
"""

import aiohttp
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

from ..conftest import A
from ..media import jpeg
from .conftest import PHONE
from .demo_steps import WAIT_MS, api_session, start_demo_session, wait_for_status

SIZES = {
    "375x667": {"width": 375, "height": 667},
    "667x375": {"width": 667, "height": 375},
    "412x915": {"width": 412, "height": 915},
    "915x412": {"width": 915, "height": 412},
}
SERIOUS = {"serious", "critical"}
TARGET_PX = 44
#: Controls a finger must hit; links inside running text are exempt (WCAG 2.5.8's inline exception).
TARGETS_SCRIPT = """
(min) => [...document.querySelectorAll('button, a[href], input, select, textarea, [role=button]')]
  .filter((el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') return false;
    if (el.matches('.visually-hidden, .visually-hidden *')) return false;
    if (el.tagName === 'A' && el.closest('p, li, dd') && !el.classList.contains('button')) return false;
    if (el.type === 'radio' || el.type === 'checkbox') return false;  // their label is the target
    return box.width < min || box.height < min;
  })
  .map((el) => `${el.tagName.toLowerCase()}#${el.id || ''}.${el.className} `
                + `${Math.round(el.getBoundingClientRect().width)}x${Math.round(el.getBoundingClientRect().height)}`)
"""


async def problems(page: Page, name: str) -> list[str]:
    found = []
    results = await Axe().run(page)
    for violation in results.response["violations"]:
        if violation["impact"] in SERIOUS:
            targets = [node["target"] for node in violation["nodes"]][:3]
            found.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")
    small = await page.evaluate(TARGETS_SCRIPT, TARGET_PX)
    found += [f"{name}: target under {TARGET_PX}px: {what}" for what in small]
    return found


async def phone_paths(server) -> dict[str, str]:
    """A link to every phone page in its main state."""
    base = server.base_url
    paths = {}
    for action, extra in (("photo", {"output_format": "jpg"}), ("signature", {"output_format": "png"}),
                          ("scan", {"output_format": "pdf", "document_mode": "multi"})):
        paths[action] = (await api_session(server, action_type=action, **extra))["url"] + "/action"
    paths["intro"] = (await api_session(server, action_type="photo", output_format="jpg",
                                        intro_text="Photograph the **front** of your card."))["url"]
    paths["match"] = (await api_session(server, action_type="photo", output_format="jpg",
                                        confirm_match=True))["url"]
    paths["code"] = base + "/c"
    paths["wrong code"] = base + "/c/ZZZZ-ZZZZ"
    paths["not found"] = base + "/s/no-such-token"
    done = await api_session(server, action_type="photo", output_format="jpg")
    cancelled = await api_session(server, action_type="photo", output_format="jpg")
    async with aiohttp.ClientSession() as http:
        form = aiohttp.FormData()
        form.add_field("file", jpeg(), filename="p.jpg", content_type="image/jpeg")
        async with http.post(done["url"] + "/result", data=form) as sent:
            assert sent.status == 200
        async with http.delete(f"{base}/api/v1/sessions/{cancelled['id']}", headers=A) as gone:
            assert gone.status == 200
    paths["done"] = done["url"]
    paths["cancelled"] = cancelled["url"]
    return paths


@pytest.mark.parametrize("size", SIZES)
async def test_every_phone_page_passes_axe_and_has_big_enough_targets(start_server, browser, size, screenshot):
    server = await start_server(demo=True)
    paths = await phone_paths(server)
    context = await browser.new_context(**{**PHONE, "viewport": SIZES[size]})
    page = await context.new_page()
    found = []
    for name, url in paths.items():
        await page.goto(url)
        await page.wait_for_load_state("networkidle")
        found += await problems(page, name)
        if size == "375x667":
            await screenshot(page, f"a11y-{name.replace(' ', '-')}-{size}", full_page=False)
    await context.close()
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("size", SIZES)
async def test_the_demo_passes_axe_and_has_big_enough_targets(start_server, browser, size, screenshot):
    server = await start_server(demo=True)
    context = await browser.new_context(viewport=SIZES[size])
    demo = await context.new_page()
    await demo.goto(server.base_url + "/")
    found = await problems(demo, "demo start")
    link = await start_demo_session(demo, server.base_url, "photo", "jpg")
    found += await problems(demo, "demo waiting")
    async with aiohttp.ClientSession() as http:
        async with http.get(link) as opened:
            assert opened.status == 200
        await wait_for_status(demo, "opened")
        found += await problems(demo, "demo connected")
        form = aiohttp.FormData()
        form.add_field("file", jpeg(), filename="p.jpg", content_type="image/jpeg")
        async with http.post(link + "/result", data=form) as sent:
            assert sent.status == 200
    await wait_for_status(demo, "completed")
    await demo.locator("#result img").wait_for(timeout=WAIT_MS)
    found += await problems(demo, "demo result")
    if size == "375x667":
        await screenshot(demo, f"a11y-demo-result-{size}")
    await context.close()
    assert found == [], "\n".join(found)


async def test_the_check_finds_faint_text_an_unlabelled_field_and_a_small_button(browser):
    page = await browser.new_page()
    await page.set_content(
        '<html lang="en"><title>t</title><main><p style="color:#bbb;background:#fff">faint words</p>'
        '<input id="nameless"><button style="width:30px;height:30px">x</button></main></html>'
    )
    found = "\n".join(await problems(page, "sample"))
    assert "color-contrast (serious)" in found
    assert "label (critical)" in found
    assert "target under 44px: button" in found
    await page.close()
