"""Structured logs and request ids: every line can be traced, none carries a credential."""

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest
from aiohttp.test_utils import TestClient

from handoff.logs import NextTurnHandler, configure_logging

from ..conftest import A, KEY_A
from ..helpers import complete, create, token_of


@pytest.fixture
def capture_logs() -> Iterator:
    """``buffer = capture_logs("json")``: everything logged at DEBUG from then on, as the server
    would write it."""
    handlers: list[logging.Handler] = []
    root = logging.getLogger()
    level = root.level

    def start(fmt: str) -> io.StringIO:
        buffer = io.StringIO()
        handlers.append(configure_logging("debug", fmt, buffer))
        return buffer

    yield start
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(level)


async def whole_session(client: TestClient) -> tuple[dict, str]:
    """Create, follow, open, upload, read, download and delete: every credential travels."""
    session = await create(client, headers={**A, "X-Request-ID": "trace-create-1"})
    ws = await client.ws_connect(f"/api/v1/sessions/{session['id']}/ws?api_key={KEY_A}")
    await ws.receive_json()
    await client.get(f"/s/{token_of(session)}")
    result = await complete(client, session)
    await ws.receive_json()
    await ws.close()
    secret = session["client_secret"]
    await client.get(f"/api/v1/sessions/{session['id']}?client_secret={secret}")
    await client.get(f"/api/v1/sessions/{session['id']}", headers={"Authorization": f"Bearer {secret}"})
    download = result["items"][0]["download_url"].split("phone.test:8080", 1)[1]
    assert (await client.get(download, headers=A)).status == 200
    await client.delete(download, headers=A)
    await client.get("/s/not-a-token-at-all-0123456789")
    await client.get("/api/v1/sessions", headers={"X-API-Key": "wrong-key-0123456789"})
    return session, secret


async def test_a_sane_request_id_is_answered_back(client):
    response = await client.get("/api/v1/health", headers={"X-Request-ID": "abc.DEF_12-3"})
    assert response.headers["X-Request-ID"] == "abc.DEF_12-3"


@pytest.mark.parametrize("given", [None, "x" * 129, "has space", "semi;colon", "ünï"])
async def test_a_missing_or_odd_request_id_is_replaced_with_a_new_one(client, given):
    headers = {} if given is None else {"X-Request-ID": given}
    first = await client.get("/api/v1/health", headers=headers)
    second = await client.get("/api/v1/health", headers=headers)
    made = first.headers["X-Request-ID"]
    assert made != given and len(made) == 32 and made != second.headers["X-Request-ID"]


async def test_errors_and_websockets_carry_the_request_id_too(client):
    for response in (await client.get("/nowhere"), await client.get("/api/v1/sessions")):
        assert len(response.headers["X-Request-ID"]) == 32, response.status
    session = await create(client)
    ws = await client.ws_connect(f"/api/v1/sessions/{session['id']}/ws?api_key={KEY_A}",
                                 headers={"X-Request-ID": "socket-1"})
    assert ws._response.headers["X-Request-ID"] == "socket-1"
    await ws.close()


async def test_json_logs_are_one_object_per_line_with_the_request_and_session(
    make_client, capture_logs
):
    buffer = capture_logs("json")
    client = await make_client()
    session, _ = await whole_session(client)
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    created = [line for line in lines if line.get("request_id") == "trace-create-1"]
    assert {line["logger"] for line in created} >= {"handoff.web.api", "aiohttp.access"}
    assert all(line["session_id"] == session["id"] for line in created)
    phone = [line for line in lines if line["logger"] == "aiohttp.access" and "/s/" in line["message"]
             and " 200 " in line["message"]]
    assert phone and all(line["session_id"] == session["id"] for line in phone)
    assert all(len(line.get("request_id", "")) in (14, 32) for line in lines
               if line["logger"] == "aiohttp.access")


async def test_text_logs_stay_as_they_were(make_client, capture_logs):
    buffer = capture_logs("text")
    client = await make_client()
    await create(client)
    line = next(li for li in buffer.getvalue().splitlines() if "handoff.web.api" in li)
    assert line.split(" ", 3)[2:] == ["INFO", "handoff.web.api: created a photo session"]


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_no_credential_appears_in_any_log_line_of_a_whole_session(
    make_client, capture_logs, fmt
):
    buffer = capture_logs(fmt)
    client = await make_client()
    session, secret = await whole_session(client)
    logged = buffer.getvalue()
    assert session["id"] in logged and logged.count("\n") > 10
    for credential in (KEY_A, "wrong-key-0123456789", secret, token_of(session),
                       "not-a-token-at-all-0123456789"):
        assert credential not in logged


async def test_lines_logged_on_the_loop_are_written_at_its_next_turn(capture_logs):
    buffer = capture_logs("text")
    logging.getLogger("handoff.test").info("one")
    logging.getLogger("handoff.test").info("two")
    assert buffer.getvalue() == ""  # made, not yet written
    await asyncio.sleep(0)
    assert [line.split(": ", 1)[1] for line in buffer.getvalue().splitlines()] == ["one", "two"]


async def test_a_flush_writes_the_lines_still_waiting(capture_logs):
    buffer = capture_logs("text")
    logging.getLogger("handoff.test").warning("at exit")
    logging.getLogger().handlers[-1].flush()  # as logging.shutdown does
    assert buffer.getvalue().endswith("handoff.test: at exit\n")


async def test_lines_logged_off_the_loop_are_written_at_once(capture_logs):
    buffer = capture_logs("text")
    await asyncio.to_thread(logging.getLogger("handoff.test").info, "from a thread")
    assert "handoff.test: from a thread" in buffer.getvalue()


async def test_a_deferred_line_keeps_the_request_id_it_was_logged_under(make_client, capture_logs):
    buffer = capture_logs("json")
    client = await make_client()
    await create(client, headers={**A, "X-Request-ID": "trace-deferred-1"})
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    mine = [line for line in lines if line["logger"] == "handoff.web.api"]
    assert mine and mine[-1]["request_id"] == "trace-deferred-1"


async def test_a_deferred_line_says_what_its_arguments_were_when_it_was_logged(capture_logs):
    buffer = capture_logs("text")
    pages = [1]
    logging.getLogger("handoff.test").info("pages %s", pages)
    pages.append(2)
    await asyncio.sleep(0)
    assert buffer.getvalue().rstrip().endswith("handoff.test: pages [1]")


async def test_a_bad_logging_call_is_reported_not_raised_into_the_caller(capsys):
    buffer = io.StringIO()
    handler = NextTurnHandler(buffer)
    log = logging.getLogger("handoff.test.alone")  # away from pytest's own handlers
    log.propagate, log.level = False, logging.INFO
    log.addHandler(handler)
    try:
        log.info("%s and %s", "one")  # one argument short
        log.info("still logging")
        await asyncio.sleep(0)
    finally:
        log.removeHandler(handler)
    assert buffer.getvalue() == "still logging\n"
    assert "not enough arguments" in capsys.readouterr().err  # logging's own report


async def test_other_handlers_see_the_record_as_it_was_logged(capture_logs):
    capture_logs("text")
    seen: list[tuple] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.msg, record.args))

    keep = Keep()
    logging.getLogger().addHandler(keep)
    try:
        logging.getLogger("handoff.test").info("user %s", "bob")
    finally:
        logging.getLogger().removeHandler(keep)
    assert seen == [("user %s", ("bob",))]


async def test_a_stream_that_cannot_be_flushed_is_reported_once_per_write(capsys):
    class Broken(io.StringIO):
        def flush(self) -> None:
            raise BrokenPipeError("the reader went away")

    handler = NextTurnHandler(Broken())
    log = logging.getLogger("handoff.test.broken")  # away from pytest's own handlers
    log.propagate, log.level = False, logging.INFO
    log.addHandler(handler)
    try:
        log.info("one line")
        for _ in range(5):  # turns in which a failing write would come round again
            await asyncio.sleep(0)
    finally:
        log.removeHandler(handler)
    assert capsys.readouterr().err.count("--- Logging error ---") == 1
