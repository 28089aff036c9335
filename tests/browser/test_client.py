"""The browser client on its own, as an integrator's page would load it."""

import asyncio

import aiohttp

from ..media import jpeg
from .demo_steps import api_session

START = """async ({eventsUrl, sessionUrl, secret}) => {
  const { watchSession } = await import("/static/handoff-client.js");
  window.seen = [];
  window.errors = [];
  window.watcher = watchSession({
    eventsUrl, sessionUrl, clientSecret: secret, baseDelay: 50,
    onChange: (session, { transport }) => window.seen.push([session.status, transport]),
    onError: (error) => window.errors.push([error.status, error.code]),
  });
}"""


async def cancel(server, session: dict) -> None:
    async with aiohttp.ClientSession() as http:
        response = await http.delete(
            server.base_url + f"/api/v1/sessions/{session['id']}",
            headers={"Authorization": f"Bearer {session['client_secret']}"},
        )
        assert response.status == 200


async def desktop_page(server, desktop):
    page = await desktop.new_page()
    await page.goto(server.base_url + "/static/phone.css")  # any page of the server's origin
    return page


async def test_client_reports_each_status_once_and_is_silent_after_stop(live_server, desktop, phone):
    session = await api_session(live_server, action_type="photo", output_format="jpg")
    page = await desktop_page(live_server, desktop)
    await page.evaluate(START, {"eventsUrl": session["events_url"],
                                "sessionUrl": f"/api/v1/sessions/{session['id']}",
                                "secret": session["client_secret"]})
    await page.wait_for_function("() => window.seen.length === 1")
    phone_page = await phone.new_page()
    await phone_page.goto(session["url"])
    await phone_page.set_input_files("#camera", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg(64, 48)}])
    await page.wait_for_function("() => window.seen.length === 3")
    assert await page.evaluate("window.seen") == [
        ["pending", "websocket"], ["opened", "websocket"], ["action_started", "websocket"]
    ]

    await page.evaluate("window.watcher.stop()")
    await cancel(live_server, session)  # would be reported if the client still listened
    await asyncio.sleep(0.3)
    assert len(await page.evaluate("window.seen")) == 3
    assert await page.evaluate("window.errors") == []


async def test_client_reports_a_refused_secret_and_stops(live_server, desktop):
    session = await api_session(live_server, action_type="signature", output_format="svg")
    page = await desktop_page(live_server, desktop)
    await page.evaluate(START, {"eventsUrl": session["events_url"],
                                "sessionUrl": f"/api/v1/sessions/{session['id']}",
                                "secret": "not-the-secret"})
    await page.wait_for_function("() => window.errors.length > 0")
    assert await page.evaluate("window.errors") == [[401, "invalid_credentials"]]
    assert await page.evaluate("window.seen") == []


async def test_client_learns_of_a_cancellation_that_happened_before_it_connected(live_server, desktop):
    session = await api_session(live_server, action_type="photo", output_format="jpg")
    await cancel(live_server, session)
    page = await desktop_page(live_server, desktop)
    # The websocket refuses a cancelled session (410); the client asks over HTTP instead.
    await page.evaluate(START, {"eventsUrl": session["events_url"],
                                "sessionUrl": f"/api/v1/sessions/{session['id']}",
                                "secret": session["client_secret"]})
    await page.wait_for_function("() => window.seen.length > 0")
    await asyncio.sleep(0.2)
    assert [status for status, _ in await page.evaluate("window.seen")] == ["cancelled"]
    assert await page.evaluate("window.errors") == []
