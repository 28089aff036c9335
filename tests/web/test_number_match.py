"""Number match: with confirm_match the phone picks the computer's number before capturing."""

import re

from ..conftest import A
from ..helpers import create, photo_form, token_of

PAGE = {"Accept": "text/html"}


def offered(html: str) -> list[str]:
    return re.findall(r'name="number" value="(\d\d)"', html)


async def state(client, session) -> dict:
    return await (await client.get(f"/api/v1/sessions/{session['id']}", headers=A)).json()


def wrong(session) -> str:
    return "10" if session["match_number"] != "10" else "11"


async def test_without_the_flag_nothing_changes(client):
    session = await create(client)
    assert "match_number" not in session
    html = await (await client.get(f"/s/{token_of(session)}", headers=PAGE)).text()
    assert offered(html) == [] and "Take a photo" in html


async def test_with_the_flag_the_session_carries_two_digits_and_the_phone_offers_three(client):
    session = await create(client, confirm_match=True)
    assert re.fullmatch(r"[1-9]\d", session["match_number"])
    response = await client.get(f"/s/{token_of(session)}", headers=PAGE)
    assert response.status == 200
    html = await response.text()
    numbers = offered(html)
    assert len(set(numbers)) == 3 and session["match_number"] in numbers
    assert "Which number does your computer show?" in html and "Take a photo" not in html
    assert (await state(client, session))["status"] == "pending"
    again = await (await client.get(f"/s/{token_of(session)}/action", headers=PAGE)).text()
    assert offered(again) == numbers


async def test_the_right_number_opens_the_session_and_leads_on(client):
    session = await create(client, confirm_match=True)
    response = await client.post(f"/s/{token_of(session)}/match", data={"number": session["match_number"]},
                                 headers=PAGE, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == f"/s/{token_of(session)}"
    assert (await state(client, session))["status"] == "opened"
    html = await (await client.get(f"/s/{token_of(session)}", headers=PAGE)).text()
    assert "Take a photo" in html
    sent = await client.post(f"/s/{token_of(session)}/result", data=photo_form())
    assert sent.status == 200


async def test_a_wrong_number_cancels_at_once_and_says_why(client):
    session = await create(client, confirm_match=True)
    ws = await client.ws_connect(f"/api/v1/sessions/{session['id']}/ws", headers=A)
    assert (await ws.receive_json())["status"] == "pending"
    response = await client.post(f"/s/{token_of(session)}/match", data={"number": wrong(session)}, headers=PAGE)
    assert response.status == 410
    html = await response.text()
    assert "This link did not come from your computer" in html
    event = await ws.receive_json()
    assert (event["status"], event["cancel_reason"]) == ("cancelled", "match_failed")
    assert event["session"]["cancel_reason"] == "match_failed"
    await ws.close()
    current = await state(client, session)
    assert (current["status"], current["cancel_reason"]) == ("cancelled", "match_failed")
    later = await (await client.get(f"/s/{token_of(session)}", headers=PAGE)).text()
    assert "This link did not come from your computer" in later


async def test_nothing_can_be_captured_before_the_match(client):
    session = await create(client, confirm_match=True)
    token = token_of(session)
    started = await client.post(f"/s/{token}/started")
    assert started.status == 409 and (await started.json())["code"] == "match_required"
    sent = await client.post(f"/s/{token}/result", data=photo_form())
    assert sent.status == 409
    scan = await create(client, action_type="scan", output_format="pdf", confirm_match=True)
    finalize = await client.post(f"/s/{token_of(scan)}/scan/finalize")
    assert finalize.status == 409
    assert (await state(client, session))["status"] == "pending"


async def test_a_desktop_cancel_has_no_reason(client):
    session = await create(client)
    cancelled = await (await client.delete(f"/api/v1/sessions/{session['id']}", headers=A)).json()
    assert cancelled["status"] == "cancelled" and "cancel_reason" not in cancelled


async def test_the_match_page_speaks_the_phones_language(client):
    session = await create(client, confirm_match=True, locale="fr")
    html = await (await client.get(f"/s/{token_of(session)}", headers=PAGE)).text()
    assert "Quel nombre votre ordinateur affiche-t-il ?" in html
