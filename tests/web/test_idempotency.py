"""Idempotent create: one session per (tenant, Idempotency-Key, body), replayed afterwards."""

import asyncio

import pytest

from handoff.keys import idempotency_key
from handoff.tenants import key_owner
from handoff.web.idempotency import fingerprint

from ..conftest import A, B, KEY_A

BODY = {"action_type": "photo", "output_format": "jpg", "metadata": {"case": "42"}}


def keyed(key: str, headers: dict[str, str] = A) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def post(client, key: str, body: dict = BODY, headers: dict[str, str] = A):
    return await client.post("/api/v1/sessions", json=body, headers=keyed(key, headers))


async def listed(client, headers=A) -> list[str]:
    return [s["id"] for s in (await (await client.get("/api/v1/sessions", headers=headers)).json())["sessions"]]


@pytest.fixture(params=["memory", "redis"])
async def servers(request, make_client):
    """Two apps sharing their state (Redis), or one app twice (memory)."""
    if request.param == "memory":
        client = await make_client()
        return client, client
    server = request.getfixturevalue("redis_server")
    options = {"redis_url": server.url, "redis_prefix": request.getfixturevalue("redis_prefix")}
    return await make_client(**options), await make_client(**options)


async def test_a_repeat_with_the_same_body_answers_the_same_session(servers):
    first, second = servers
    original = await post(first, "order-1")
    assert original.status == 201 and "Idempotent-Replayed" not in original.headers
    # Same JSON with its keys in another order is the same body.
    again = await post(second, "order-1", dict(reversed(list(BODY.items()))))
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.read() == await original.read()
    for name in ("Location", "ETag", "Content-Type"):
        assert again.headers[name] == original.headers[name]
    assert len(await listed(first)) == 1


async def test_the_same_key_with_another_body_is_refused(servers):
    first, second = servers
    await post(first, "order-2")
    response = await post(second, "order-2", {**BODY, "metadata": {"case": "43"}})
    assert response.status == 422
    assert (await response.json())["code"] == "idempotency_key_reused"


async def test_a_repeat_while_the_first_is_in_progress_is_told_to_wait(servers):
    first, second = servers
    store = first.app[idempotency_key]
    body = b'{"action_type": "photo", "output_format": "jpg"}'
    claim = await store.begin(key_owner(KEY_A), "order-3", fingerprint(body))  # the first, mid-way
    response = await second.post("/api/v1/sessions", data=body, headers=keyed("order-3"))
    assert response.status == 409
    assert (await response.json())["code"] == "idempotency_key_in_use"
    await store.release(key_owner(KEY_A), "order-3", claim)  # the first failed: a retry may go
    assert (await second.post("/api/v1/sessions", data=body, headers=keyed("order-3"))).status == 201


async def test_racing_repeats_create_exactly_one_session(servers):
    first, second = servers
    responses = await asyncio.gather(*(post((first, second)[i % 2], "order-race") for i in range(20)))
    statuses = [r.status for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    made = [r for r in responses if r.status == 201 and "Idempotent-Replayed" not in r.headers]
    assert len(made) == 1
    ids = {(await r.json())["id"] for r in responses if r.status == 201}
    assert len(ids) == 1 and await listed(first) == list(ids)


async def test_keys_belong_to_their_tenant(servers):
    first, second = servers
    mine = await (await post(first, "shared-key")).json()
    theirs = await post(second, "shared-key", headers=B)
    assert theirs.status == 201 and "Idempotent-Replayed" not in theirs.headers
    assert (await theirs.json())["id"] != mine["id"]


async def test_a_failed_create_is_not_remembered(client):
    bad = await post(client, "order-4", {"action_type": "photo", "output_format": "tiff"})
    assert bad.status == 400
    good = await post(client, "order-4", {"action_type": "photo", "output_format": "jpg"})
    assert good.status == 201 and "Idempotent-Replayed" not in good.headers


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "tab\tkey", "ümlaut"])
async def test_a_malformed_key_is_refused_with_a_sentence(client, key):
    response = await client.post("/api/v1/sessions", json=BODY,
                                 headers={**A, "Idempotency-Key": key.encode().decode("latin-1")})
    assert response.status == 400
    body = await response.json()
    assert body["code"] == "invalid_idempotency_key" and "255" in body["error"]


async def test_a_structured_field_string_key_is_the_same_key(client):
    await post(client, "order-5")
    again = await post(client, '"order-5"')
    assert again.headers["Idempotent-Replayed"] == "true"
