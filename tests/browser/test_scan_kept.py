"""Scan pages are never lost on the phone: kept across reloads, undoable, turnable, asked about."""

import asyncio
import time

import aiohttp
from playwright.async_api import expect

from ..conftest import A
from ..scanmedia import ANGLED, grid_page, photographed
from .demo_steps import WAIT_MS
from .test_scan_browser import accept, capture, page_file

THUMBS = "#strip .thumb"
#: Notes each page's rotation field as the page adds it to its upload (kept across the reload).
RECORD_ROTATIONS = """
const append = FormData.prototype.append;
FormData.prototype.append = function (name, value, ...rest) {
  if (name === "rotation") {
    sessionStorage.rotations = JSON.stringify([...JSON.parse(sessionStorage.rotations || "[]"), value]);
  }
  return append.call(this, name, value, ...rest);
};
"""


async def scan_session(server) -> dict:
    async with aiohttp.ClientSession(server.base_url, headers=A) as api:
        created = await api.post("/api/v1/sessions", json={"action_type": "scan", "output_format": "images"})
        return await created.json()


async def status_of(server, session) -> str:
    async with aiohttp.ClientSession(server.base_url, headers=A) as api:
        response = await api.get(f"/api/v1/sessions/{session['id']}")
        return (await response.json())["status"]


async def two_pages(page) -> None:
    for n in (1, 2):
        await capture(page, page_file(f"p{n}.jpg", photographed(grid_page(marks=n), ANGLED)))
        await accept(page)
    await expect(page.locator(THUMBS)).to_have_count(2)


async def eventually(probe, check, seconds: float = WAIT_MS / 1000):
    """The probe's value once ``check`` accepts it (the page writes IndexedDB in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        value = await probe()
        if check(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def kept_pages(page) -> int:
    """How many pages IndexedDB holds for this link (read the way the page stores them)."""
    return await page.evaluate("""async () => {
      const token = location.pathname.split("/")[2];
      const db = await new Promise((ok, fail) => {
        const r = indexedDB.open("handoff-scan", 1);
        r.onupgradeneeded = () => r.result.createObjectStore("pages");
        r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
      });
      const kept = await new Promise((ok) => {
        const r = db.transaction("pages").objectStore("pages").get(token);
        r.onsuccess = () => ok(r.result); r.onerror = () => ok(null);
      });
      db.close();
      return kept ? kept.documents.flat().length : 0;
    }""")


async def test_pages_survive_a_reload_and_a_new_tab_and_go_once_sent(live_server, phone, screenshot):
    session = await scan_session(live_server)
    page = await phone.new_page()
    await page.goto(session["url"])
    await two_pages(page)
    assert await status_of(live_server, session) == "action_started"  # the first photo started it
    assert await eventually(lambda: kept_pages(page), lambda n: n == 2) == 2

    page.on("dialog", lambda dialog: dialog.accept())  # the reload asks first (see below)
    await page.reload()
    await expect(page.locator(THUMBS)).to_have_count(2, timeout=WAIT_MS)
    # As if the browser had been killed: a fresh tab of the same browser finds them too.
    await page.close()
    page = await phone.new_page()
    await page.goto(session["url"])
    await expect(page.locator(THUMBS)).to_have_count(2, timeout=WAIT_MS)
    await screenshot(page, "scan-restored")

    await page.click("#to-review")
    await page.click("#screen-review [data-act=send]")
    await expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=WAIT_MS)
    assert await kept_pages(page) == 0


async def test_leaving_with_unsent_pages_asks_first(live_server, phone):
    session = await scan_session(live_server)
    page = await phone.new_page()
    await page.goto(session["url"])
    await capture(page, page_file("p1.jpg", photographed(grid_page(marks=1), ANGLED)))
    await accept(page)
    dialogs = []

    async def answer(dialog):
        dialogs.append(dialog.type)
        await dialog.dismiss()

    page.on("dialog", answer)
    await page.close(run_before_unload=True)
    assert await eventually(lambda: asyncio.sleep(0, dialogs), bool) == ["beforeunload"]
    assert not page.is_closed()


async def test_a_deleted_page_can_be_put_back(live_server, phone, screenshot):
    session = await scan_session(live_server)
    page = await phone.new_page()
    await page.goto(session["url"])
    await two_pages(page)
    first = await page.locator(THUMBS).first.locator("img").get_attribute("src")
    await page.locator(THUMBS).first.click()
    await page.click("#selection [data-act=delete]")
    await expect(page.locator(THUMBS)).to_have_count(1)
    snackbar = page.get_by_role("status").filter(has_text="Page deleted.")
    await expect(snackbar).to_be_visible()
    await screenshot(page, "scan-undo-delete")
    await page.get_by_role("button", name="Undo").click()
    await expect(page.locator(THUMBS)).to_have_count(2)
    await expect(snackbar).to_be_hidden()
    assert await page.locator(THUMBS).first.locator("img").get_attribute("src") == first
    assert await eventually(lambda: kept_pages(page), lambda n: n == 2) == 2


async def test_a_turned_page_is_sent_with_its_rotation(live_server, phone, screenshot):
    session = await scan_session(live_server)
    page = await phone.new_page()
    await page.add_init_script(RECORD_ROTATIONS)
    await page.goto(session["url"])
    await two_pages(page)
    thumb = page.locator(THUMBS).nth(1)
    before = await thumb.locator("img").bounding_box()
    await thumb.click()
    await page.get_by_role("button", name="Rotate page a quarter turn clockwise").click()
    after = await eventually(lambda: thumb.locator("img").bounding_box(), lambda box: box is not None and box != before)
    assert after["width"] > after["height"] and before["height"] > before["width"]
    await screenshot(page, "scan-rotated")
    # The turn is kept like the pages are.
    page.on("dialog", lambda dialog: dialog.accept())
    await page.reload()
    await expect(page.locator(THUMBS)).to_have_count(2, timeout=WAIT_MS)

    await page.click("#to-review")
    await page.click("#screen-review [data-act=send]")
    await expect(page.get_by_role("heading", name="Done")).to_be_visible(timeout=WAIT_MS)
    assert await page.evaluate("JSON.parse(sessionStorage.rotations)") == ["0", "90"]
