"""Webhooks: signed Standard Webhooks deliveries to a real receiver, retried, listed, resumed."""

import asyncio
import time

import pytest
from standardwebhooks.webhooks import Webhook

from ..helpers import photo_form, token_of
from ..webhook_support import HOOK_KEY, OTHER_KEY, SECRET, Receiver, tenants_toml

HOOKED = {"X-API-Key": HOOK_KEY}
OTHER = {"X-API-Key": OTHER_KEY}


@pytest.fixture
async def receiver():
    started: list[Receiver] = []

    async def start(**behaviour) -> Receiver:
        receiver = await Receiver(**behaviour).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()


@pytest.fixture
def hooked(make_client, tmp_path):
    """``await hooked(url, **settings)``: a client of an app whose tenant 'hooked' sends to url."""

    async def factory(url: str, **overrides):
        path = tmp_path / "tenants.toml"
        path.write_text(tenants_toml(url))
        values = {"api_keys": (), "tenants_file": str(path), "webhook_retry_schedule": "50ms,50ms",
                  "webhook_timeout": 0.5}
        values.update(overrides)
        return await make_client(**values)

    return factory


async def create(client, headers=HOOKED) -> dict:
    response = await client.post("/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"},
                                 headers=headers)
    assert response.status == 201, await response.text()
    return await response.json()


async def deliveries(client, headers=HOOKED) -> list[dict]:
    response = await client.get("/api/v1/webhooks/deliveries", headers=headers)
    assert response.status == 200
    return (await response.json())["deliveries"]


async def until_delivery(client, predicate, timeout: float = 10.0) -> dict:
    """The first listed delivery that satisfies ``predicate``, looking until it exists."""
    async with asyncio.timeout(timeout):
        while True:
            for delivery in await deliveries(client):
                if predicate(delivery):
                    return delivery
            await asyncio.sleep(0.02)


def verified(hit) -> dict:
    """The payload, after the reference library checked the signature (raises if it is wrong)."""
    return Webhook(SECRET).verify(hit.body, hit.headers)


async def test_a_whole_session_is_delivered_signed_with_the_session_as_get_shows_it(hooked, receiver):
    hook = await receiver()
    client = await hooked(hook.url)
    session = await create(client)
    token = token_of(session)
    await client.get(f"/s/{token}")
    await client.post(f"/s/{token}/started")
    assert (await client.post(f"/s/{token}/result", data=photo_form())).status == 200
    current = await (await client.get(f"/api/v1/sessions/{session['id']}", headers=HOOKED)).json()
    hits = [await hook.next() for _ in range(3)]
    payloads = sorted((verified(hit) for hit in hits), key=lambda p: p["data"]["version"])
    assert [p["type"] for p in payloads] == ["session.opened", "session.action_started", "session.completed"]
    assert payloads[-1]["data"] == current  # result items included
    assert all(p["data"]["id"] == session["id"] for p in payloads)
    for hit in hits:
        assert hit.headers["webhook-id"].startswith("msg_")
        assert abs(int(hit.headers["webhook-timestamp"]) - time.time()) < 60
        assert hit.headers["webhook-signature"].startswith("v1,")
        assert hit.headers["Content-Type"] == "application/json"
    assert len({hit.headers["webhook-id"] for hit in hits}) == 3
    stamp = payloads[0]["timestamp"]
    assert stamp.endswith("Z") and stamp[:4].isdigit()


async def test_cancel_and_expiry_are_delivered_once_each(hooked, receiver):
    hook = await receiver()
    client = await hooked(hook.url, session_ttl=0.3)
    cancelled = await create(client)
    await client.delete(f"/api/v1/sessions/{cancelled['id']}", headers=HOOKED)
    expired = await create(client)
    ws = await client.ws_connect(f"/api/v1/sessions/{expired['id']}/ws?api_key={HOOK_KEY}")
    while (await ws.receive_json())["status"] != "expired":
        pass  # by now the cancelled session, whose deadline came first, has expired too
    await ws.close()
    first, second = verified(await hook.next()), verified(await hook.next())
    assert (first["type"], first["data"]["id"]) == ("session.cancelled", cancelled["id"])
    assert second == {"type": "session.expired", "timestamp": second["timestamp"],
                      "data": {"id": expired["id"], "status": "expired"}}
    tombstone = await (await client.get(f"/api/v1/sessions/{cancelled['id']}", headers=HOOKED)).json()
    assert tombstone["status"] == "expired"
    await until_delivery(client, lambda d: d["type"] == "session.expired" and d["status"] == "succeeded")
    assert hook.hits.empty() and len(await deliveries(client)) == 2  # none for the cancelled one's end


async def test_a_receiver_that_fails_at_first_gets_the_same_event_again(hooked, receiver):
    hook = await receiver(fail_first=2)
    client = await hooked(hook.url)
    session = await create(client)
    await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
    hits = [await hook.next() for _ in range(3)]
    assert [hit.status for hit in hits] == [500, 500, 200]
    assert len({hit.headers["webhook-id"] for hit in hits}) == 1
    assert len({hit.body for hit in hits}) == 1
    for hit in hits:
        verified(hit)
    delivery = await until_delivery(client, lambda d: d["status"] == "succeeded")
    assert delivery["attempts"] == 3 and delivery["last_status_code"] == 200
    assert delivery["id"] == hits[0].headers["webhook-id"] and delivery["type"] == "session.cancelled"
    assert delivery["session_id"] == session["id"] and "next_attempt_at" not in delivery
    metrics = await (await client.get("/metrics")).text()
    assert 'handoff_webhook_deliveries_total{outcome="retrying"} 2.0' in metrics
    assert 'handoff_webhook_deliveries_total{outcome="succeeded"} 1.0' in metrics


async def test_a_receiver_that_never_answers_fails_after_the_schedule(hooked, receiver):
    hook = await receiver(hang=True)
    client = await hooked(hook.url, webhook_timeout=0.3, webhook_retry_schedule="50ms")
    session = await create(client)
    await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
    delivery = await until_delivery(client, lambda d: d["status"] == "failed")
    assert delivery["attempts"] == 2 and delivery["last_error"] == "no answer within 0.3 s"
    assert "last_status_code" not in delivery


async def test_a_hanging_receiver_never_slows_the_api(hooked, receiver):
    hook = await receiver(hang=True)
    client = await hooked(hook.url, webhook_timeout=30)
    async with asyncio.timeout(10):  # far less than the 30 s a delivery on the request path would take
        for _ in range(10):
            session = await create(client)
            await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
        await hook.next()
    assert not hook.release.is_set()  # the first delivery is still being held


async def test_a_receiver_that_is_down_is_retried_then_failed(hooked):
    down = Receiver()  # never started: its port refuses connections
    client = await hooked(down.url)
    session = await create(client)
    await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
    delivery = await until_delivery(client, lambda d: d["status"] == "failed")
    assert delivery["attempts"] == 3
    assert delivery["last_error"].startswith("could not be sent")


async def test_redirects_are_not_followed(hooked, receiver):
    hook = await receiver(status=307)
    client = await hooked(hook.url, webhook_retry_schedule="")
    session = await create(client)
    await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
    delivery = await until_delivery(client, lambda d: d["status"] == "failed")
    assert delivery["last_status_code"] == 307 and delivery["last_error"] == "answered 307"
    assert (await hook.next()).body != "redirected"
    assert hook.hits.empty()  # /elsewhere was never asked


async def test_a_failed_delivery_can_be_sent_again_now_with_its_id(hooked, receiver):
    hook = await receiver(status=500)
    client = await hooked(hook.url, webhook_retry_schedule="")
    session = await create(client)
    await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
    failed = await until_delivery(client, lambda d: d["status"] == "failed")
    first = await hook.next()
    hook.status = 200
    response = await client.post(f"/api/v1/webhooks/deliveries/{failed['id']}/retry", headers=HOOKED)
    assert response.status == 202
    assert (await response.json())["status"] == "pending"
    again = await hook.next()
    assert again.headers["webhook-id"] == first.headers["webhook-id"] == failed["id"]
    verified(again)
    done = await until_delivery(client, lambda d: d["status"] == "succeeded")
    assert done["attempts"] == 2


@pytest.mark.parametrize("shared", [False, True], ids=["memory", "redis"])
async def test_retries_asked_for_at_once_while_one_is_sent_are_all_counted(
    hooked, receiver, shared, request
):
    store = {}
    if shared:
        store = {"redis_url": request.getfixturevalue("redis_server").url,
                 "redis_prefix": request.getfixturevalue("redis_prefix")}
    hook = await receiver()
    client = await hooked(hook.url, **store)
    session = await create(client)
    await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
    sent = await until_delivery(client, lambda d: d["status"] == "succeeded")
    url = f"/api/v1/webhooks/deliveries/{sent['id']}/retry"
    answers = await asyncio.gather(*(client.post(url, headers=HOOKED) for _ in range(20)))
    assert {a.status for a in answers} == {202}
    # Every retry has answered, so once the delivery reads succeeded nothing more is sent.
    done = await until_delivery(client, lambda d: d["status"] == "succeeded")
    assert 2 <= done["attempts"] == hook.seen, (done["attempts"], hook.seen)


async def test_deliveries_never_cross_tenants(hooked, receiver):
    hook = await receiver()
    client = await hooked(hook.url)
    session = await create(client)
    await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
    mine = await until_delivery(client, lambda d: d["status"] == "succeeded")
    other = await create(client, OTHER)  # a tenant without webhook: nothing is sent for it
    await client.delete(f"/api/v1/sessions/{other['id']}", headers=OTHER)
    assert await deliveries(client, OTHER) == []
    refused = await client.post(f"/api/v1/webhooks/deliveries/{mine['id']}/retry", headers=OTHER)
    assert refused.status == 404 and (await refused.json())["code"] == "delivery_not_found"
    assert [d["session_id"] for d in await deliveries(client)] == [session["id"]]


async def test_the_delivery_routes_need_an_api_key(hooked, receiver):
    hook = await receiver()
    client = await hooked(hook.url)
    session = await create(client)
    secret = {"Authorization": f"Bearer {session['client_secret']}"}
    assert (await client.get("/api/v1/webhooks/deliveries")).status == 401
    assert (await client.get("/api/v1/webhooks/deliveries", headers=secret)).status == 403
    missing = await client.post("/api/v1/webhooks/deliveries/msg_nope/retry", headers=HOOKED)
    assert missing.status == 404


async def test_a_delivery_waiting_in_redis_for_its_retry_is_sent_after_a_restart(
    hooked, receiver, redis_server, redis_prefix
):
    redis = {"redis_url": redis_server.url, "redis_prefix": redis_prefix}
    # Retries a second apart: enough of them that the first process cannot use them all up
    # while it stops, however slow the machine.
    schedule = "1s,1s,1s,1s,1s,1s"
    down = Receiver()  # never started: the first attempt is refused
    first = await hooked(down.url, webhook_retry_schedule=schedule, **redis)
    session = await create(first)
    await client_cancel(first, session)
    await until_delivery(first, lambda d: d["attempts"] >= 1 and d["status"] == "pending")
    await first.close()  # every process stops while the delivery waits for its retry
    hook = await receiver(port=down.port)
    second = await hooked(hook.url, webhook_retry_schedule=schedule, **redis)
    payload = verified(await hook.next())
    assert payload["type"] == "session.cancelled" and payload["data"]["id"] == session["id"]
    done = await until_delivery(second, lambda d: d["status"] == "succeeded")
    assert done["attempts"] >= 2


async def test_an_attempt_cut_short_by_a_shutdown_is_handed_to_the_next_process_at_once(
    hooked, receiver, redis_server, redis_prefix
):
    redis = {"redis_url": redis_server.url, "redis_prefix": redis_prefix}
    # The first receiver never answers, and the attempt's claim would hold the delivery for
    # the timeout plus a slack, far longer than the wait below: only the hand-back at
    # shutdown lets the second process send it in time.
    stuck = await receiver(hang=True)
    first = await hooked(stuck.url, webhook_timeout=30.0, **redis)
    session = await create(first)
    await client_cancel(first, session)
    cut = await stuck.next()
    await first.close()
    hook = await receiver()
    second = await hooked(hook.url, webhook_timeout=30.0, **redis)
    again = await hook.next(timeout=10.0)
    assert again.headers["webhook-id"] == cut.headers["webhook-id"]
    assert verified(again)["data"]["id"] == session["id"]
    done = await until_delivery(second, lambda d: d["status"] == "succeeded")
    assert done["attempts"] == 1  # the attempt cut short is not counted


async def test_with_redis_one_of_several_processes_sends_each_event(
    hooked, receiver, redis_server, redis_prefix
):
    redis = {"redis_url": redis_server.url, "redis_prefix": redis_prefix}
    hook = await receiver()
    first, second = await hooked(hook.url, **redis), await hooked(hook.url, **redis)
    session = await create(first)
    await client_cancel(second, session)
    hit = await hook.next()
    assert verified(hit)["type"] == "session.cancelled"
    await until_delivery(first, lambda d: d["status"] == "succeeded")
    listed = await deliveries(second)
    assert len(listed) == 1 and listed[0]["attempts"] == 1
    assert hook.hits.empty()


async def client_cancel(client, session) -> None:
    response = await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
    assert response.status == 200


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_deliveries_never_log_the_secret_or_the_key(hooked, receiver, fmt):
    import io
    import logging

    from handoff.logs import configure_logging

    buffer = io.StringIO()
    handler = configure_logging("debug", fmt, buffer)
    level = logging.getLogger().level
    try:
        hook = await receiver(fail_first=1)
        client = await hooked(hook.url)
        session = await create(client)
        await client.delete(f"/api/v1/sessions/{session['id']}", headers=HOOKED)
        await until_delivery(client, lambda d: d["status"] == "succeeded")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(level)
    logged = buffer.getvalue()
    assert "session.cancelled" in logged and session["id"] in logged
    for secret in (SECRET, SECRET.removeprefix("whsec_"), HOOK_KEY, session["client_secret"]):
        assert secret not in logged


async def test_a_change_after_shutdown_is_not_queued(hooked, receiver):
    from handoff.keys import webhooks_key
    from handoff.webhooks import Delivery

    hook = await receiver()
    client = await hooked(hook.url)
    sender = client.app[webhooks_key]
    await client.close()  # the sender stops before the store does
    before = asyncio.all_tasks()
    sender.submit(Delivery(id="msg_late", tenant="hooked", session_id="s", type="session.expired",
                           payload="{}", created_at=time.time(), next_attempt_at=time.time()))
    assert asyncio.all_tasks() == before  # nothing set off to write into the closed queue
    assert await sender.queue.recent("hooked", 10) == []
