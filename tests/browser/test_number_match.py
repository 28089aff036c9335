"""Number match in the browser: the demo shows the number, the phone picks it or a wrong one."""

import re

from playwright.async_api import expect

from .demo_steps import WAIT_MS, wait_for_status, watch_errors


async def start(start_server, desktop, phone, errors):
    server = await start_server(demo=True)
    demo = await desktop.new_page()
    watch_errors(demo, errors)
    await demo.goto(server.base_url + "/")
    await demo.get_by_label("Ask the phone to pick the number shown here").check()
    await demo.get_by_role("button", name="Start").click()
    await expect(demo.locator("#match-number")).to_have_text(re.compile(r"^\d\d$"), timeout=WAIT_MS)
    number = await demo.locator("#match-number").text_content()
    page = await phone.new_page()
    watch_errors(page, errors)
    await page.goto(await demo.locator("#phone-link").get_attribute("href"))
    return demo, page, number


async def test_the_right_number_leads_to_the_capture_screen(start_server, desktop, phone, screenshot):
    errors: list[str] = []
    demo, page, number = await start(start_server, desktop, phone, errors)
    await expect(page.get_by_role("heading", name="Which number does your computer show?")).to_be_visible()
    await screenshot(demo, "match-demo", full_page=False)
    await screenshot(page, "match-phone")
    await page.get_by_role("button", name=number, exact=True).click()
    await expect(page.get_by_role("button", name="Take a photo")).to_be_visible(timeout=WAIT_MS)
    await wait_for_status(demo, "opened")
    assert errors == []


async def test_a_wrong_number_cancels_and_explains(start_server, desktop, phone, screenshot):
    errors: list[str] = []
    demo, page, number = await start(start_server, desktop, phone, errors)
    buttons = page.locator("button[name=number]")
    values = [await buttons.nth(i).get_attribute("value") for i in range(3)]
    await page.get_by_role("button", name=next(v for v in values if v != number), exact=True).click()
    await expect(page.get_by_role("heading", name="This link did not come from your computer")).to_be_visible()
    await screenshot(page, "match-failed")
    await wait_for_status(demo, "cancelled")
    await expect(demo.locator("#transport")).to_contain_text("wrong number")
    assert errors == []
