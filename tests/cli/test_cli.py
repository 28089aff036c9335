"""The ``handoff`` command and ``run.py``, run as real processes."""

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import unused_port
from PIL import Image

from handoff.cli.capture import free_path
from handoff.client import HandoffClient

from ..conftest import KEY_A, LiveServer
from ..media import jpeg

ROOT = Path(__file__).resolve().parents[2]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env.pop("API_KEYS", None)
    env["PYTHONPATH"] = str(ROOT)  # this tree's package, whatever else is installed
    env.update(extra)
    return env


async def start(*args: str, cwd: Path, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=cwd, env=environment(**env),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def line_with(process: asyncio.subprocess.Process, text: str, seen: list[str]) -> str:
    assert process.stdout is not None
    async with asyncio.timeout(10):
        while line := (await process.stdout.readline()).decode():
            seen.append(line)
            if text in line:
                return line
    raise AssertionError(f"{text!r} never printed; got {''.join(seen)}")


async def test_capture_shows_progress_and_saves_the_photo(
    live_server: LiveServer, tmp_path: Path
) -> None:
    out = tmp_path / "results"
    process = await start(
        "-m", "handoff", "capture", "--url", live_server.base_url, "--out", str(out),
        "--intro", "Photograph the receipt.", "--format", "png", cwd=tmp_path,
        HANDOFF_API_KEY=KEY_A,
    )
    seen: list[str] = []
    url = (await line_with(process, "/s/", seen)).split()[-1]
    assert any("▀" in line or "█" in line for line in seen)  # the QR code came first
    code_line = await line_with(process, "No camera?", seen)
    assert re.fullmatch(rf"No camera\? Open {live_server.base_url}/c and type [0-9A-Z]{{4}}-[0-9A-Z]{{4}}\n",
                        code_line)
    await line_with(process, "pending", seen)
    async with aiohttp.ClientSession() as phone:
        async with phone.get(url) as page:
            assert page.status == 200
        await line_with(process, "opened", seen)
        async with phone.get(url + "/action") as page:
            assert page.status == 200
        async with phone.post(url + "/started") as started:
            assert started.status == 204
        await line_with(process, "action_started", seen)
        form = aiohttp.FormData()
        form.add_field("file", jpeg(320, 200), filename="r.jpg", content_type="image/jpeg")
        async with phone.post(url + "/result", data=form) as sent:
            assert sent.status == 200
    await line_with(process, "saved", seen)
    assert await asyncio.wait_for(process.wait(), 10) == 0
    saved = out / "photo.png"
    with Image.open(saved) as image:
        assert image.size == (320, 200)
    assert f"saved {saved} ({saved.stat().st_size} bytes, image/png)" in seen[-1]


async def test_a_multi_page_scan_shows_each_page_as_it_arrives(
    live_server: LiveServer, tmp_path: Path
) -> None:
    process = await start(
        "-m", "handoff", "capture", "--url", live_server.base_url, "--action", "scan",
        "--format", "pdf", "--out", str(tmp_path), cwd=tmp_path, HANDOFF_API_KEY=KEY_A,
    )
    seen: list[str] = []
    url = (await line_with(process, "/s/", seen)).split()[-1]
    await line_with(process, "pending", seen)
    async with aiohttp.ClientSession() as phone:
        for page in range(3):
            form = aiohttp.FormData()
            form.add_field("file", jpeg(300, 400), filename="p.jpg", content_type="image/jpeg")
            form.add_field("page_index", str(page))
            async with phone.post(url + "/scan/upload", data=form) as sent:
                assert sent.status == 200, await sent.text()
            said = "1 page received" if page == 0 else f"{page + 1} pages received"
            await line_with(process, said, seen)
        async with phone.post(url + "/scan/finalize") as done:
            assert done.status == 200
    await line_with(process, "saved", seen)
    assert await asyncio.wait_for(process.wait(), 10) == 0
    assert re.search(r"saved .+\.pdf \(\d+ bytes, application/pdf\)", seen[-1])


async def test_interrupted_capture_cancels_its_session(
    live_server: LiveServer, tmp_path: Path
) -> None:
    process = await start(
        "-m", "handoff", "capture", "--url", live_server.base_url, "--api-key", KEY_A,
        cwd=tmp_path,
    )
    await line_with(process, "pending", [])
    process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 130
    assert "interrupted; the session was cancelled" in stderr.decode()
    async with HandoffClient(live_server.base_url, KEY_A) as api:
        assert [s.status for s in await api.list_sessions()] == ["cancelled"]


async def test_capture_against_a_server_that_is_down_says_so_in_one_sentence(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{unused_port()}"
    process = await start("-m", "handoff", "capture", "--url", url, "--api-key", KEY_A, cwd=tmp_path)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)  # after the client's retries
    assert process.returncode == 1
    assert stdout == b""
    [line] = stderr.decode().splitlines()
    assert line.startswith(f"handoff: cannot reach the server at {url} (")
    assert line.endswith("is it running, and is the URL right?")


async def test_capture_with_a_wrong_key_says_so_and_fails(
    live_server: LiveServer, tmp_path: Path
) -> None:
    process = await start(
        "-m", "handoff", "capture", "--url", live_server.base_url, "--api-key", "wrong",
        cwd=tmp_path,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 1
    assert "401: The API key or client secret is not valid." in stderr.decode()


async def test_capture_needs_a_url(tmp_path: Path) -> None:
    process = await start("-m", "handoff", "capture", "--api-key", "k", cwd=tmp_path)
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 2 and "--url" in stderr.decode()


async def serve_and_check(args: list[str], tmp_path: Path) -> None:
    """Start the server on a free port in development mode; use the key it prints."""
    port = unused_port()
    process = await start(*args, cwd=tmp_path, PORT=str(port), HOST="127.0.0.1")
    try:
        seen: list[str] = []
        key = (await line_with(process, "API key for this run:", seen)).split()[-1]
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            for _ in range(100):  # the key is printed just before the socket opens
                try:
                    async with http.get(f"{base}/api/v1/health") as health:
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            assert health.status == 200
            body: dict[str, Any] = {"action_type": "signature", "output_format": "svg"}
            async with http.post(f"{base}/api/v1/sessions", json=body,
                                 headers={"X-API-Key": key}) as created:
                assert created.status == 201
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_run_py_serves_with_a_printed_development_key(tmp_path: Path) -> None:
    await serve_and_check([str(ROOT / "run.py")], tmp_path)


async def test_handoff_serve_is_the_same(tmp_path: Path) -> None:
    await serve_and_check(["-m", "handoff", "serve"], tmp_path)


async def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    process = await start(str(ROOT / "run.py"), cwd=tmp_path, SESSION_TTL="soon")
    _, stderr = await asyncio.wait_for(process.communicate(), 10)
    assert process.returncode == 1
    assert stderr.decode().startswith("handoff: invalid SESSION_TTL:")


def test_saving_never_replaces_a_file_or_leaves_the_directory(tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(b"mine")
    assert free_path(tmp_path, "photo.jpg") == tmp_path / "photo-2.jpg"
    assert free_path(tmp_path, "../../etc/passwd") == tmp_path / "passwd"


@asynccontextmanager
async def listening(tmp_path: Path, **env: str) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    """``run.py`` serving on a free port with ``env``: the process and its "listening" line;
    stopped with SIGINT afterwards, which it must answer by exiting cleanly."""
    process = await start(str(ROOT / "run.py"), cwd=tmp_path, PORT=str(unused_port()),
                          HOST="127.0.0.1", **env)
    try:
        yield process, await line_with(process, "listening on", [])
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 10) == 0


@pytest.mark.parametrize(("choice", "runs_on"),
                         [("auto", "uvloop"), ("asyncio", "asyncio"), ("uvloop", "uvloop")])
async def test_the_server_runs_on_the_loop_event_loop_picks(
    tmp_path: Path, choice: str, runs_on: str
) -> None:
    # uvloop is a dependency here (Linux), so ``auto`` finds it.
    async with listening(tmp_path, EVENT_LOOP=choice) as (_, line):
        assert line.rstrip().endswith(")") and f"({runs_on}, " in line
