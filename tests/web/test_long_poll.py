"""Conditional GET with ETag, and long-polling with ?wait=."""

import asyncio
import time

from ..conftest import A
from ..helpers import create, token_of


async def test_matching_if_none_match_is_304(client):
    created = await create(client)
    response = await client.get(
        f"/api/v1/sessions/{created['id']}", headers={**A, "If-None-Match": '"1"'}
    )
    assert response.status == 304
    assert response.headers["ETag"] == '"1"'


async def test_stale_if_none_match_gets_the_session(client):
    created = await create(client)
    await client.get(f"/s/{token_of(created)}")
    await client.post(f"/s/{token_of(created)}/started")
    response = await client.get(
        f"/api/v1/sessions/{created['id']}", headers={**A, "If-None-Match": '"1"'}
    )
    assert response.status == 200
    assert (await response.json())["version"] == 3  # opened, then action_started


async def test_wait_answers_as_soon_as_the_version_changes(client):
    created = await create(client)
    started = time.monotonic()
    poll = asyncio.create_task(
        client.get(f"/api/v1/sessions/{created['id']}?wait=30", headers={**A, "If-None-Match": '"1"'})
    )
    await asyncio.sleep(0.05)
    assert not poll.done()
    await client.get(f"/s/{token_of(created)}")
    response = await poll
    assert response.status == 200
    assert (await response.json())["status"] == "opened"
    assert time.monotonic() - started < 5


async def test_wait_times_out_with_304(client):
    created = await create(client)
    response = await client.get(
        f"/api/v1/sessions/{created['id']}?wait=0.2", headers={**A, "If-None-Match": '"1"'}
    )
    assert response.status == 304
    assert response.headers["ETag"] == '"1"'


async def test_wait_without_if_none_match_answers_at_once(client):
    created = await create(client)
    started = time.monotonic()
    response = await client.get(f"/api/v1/sessions/{created['id']}?wait=30", headers=A)
    assert response.status == 200
    assert time.monotonic() - started < 5


async def test_wait_must_be_a_number(client):
    created = await create(client)
    response = await client.get(
        f"/api/v1/sessions/{created['id']}?wait=soon", headers={**A, "If-None-Match": '"1"'}
    )
    assert response.status == 400
    assert (await response.json())["code"] == "invalid_wait"


async def test_long_poll_sees_expiry(make_client):
    client = await make_client(session_ttl=0.2)
    created = await create(client)
    response = await client.get(
        f"/api/v1/sessions/{created['id']}?wait=10", headers={**A, "If-None-Match": '"1"'}
    )
    assert response.status == 200
    assert await response.json() == {"id": created["id"], "status": "expired"}


async def test_bad_wait_is_refused_even_without_if_none_match(client):
    created = await create(client)
    response = await client.get(f"/api/v1/sessions/{created['id']}?wait=-1", headers=A)
    assert response.status == 400


async def test_a_weak_or_listed_if_none_match_naming_the_version_is_304_too(client):
    created = await create(client)
    for given in ('W/"1"', '"7", "1"', "*"):
        response = await client.get(
            f"/api/v1/sessions/{created['id']}", headers={**A, "If-None-Match": given})
        assert response.status == 304, given
    response = await client.get(
        f"/api/v1/sessions/{created['id']}", headers={**A, "If-None-Match": '"7", W/"8"'})
    assert response.status == 200
