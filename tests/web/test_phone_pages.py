"""The phone pages as served: screens, script hooks, headers, and the no-script fallbacks."""

import re

import pytest

from aiohttp import FormData

from ..conftest import A
from ..media import jpeg


def upload_form(data: bytes, filename: str, content_type: str) -> FormData:
    form = FormData()
    form.add_field("file", data, filename=filename, content_type=content_type)
    return form


async def create(client, **body):
    response = await client.post("/api/v1/sessions", json=body, headers=A)
    assert response.status == 201
    session = await response.json()
    return session, session["url"].rsplit("/", 1)[1]


async def test_capture_page_carries_every_screen_and_the_status_poll(client):
    session, token = await create(client, action_type="signature", output_format="png")
    response = await client.get(f"/s/{token}")
    page = await response.text()
    for screen in ("screen-done", "screen-cancelled", "screen-expired", "script-fallback"):
        assert f'id="{screen}"' in page
    assert f'data-status-url="/s/{token}/status"' in page
    assert 'data-poll-ms="2500"' in page
    assert "Rotate your phone for more room" in page
    assert "<noscript>" in page
    assert session["id"] not in page and session["client_secret"] not in page


async def test_phone_pages_carry_the_security_headers(client):
    _, token = await create(client, action_type="photo", output_format="jpg")
    response = await client.get(f"/s/{token}")
    headers = response.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_pages_have_no_inline_script_or_style(client):
    _, token = await create(client, action_type="photo", output_format="jpg", intro_text="Hello")
    for path in (f"/s/{token}", f"/s/{token}/action"):
        page = await (await client.get(path)).text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", page)
        assert " style=" not in page and "<style" not in page
        assert not re.search(r"\son[a-z]+=", page)


async def test_photo_form_posted_without_script_leads_to_the_done_page(client):
    _, token = await create(client, action_type="photo", output_format="jpg")
    form = upload_form(jpeg(), "photo.jpg", "image/jpeg")
    response = await client.post(
        f"/s/{token}/result", data=form, headers={"Accept": "text/html"}, allow_redirects=False
    )
    assert response.status == 303
    assert response.headers["Location"] == f"/s/{token}"
    done = await client.get(f"/s/{token}")
    assert "Done" in await done.text()


async def test_photo_form_error_without_script_is_a_page_with_a_way_back(client):
    _, token = await create(client, action_type="photo", output_format="jpg")
    form = upload_form(b"plain text, not a photo", "notes.txt", "text/plain")
    response = await client.post(f"/s/{token}/result", data=form, headers={"Accept": "text/html"})
    assert response.status == 415
    assert response.content_type == "text/html"
    page = await response.text()
    assert "not a JPEG, PNG, WebP or HEIC image" in page
    assert f'href="/s/{token}/action"' in page


async def test_script_upload_still_gets_json(client):
    _, token = await create(client, action_type="photo", output_format="jpg")
    form = upload_form(b"plain text", "notes.txt", "text/plain")
    response = await client.post(f"/s/{token}/result", data=form, headers={"Accept": "application/json"})
    assert response.status == 415
    assert (await response.json())["code"]


async def test_static_assets_are_served_as_modules(client):
    for name in ("phone-common.js", "photo.js", "signature.js", "signature-pad.js", "handoff-client.js", "demo.js"):
        response = await client.get(f"/static/{name}")
        assert response.status == 200, name
        assert response.content_type in ("application/javascript", "text/javascript"), name


async def test_intro_page_watches_the_session_and_works_without_script(client):
    _, token = await create(client, action_type="photo", output_format="jpg", intro_text="**Front** side")
    page = await (await client.get(f"/s/{token}")).text()
    assert "<strong>Front</strong>" in page
    assert f'href="/s/{token}/action"' in page
    assert 'src="/static/intro.js"' in page
    assert f'data-status-url="/s/{token}/status"' in page
    assert "<noscript>" not in page


async def test_photo_page_without_script_keeps_a_send_button(client):
    _, token = await create(client, action_type="photo", output_format="jpg")
    page = await (await client.get(f"/s/{token}")).text()
    assert "<noscript><p class=\"noscript\">Choose a photo, then press Send." in page
    assert '<noscript><button class="button button--primary" type="submit">Send</button></noscript>' in page


ASKS = {
    "photo": "An app or website on your computer asks for a photo",
    "signature": "An app or website on your computer asks for your signature",
    "scan": "An app or website on your computer asks you to scan a document",
}


@pytest.mark.parametrize("action,fmt,intro", [
    ("photo", "jpg", ""), ("signature", "png", ""), ("scan", "pdf", ""), ("photo", "jpg", "Front side"),
])
async def test_every_capture_page_says_who_asks_in_its_title_and_share_preview(client, action, fmt, intro):
    _, token = await create(client, action_type=action, output_format=fmt, intro_text=intro)
    page = await (await client.get(f"/s/{token}")).text()
    ask = ASKS[action]
    assert f"<title>{ask}</title>" in page
    assert f'<meta property="og:title" content="{ask}">' in page
    assert re.search(r'<meta property="og:description" content="[^"]*Nothing is sent until you press Send', page)
    assert re.search(rf'id="requester">{ask}<', page)


async def test_the_done_page_still_says_who_asked(client):
    _, token = await create(client, action_type="photo", output_format="jpg")
    await client.post(f"/s/{token}/result", data=upload_form(jpeg(), "p.jpg", "image/jpeg"))
    page = await (await client.get(f"/s/{token}")).text()
    assert "<title>Done</title>" in page
    assert 'id="requester">An app or website on your computer asks for a photo<' in page


async def test_the_question_is_translated_in_the_share_preview(client):
    _, token = await create(client, action_type="signature", output_format="png", locale="fr")
    page = await (await client.get(f"/s/{token}")).text()
    ask = "Une application ou un site web sur votre ordinateur demande votre signature"
    assert f'<meta property="og:title" content="{ask}">' in page
    assert f"<title>{ask}</title>" in page


async def test_photo_form_without_script_sends_whichever_of_the_two_inputs_was_used(client):
    _, token = await create(client, action_type="photo", output_format="jpg")
    page = await (await client.get(f"/s/{token}")).text()
    assert re.search(r'<input id="camera" name="file" type="file" accept="image/\*" capture="environment"', page)
    assert re.search(r'<input id="library" name="file" type="file" accept="image/\*" class', page)
    form = FormData()
    form.add_field("file", jpeg(), filename="camera.jpg", content_type="image/jpeg")
    form.add_field("file", b"", filename="", content_type="application/octet-stream")  # the library, unused
    response = await client.post(f"/s/{token}/result", data=form, headers={"Accept": "text/html"},
                                 allow_redirects=False)
    assert response.status == 303
