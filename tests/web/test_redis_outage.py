"""With Redis away, the integrations answer 503 with a sentence (never 500), metrics still serve."""

from ..conftest import A
from ..redis_support import RedisServer


async def test_integrations_answer_503_while_redis_is_away(make_client, tmp_path, redis_prefix):
    server = RedisServer(tmp_path)
    server.start()
    try:
        client = await make_client(redis_url=server.url, redis_prefix=redis_prefix,
                                   redis_startup_wait=2)
        server.stop()
        create = await client.post("/api/v1/sessions", json={"action_type": "photo", "output_format": "jpg"},
                                   headers={**A, "Idempotency-Key": "order-9"})
        listing = await client.get("/api/v1/webhooks/deliveries", headers=A)
        for response in (create, listing):
            assert response.status == 503, await response.text()
            body = await response.json()
            assert body["code"] == "store_unavailable" and body["error"].endswith(".")
        metrics = await client.get("/metrics")
        assert metrics.status == 200
        text = await metrics.text()
        assert "handoff_http_requests_total" in text and "handoff_sessions_live" not in text
    finally:
        server.stop()
