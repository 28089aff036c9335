"""Short codes: the phone types the code the computer shows at /c when the QR code fails."""

import asyncio

import aiohttp
import re

from handoff import shortcode
from handoff.settings import Settings

from ..conftest import A, BASE_URL
from ..helpers import create, send_photo, token_of

PAGE = {"Accept": "text/html"}
#: Wrong codes an address may type by default (``RATE_LIMIT_CODE_MISSES``).
CODE_FAILURES = int(Settings.model_fields["rate_limit_code_misses"].default.split()[0])


def wrong_code(session: dict) -> str:
    code = session["short_code"]
    return ("1" if code[0] != "1" else "2") + code[1:]


async def test_a_session_shows_its_short_code_and_where_to_type_it(client):
    session = await create(client)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", session["short_code"])
    assert session["short_code_url"] == f"{BASE_URL}/c"
    again = await (await client.get(f"/api/v1/sessions/{session['id']}", headers=A)).json()
    assert again["short_code"] == session["short_code"]


async def test_the_code_page_has_one_labelled_field(client):
    response = await client.get("/c", headers=PAGE)
    assert response.status == 200
    html = await response.text()
    assert len(re.findall(r"<input ", html)) == 1
    assert '<label class="field" for="code">' in html and 'id="code"' in html
    assert 'method="post" action="/c"' in html


async def test_posting_the_code_leads_to_the_sessions_page(client):
    session = await create(client)
    response = await client.post("/c", data={"code": session["short_code"]}, headers=PAGE,
                                 allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == f"/s/{token_of(session)}"


async def test_a_code_in_the_address_leads_to_the_sessions_page(client):
    session = await create(client)
    response = await client.get(f"/c/{session['short_code']}", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == f"/s/{token_of(session)}"


async def test_case_spaces_and_hyphens_do_not_matter(client):
    session = await create(client)
    typed = " ".join(session["short_code"].replace("-", "").lower())
    response = await client.post("/c", data={"code": typed}, allow_redirects=False)
    assert response.status == 303


async def test_lookalike_letters_are_read_as_digits(client):
    session = await create(client)
    code = session["short_code"].replace("-", "")
    typed = code.translate(str.maketrans({"0": "o", "1": "L"}))
    response = await client.post("/c", data={"code": typed}, allow_redirects=False)
    assert response.status == 303
    assert shortcode.normalize("O0Il-l1oi") == "00111101"


async def test_following_the_code_opens_the_session(client):
    session = await create(client)
    response = await client.get(f"/c/{session['short_code']}", headers=PAGE)
    assert response.status == 200 and "Take a photo" in await response.text()
    state = await (await client.get(f"/api/v1/sessions/{session['id']}", headers=A)).json()
    assert state["status"] == "opened"


async def test_a_wrong_code_shows_the_field_again_with_a_sentence(client):
    session = await create(client)
    response = await client.post("/c", data={"code": wrong_code(session)}, headers=PAGE)
    assert response.status == 404
    html = await response.text()
    assert "No request has this code." in html and 'aria-invalid="true"' in html
    assert f'value="{wrong_code(session)}"' in html


async def test_a_code_works_only_while_its_session_waits_for_the_phone(make_client):
    client = await make_client()
    done, cancelled, expired = (await create(client), await create(client),
                                await create(client, session_ttl=1))
    await send_photo(client, done)
    await client.delete(f"/api/v1/sessions/{cancelled['id']}", headers=A)
    await asyncio.sleep(1.1)
    for session in (done, cancelled, expired):
        response = await client.get(f"/c/{session['short_code']}", allow_redirects=False)
        assert response.status == 404, session["status"]


async def test_wrong_codes_are_limited_per_client_with_retry_after(client):
    session = await create(client)
    for _ in range(CODE_FAILURES):
        assert (await client.post("/c", data={"code": wrong_code(session)})).status == 404
    limited = await client.post("/c", data={"code": session["short_code"]}, allow_redirects=False)
    assert limited.status == 429
    assert 540 <= int(limited.headers["Retry-After"]) <= 600
    assert "Too many wrong codes from this network. Wait 10 minutes" in await limited.text()
    assert (await client.get(f"/c/{session['short_code']}", allow_redirects=False)).status == 429


async def test_with_redis_every_worker_shares_the_count_of_wrong_codes(
    make_client, redis_server, redis_prefix
):
    shared = {"redis_url": redis_server.url, "redis_prefix": redis_prefix,
              "rate_limit_code_misses": "4 per 10 minutes"}
    first, second = await make_client(**shared), await make_client(**shared)
    for worker in (first, second, first, second):
        assert (await worker.get("/c/ZZZZ-ZZZZ", allow_redirects=False)).status == 404
    for worker in (first, second):
        limited = await worker.get("/c/ZZZZ-ZZZZ", allow_redirects=False)
        assert limited.status == 429 and 590 <= int(limited.headers["Retry-After"]) <= 600
    alone = await make_client(redis_url=redis_server.url, redis_prefix=f"{redis_prefix}-other",
                              rate_limit_code_misses="4 per 10 minutes")
    assert (await alone.get("/c/ZZZZ-ZZZZ", allow_redirects=False)).status == 404


async def test_a_code_sent_in_another_body_type_is_refused_and_not_counted(make_client):
    client = await make_client(rate_limit_code_misses="1 per 10 minutes")
    session = await create(client)
    form = aiohttp.FormData({"code": session["short_code"]})
    form.add_field("file", b"x", filename="x")  # forces multipart/form-data
    for sent in ({"data": form}, {"json": {"code": session["short_code"]}}):
        refused = await client.post("/c", allow_redirects=False, **sent)
        assert refused.status == 415, await refused.text()
        assert "application/x-www-form-urlencoded" in (await refused.json())["error"]
    # Neither counted as a wrong code: the one allowed miss is still there, then the limit.
    assert (await client.post("/c", data={"code": wrong_code(session)})).status == 404
    assert (await client.post("/c", data={"code": session["short_code"]},
                              allow_redirects=False)).status == 429


async def test_right_codes_do_not_count_against_the_limit(client):
    session = await create(client)
    for _ in range(CODE_FAILURES + 2):
        response = await client.get(f"/c/{session['short_code']}", allow_redirects=False)
        assert response.status == 303


async def test_the_code_pages_speak_the_phones_language(client):
    response = await client.get("/c/ZZZZ-ZZZZ", headers={**PAGE, "Accept-Language": "de"})
    html = await response.text()
    assert '<html lang="de"' in html
    assert "Code eingeben" in html
