"""The Python client against the real app on a real port: sessions, results, files."""

import asyncio
import hashlib
import io
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import pytest
from PIL import Image

from handoff.client import HandoffClient, NotFound, SessionOut
from handoff.client.sync import SyncHandoffClient

from ..client_support import FAST, Phone, connect
from ..conftest import KEY_A, KEY_B, LiveServer
from ..media import jpeg


# -- sessions -------------------------------------------------------------------


async def test_create_session_sends_every_field(api: HandoffClient) -> None:
    session = await api.create_session(
        "photo", "jpeg", intro_text="Photograph the **front** of your ID card.",
        session_ttl=timedelta(minutes=5), result_ttl="90s", metadata={"case": "A-17"},
    )
    state = session.state
    assert isinstance(state, SessionOut)
    assert (state.status, state.output_format) == ("pending", "jpg")
    assert (state.session_ttl, state.result_ttl) == (300 * 10**9, 90 * 10**9)
    assert state.intro_text == "Photograph the **front** of your ID card."
    assert state.metadata == {"case": "A-17"}
    assert session.url.startswith(api.transport.base_url + "/s/")
    assert session.client_secret


async def test_scan_session_takes_its_document_mode(api: HandoffClient) -> None:
    session = await api.create_session("scan", document_mode="multi")
    assert session.state.document_mode == "multi"  # type: ignore[union-attr]


async def test_get_and_list_return_the_callers_sessions_newest_first(
    live_server: LiveServer, api: HandoffClient
) -> None:
    first = await api.create_session("photo", "png")
    second = await api.create_session("signature", "svg")
    assert (await api.get_session(first.id)).state == first.state
    assert [s.id for s in await api.list_sessions()] == [second.id, first.id]
    async with connect(live_server, KEY_B) as other:
        assert await other.list_sessions() == []


async def test_qr_codes_are_svg_and_png(api: HandoffClient) -> None:
    session = await api.create_session("photo", "jpg")
    assert b"<svg" in await session.qr_svg()
    png = await api.qr_png(session.id)
    assert Image.open(io.BytesIO(png)).format == "PNG"


# -- results --------------------------------------------------------------------


async def test_wait_for_result_then_download_the_bytes(api: HandoffClient, tmp_path) -> None:
    session = await api.create_session("photo", "jpg")
    waiting = asyncio.create_task(session.wait_for_result(timeout=5))
    await Phone(session.url).upload(jpeg(800, 600))
    items = await waiting
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    data, content_type = await api.download(item)
    assert content_type == "image/jpeg"
    assert hashlib.sha256(data).hexdigest() == item.sha256 and len(data) == item.size
    assert Image.open(io.BytesIO(data)).size == (800, 600)

    written = await api.download_to(item.download_id, tmp_path)
    assert written == tmp_path / "photo.jpg" and written.read_bytes() == data
    named = await api.download_to(item, tmp_path / "id-card.jpg")
    assert named.read_bytes() == data

    await api.delete_download(item)
    with pytest.raises(NotFound) as raised:
        await api.download(item)
    assert raised.value.code == "file_not_found"


async def test_result_poll_is_pending_then_completed(api: HandoffClient) -> None:
    session = await api.create_session("photo", "png")
    assert (await session.result()).status == "pending"
    await Phone(session.url).upload()
    poll = await api.result(session.id)
    assert poll.status == "completed" and poll.items and poll.items[0].content_type == "image/png"


# -- packaging ------------------------------------------------------------------


def test_importing_the_client_does_not_load_the_server() -> None:
    probe = (
        "import sys, handoff.client, handoff.client.sync; "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('handoff.', 'aiohttp.web', 'PIL', 'jinja2'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)  # a printed list of module names
    # handoff.locale: the list of languages a session may ask for (its catalogues load lazily).
    light = ("handoff.client", "handoff.models", "handoff.durations", "handoff.domain", "handoff.errors",
             "handoff.locale")
    assert loaded and all(module.startswith(light) for module in loaded)


# -- synchronous facade ---------------------------------------------------------


async def test_sync_client_runs_the_same_flow_without_a_loop(live_server: LiveServer) -> None:
    """The blocking client runs in a worker thread, as a GUI's code would."""

    def desktop(steps: list[Callable[[str], None]]) -> tuple[list[str], bytes]:
        with SyncHandoffClient(live_server.base_url, KEY_A, retry=FAST) as client:
            session = client.create_session("photo", "jpg", intro_text="Hi")
            seen = []
            for event in session.events():
                seen.append(event.status)
                if len(seen) <= len(steps):
                    steps[len(seen) - 1](session.url)
            items = session.wait_for_result(timeout=5)
            assert isinstance(items, list)
            data, _ = client.download(items[0])
            assert [s.id for s in client.list_sessions()] == [session.id]
            return seen, data

    loop = asyncio.get_running_loop()

    def phone(step: str) -> Callable[[str], None]:
        # The phone acts from the test's loop, where the server runs.
        return lambda url: asyncio.run_coroutine_threadsafe(
            getattr(Phone(url), step)(), loop).result(5)

    steps = [phone("open"), phone("start"), phone("upload")]
    seen, data = await asyncio.to_thread(desktop, steps)
    assert seen == ["pending", "opened", "action_started", "completed"]
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
