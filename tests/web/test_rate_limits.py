"""Rate limits: creates per tenant, dead phone links per client address, 429 with Retry-After."""

import pytest
from pydantic import ValidationError

from handoff.cli.serve import startup_error
from handoff.settings import Settings

from ..conftest import B
from ..helpers import create, token_of


async def assert_refused(response) -> None:
    assert response.status == 429, await response.text()
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    body = await response.json()
    assert body["code"] == "rate_limited" and body["error"].endswith("s.")


async def post_create(client, headers):
    return await client.post("/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"},
                             headers=headers)


async def test_a_tenant_past_its_create_limit_gets_429_and_others_do_not(make_client):
    client = await make_client(rate_limit_create="3/minute")
    for _ in range(3):
        await create(client)
    await assert_refused(await post_create(client, {"X-API-Key": "key-a-0123456789"}))
    await create(client, B)


async def miss(client, token: str = "no-such-token-0123", forwarded: str | None = None):
    headers = {"Accept": "application/json"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return await client.get(f"/s/{token}", headers=headers)


async def test_dead_phone_links_past_the_limit_get_429_while_live_ones_work(make_client):
    client = await make_client(rate_limit_phone_misses="2/minute")
    session = await create(client)
    assert [(await miss(client)).status for _ in range(2)] == [404, 404]
    await assert_refused(await miss(client))
    assert (await client.get(f"/s/{token_of(session)}")).status == 200


async def test_expired_links_count_as_dead(make_client):
    client = await make_client(rate_limit_phone_misses="1/minute")
    session = await create(client)
    await client.delete(f"/api/v1/sessions/{session['id']}", headers={"X-API-Key": "key-a-0123456789"})
    assert (await miss(client, token_of(session))).status == 410
    await assert_refused(await miss(client, token_of(session)))


async def test_a_trusted_proxys_forwarded_address_is_the_client(make_client):
    client = await make_client(rate_limit_phone_misses="1/minute", forwarded_allow_ips=("127.0.0.1", "10.0.0.0/8"))
    assert (await miss(client, forwarded="203.0.113.5")).status == 404
    await assert_refused(await miss(client, forwarded="203.0.113.5"))
    # The first untrusted hop from the right: 10.0.0.7 is a trusted proxy, 198.51.100.1 the client.
    assert (await miss(client, forwarded="203.0.113.5, 198.51.100.1, 10.0.0.7")).status == 404
    await assert_refused(await miss(client, forwarded="198.51.100.1"))


async def test_an_untrusted_peers_forwarded_header_is_ignored(make_client):
    client = await make_client(rate_limit_phone_misses="1/minute", forwarded_allow_ips=())
    assert (await miss(client, forwarded="203.0.113.5")).status == 404
    await assert_refused(await miss(client, forwarded="203.0.113.6"))  # both are 127.0.0.1


async def test_limits_hold_across_servers_sharing_redis(make_client, redis_server, redis_prefix):
    options = {"rate_limit_create": "2/minute", "redis_url": redis_server.url, "redis_prefix": redis_prefix}
    first, second = await make_client(**options), await make_client(**options)
    await create(first)
    await create(second)
    await assert_refused(await post_create(first, {"X-API-Key": "key-a-0123456789"}))


@pytest.mark.parametrize(
    ("values", "name"),
    [({"rate_limit_create": "lots"}, "RATE_LIMIT_CREATE"),
     ({"rate_limit_phone_misses": "5 per fortnight"}, "RATE_LIMIT_PHONE_MISSES"),
     ({"rate_limit_code_misses": "ten a day"}, "RATE_LIMIT_CODE_MISSES"),
     ({"forwarded_allow_ips": "10.0.0.0/8,proxy.example"}, "FORWARDED_ALLOW_IPS")],
)
def test_bad_limits_stop_start_up_naming_the_variable(values, name):
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, **values)
    assert startup_error(error.value).startswith(f"invalid {name}: ")


async def test_wrong_short_codes_count_per_forwarded_client(make_client):
    CODE_FAILURES = 3
    client = await make_client(forwarded_allow_ips=("127.0.0.1",),
                               rate_limit_code_misses=f"{CODE_FAILURES} per 10 minutes")

    async def wrong(forwarded: str):
        return await client.get("/c/ZZZZ-ZZZZ", headers={"X-Forwarded-For": forwarded})

    for _ in range(CODE_FAILURES):
        assert (await wrong("203.0.113.5")).status == 404
    assert (await wrong("203.0.113.5")).status == 429
    assert (await wrong("203.0.113.6")).status == 404  # another phone behind the same proxy
