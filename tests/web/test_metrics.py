"""Prometheus metrics: every promised name, figures that move, no ids in labels."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ..conftest import A, KEY_A
from ..helpers import complete, create, send_photo, token_of

NAMES = {
    "handoff_http_requests", "handoff_http_request_duration_seconds", "handoff_sessions_created",
    "handoff_sessions_finished", "handoff_sessions_live", "handoff_websockets_open",
    "handoff_upload_processing_seconds", "handoff_upload_rejections",
    "handoff_webhook_deliveries",
}


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def scrape(client, headers=None) -> dict[tuple[str, tuple], float]:
    response = await client.get("/metrics", headers=headers or {})
    assert response.status == 200, await response.text()
    assert response.content_type == "text/plain"
    return samples(await response.text())


def value(figures, name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_every_promised_metric_is_described(client):
    text = await (await client.get("/metrics")).text()
    described = {family.name for family in text_string_to_metric_families(text)}
    assert NAMES <= described, NAMES - described


async def test_a_whole_session_moves_the_figures(client):
    before = await scrape(client)
    session = await create(client)
    ws = await client.ws_connect(f"/api/v1/sessions/{session['id']}/ws?api_key={KEY_A}")
    await ws.receive_json()
    during = await scrape(client)
    await complete(client, session)
    await ws.receive_json()
    await ws.close()
    after = await scrape(client)
    assert value(after, "handoff_sessions_created_total", action="photo") == 1
    assert value(before, "handoff_sessions_live") == 0 and value(during, "handoff_sessions_live") == 1
    assert value(during, "handoff_websockets_open") == 1 and value(after, "handoff_websockets_open") == 0
    assert value(after, "handoff_sessions_finished_total", action="photo", status="completed") == 1
    assert value(after, "handoff_upload_processing_seconds_count", action="photo") == 1
    assert value(after, "handoff_http_requests_total", route="sessions", method="POST", status="201") == 1
    assert value(after, "handoff_http_request_duration_seconds_count", route="session_result") == 1
    assert value(after, "handoff_http_requests_total", route="session_ws", method="GET", status="101") == 1


async def test_cancelled_and_expired_sessions_count_as_finished(make_client):
    client = await make_client(session_ttl=0.3)
    cancelled = await create(client, action_type="signature", output_format="svg")
    await client.delete(f"/api/v1/sessions/{cancelled['id']}", headers=A)
    short = await create(client)
    ws = await client.ws_connect(f"/api/v1/sessions/{short['id']}/ws?api_key={KEY_A}")
    while (await ws.receive_json())["status"] != "expired":
        pass
    await ws.close()
    figures = await scrape(client)
    assert value(figures, "handoff_sessions_finished_total", action="photo", status="expired") == 1
    assert value(figures, "handoff_sessions_finished_total", action="signature", status="cancelled") == 1
    assert value(figures, "handoff_sessions_live") == 0  # the cancelled one's deadline came first


async def test_refused_uploads_count_by_their_code(client):
    session = await create(client)
    refused = await send_photo(client, session, data=b"not an image at all")
    code = (await refused.json())["code"]
    figures = await scrape(client)
    assert value(figures, "handoff_upload_rejections_total", code=code) == 1


async def test_labels_name_routes_never_ids_or_tokens(client):
    session = await create(client)
    await client.get(f"/api/v1/sessions/{session['id']}", headers=A)
    await client.get(f"/s/{token_of(session)}")
    await client.get("/no/such/path")
    text = await (await client.get("/metrics")).text()
    for secret in (session["id"], token_of(session), "/no/such/path"):
        assert secret not in text
    figures = await scrape(client)
    assert value(figures, "handoff_http_requests_total", route="phone_page", method="GET", status="200") == 1
    assert value(figures, "handoff_http_requests_total", route="unmatched", method="GET", status="404") == 1


async def test_methods_beyond_https_own_share_one_label(client):
    # The HTTP parser lets WebDAV's and other registered methods through (and, in its
    # pure-Python form, any token): each would otherwise be a series of its own.
    odd = ("PROPFIND", "MKCOL", "PURGE")
    for method in odd:
        assert (await client.request(method, "/api/v1/health")).status == 405
    figures = await scrape(client)
    counted = {dict(labels)["method"]: n for (name, labels), n in figures.items()
               if name == "handoff_http_requests_total" and dict(labels)["status"] == "405"}
    assert counted == {"OTHER": 3}, counted


async def test_a_metrics_token_is_required_once_set(make_client):
    token = "metrics-token-0123456789"
    client = await make_client(metrics_token=token)
    for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"X-API-Key": KEY_A}):
        response = await client.get("/metrics", headers=headers)
        assert response.status == 401
        assert (await response.json())["code"] == "invalid_metrics_token"
    await scrape(client, {"Authorization": f"Bearer {token}"})


def test_a_short_metrics_token_is_refused_without_showing_it():
    from pydantic import ValidationError

    from handoff.cli.serve import startup_error
    from handoff.settings import Settings

    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, metrics_token="short-secret")
    line = startup_error(error.value)
    assert line.startswith("invalid METRICS_TOKEN") and "short-secret" not in line


async def test_several_workers_report_the_same_totals_in_multiprocess_mode(
    tmp_path, redis_server, redis_prefix
):
    import aiohttp

    from ..processes import ServerProcess

    directory = tmp_path / "prometheus"
    directory.mkdir()
    server = ServerProcess(tmp_path, {"REDIS_URL": redis_server.url, "REDIS_PREFIX": redis_prefix,
                                      "PROMETHEUS_MULTIPROC_DIR": str(directory)})
    await server.start("--workers", "2")
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(6):
                async with http.post(f"{server.base_url}/api/v1/sessions", headers=A,
                                     json={"action_type": "signature", "output_format": "svg"}) as r:
                    assert r.status == 201
            for _ in range(6):  # whichever worker answers, the figures are the totals
                async with http.get(f"{server.base_url}/metrics") as r:
                    figures = samples(await r.text())
                assert value(figures, "handoff_sessions_created_total", action="signature") == 6
                assert value(figures, "handoff_sessions_live") == 6
                assert value(figures, "handoff_http_requests_total", route="sessions", method="POST",
                             status="201") == 6
        assert list(directory.glob("counter_*.db"))  # the figures went through the directory
    finally:
        await server.stop()
