"""The short code: the demo shows it beside the QR code, the phone types it at /c."""

import re

from playwright.async_api import expect

from .demo_steps import WAIT_MS, start_demo_session, wait_for_status, watch_errors


async def test_the_phone_reaches_the_session_by_typing_the_code_the_demo_shows(
    start_server, desktop, phone, screenshot
):
    server = await start_server(demo=True)
    errors: list[str] = []
    demo = await desktop.new_page()
    watch_errors(demo, errors)
    await start_demo_session(demo, server.base_url, "photo", "jpg")
    code = await demo.locator("#short-code").text_content()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    await expect(demo.locator("#code-url")).to_have_text(server.base_url.split("//")[1] + "/c")
    await screenshot(demo, "short-code-demo", full_page=False)

    page = await phone.new_page()
    watch_errors(page, errors)
    await page.goto(server.base_url + "/c")
    field = page.get_by_label("Code shown on your computer")
    await expect(field).to_be_focused()
    await field.fill(code.lower().replace("-", " "))
    await screenshot(page, "short-code-typed")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("button", name="Take a photo")).to_be_visible(timeout=WAIT_MS)
    assert "/s/" in page.url
    await wait_for_status(demo, "opened")
    assert errors == []


async def test_a_wrong_code_is_said_next_to_the_field(live_server, phone, screenshot):
    page = await phone.new_page()
    await page.goto(live_server.base_url + "/c")
    await page.get_by_label("Code shown on your computer").fill("zzzz-zzzz")
    await page.get_by_role("button", name="Continue").click()
    await expect(page.get_by_role("alert")).to_have_text(re.compile("No request has this code"))
    await expect(page.get_by_label("Code shown on your computer")).to_have_value("zzzz-zzzz")
    await screenshot(page, "short-code-wrong")
