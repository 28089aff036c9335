"""The phone's pages and status probe."""

import pytest

from ..conftest import A
from ..helpers import create, send_photo, token_of

HTML = {"Accept": "text/html"}


async def _session_status(client, created):
    return (await (await client.get(f"/api/v1/sessions/{created['id']}", headers=A)).json())["status"]


async def test_first_load_without_intro_goes_straight_to_capture(client):
    created = await create(client)
    page = await client.get(f"/s/{token_of(created)}", headers=HTML)
    assert page.status == 200
    html = await page.text()
    assert 'type="file"' in html and 'capture="environment"' in html
    assert await _session_status(client, created) == "opened"


async def test_capturing_starts_when_the_phone_says_so_not_when_the_page_loads(client):
    created = await create(client)
    token = token_of(created)
    await client.get(f"/s/{token}/action", headers=HTML)
    assert await _session_status(client, created) == "opened"
    started = await client.post(f"/s/{token}/started")
    assert started.status == 204
    assert await _session_status(client, created) == "action_started"
    again = await client.post(f"/s/{token}/started")
    assert again.status == 204
    detail = await (await client.get(f"/api/v1/sessions/{created['id']}", headers=A)).json()
    assert detail["version"] == 3  # pending → opened → action_started, and no more


async def test_started_on_a_finished_or_unknown_link_says_why(client):
    created = await create(client)
    await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    gone = await client.post(f"/s/{token_of(created)}/started")
    assert gone.status == 410
    assert (await gone.json())["code"] == "session_cancelled"
    unknown = await client.post("/s/nothing-here/started")
    assert unknown.status == 404


async def test_intro_page_comes_first_and_continue_shows_the_capture_screen(client):
    created = await create(client, intro_text="Photograph the **front** of your ID card.")
    token = token_of(created)
    page = await client.get(f"/s/{token}", headers=HTML)
    html = await page.text()
    assert "<strong>front</strong>" in html
    assert f'href="/s/{token}/action"' in html
    assert await _session_status(client, created) == "opened"
    action = await client.get(f"/s/{token}/action", headers=HTML)
    assert action.status == 200
    assert 'data-started-url="/s/' in await action.text()
    assert await _session_status(client, created) == "opened"


async def test_intro_text_never_becomes_raw_html(client):
    created = await create(
        client,
        intro_text='<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))',
    )
    html = await (await client.get(f"/s/{token_of(created)}", headers=HTML)).text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in html


async def test_reloading_does_not_move_the_status_back(client):
    created = await create(client)
    await client.get(f"/s/{token_of(created)}", headers=HTML)
    await client.post(f"/s/{token_of(created)}/started")
    await client.get(f"/s/{token_of(created)}", headers=HTML)
    response = await client.get(f"/api/v1/sessions/{created['id']}", headers=A)
    body = await response.json()
    assert (body["status"], body["version"]) == ("action_started", 3)


async def test_signature_page_has_a_pad(client):
    created = await create(client, action_type="signature", output_format="png")
    html = await (await client.get(f"/s/{token_of(created)}", headers=HTML)).text()
    assert "<canvas" in html


async def test_completed_session_shows_the_done_page(client):
    created = await create(client)
    await send_photo(client, created)
    page = await client.get(f"/s/{token_of(created)}", headers=HTML)
    assert page.status == 200
    assert "return to your computer" in (await page.text()).lower()


async def test_cancelled_session_shows_a_410_page(client):
    created = await create(client)
    await client.delete(f"/api/v1/sessions/{created['id']}", headers=A)
    page = await client.get(f"/s/{token_of(created)}", headers=HTML)
    assert page.status == 410
    assert "cancelled" in (await page.text()).lower()
    status = await client.get(f"/s/{token_of(created)}/status")
    assert await status.json() == {"status": "cancelled"}


async def test_unknown_token_shows_a_404_page(client):
    page = await client.get("/s/not-a-real-token", headers=HTML)
    assert page.status == 404
    assert page.content_type == "text/html"
    status = await client.get("/s/not-a-real-token/status")
    assert status.status == 404
    assert (await status.json())["code"] == "session_not_found"


async def test_status_probe_follows_the_session(client):
    created = await create(client)
    url = f"/s/{token_of(created)}/status"
    assert await (await client.get(url)).json() == {"status": "pending"}
    await client.get(f"/s/{token_of(created)}", headers=HTML)
    assert await (await client.get(url)).json() == {"status": "opened"}
    await client.post(f"/s/{token_of(created)}/started")
    assert await (await client.get(url)).json() == {"status": "action_started"}


@pytest.mark.parametrize("suffix", ["", "/action", "/status"])
async def test_phone_responses_carry_the_security_headers(client, suffix):
    created = await create(client)
    response = await client.get(f"/s/{token_of(created)}{suffix}", headers=HTML)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_phone_pages_never_reveal_the_session_id_or_secret(client):
    created = await create(client, intro_text="Hello")
    for path in ("", "/action"):
        html = await (await client.get(f"/s/{token_of(created)}{path}", headers=HTML)).text()
        assert created["id"] not in html
        assert created["client_secret"] not in html


async def test_pages_have_no_inline_script(client):
    created = await create(client, action_type="signature", output_format="svg")
    html = await (await client.get(f"/s/{token_of(created)}", headers=HTML)).text()
    for tag in html.split("<script")[1:]:
        assert 'src="' in tag.split(">", 1)[0]


async def test_a_head_probe_does_not_open_the_session(client):
    created = await create(client)
    response = await client.head(f"/s/{token_of(created)}")
    assert response.status == 405
    assert await _session_status(client, created) == "pending"


async def test_phone_json_is_compact_like_the_api(client):
    created = await create(client)
    response = await client.get(f"/s/{token_of(created)}/status")
    assert await response.read() == b'{"status":"pending"}'
