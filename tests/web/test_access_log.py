"""The access log never carries a credential."""

import asyncio
import logging

from aiohttp.test_utils import TestClient, TestServer

from handoff.web.accesslog import AccessLogger, redact_path
from handoff.app import create_app

from ..conftest import KEY_A, make_settings
from ..helpers import create, token_of


def test_phone_tokens_are_shortened():
    assert redact_path("/s/abcdefghijklmnop/status") == "/s/abcd…/status"
    assert redact_path("/api/v1/sessions") == "/api/v1/sessions"


async def test_keys_secrets_and_tokens_stay_out_of_the_log(caplog):
    server = TestServer(create_app(make_settings()))
    await server.start_server(access_log_class=AccessLogger)
    async with TestClient(server) as client:
        created = await create(client)
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            ws = await client.ws_connect(f"/api/v1/sessions/{created['id']}/ws?api_key={KEY_A}")
            await ws.receive_json()
            await ws.close()
            async with asyncio.timeout(5):  # its line is written once the handler returns
                while not any("/ws" in record.getMessage() for record in caplog.records):
                    await asyncio.sleep(0.01)
            await client.get(f"/api/v1/sessions/{created['id']}?client_secret={created['client_secret']}")
            await client.get(f"/s/{token_of(created)}")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"/api/v1/sessions/{created['id']}/ws" in logged
    for secret in (KEY_A, created["client_secret"], token_of(created)):
        assert secret not in logged
