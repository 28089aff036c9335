"""ALLOCATOR: the server starts itself again on jemalloc where it is installed."""

import asyncio
import ctypes.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from handoff.cli.allocator import MALLOC_CONF, MARK, restart_on_jemalloc

from ..processes import thread_names
from .test_cli import ROOT, environment, listening


@pytest.mark.parametrize(("choice", "on_jemalloc"),
                         [("auto", True), ("jemalloc", True), ("pymalloc", False)])
async def test_the_server_runs_on_the_allocator_allocator_picks(
    tmp_path: Path, choice: str, on_jemalloc: bool
) -> None:
    # Debian's libjemalloc2 is installed here (.ci/run installs it), so ``auto`` finds it.
    async with listening(tmp_path, ALLOCATOR=choice) as (process, line):
        assert line.rstrip().endswith(", jemalloc)" if on_jemalloc else ", pymalloc)")
        # The same process (execve keeps the id), now with jemalloc mapped, or not.
        maps = Path(f"/proc/{process.pid}/maps").read_text()
        assert ("libjemalloc" in maps) is on_jemalloc
        # The server's MALLOC_CONF asks for jemalloc's background thread.
        assert ("jemalloc_bg_thd" in thread_names(process.pid)) is on_jemalloc


async def test_an_allocator_the_environment_chose_is_left_alone(tmp_path: Path) -> None:
    async with listening(tmp_path, PYTHONMALLOC="malloc") as (process, line):
        assert line.rstrip().endswith(", as PYTHONMALLOC=malloc sets it)")
        assert "libjemalloc" not in Path(f"/proc/{process.pid}/maps").read_text()


@pytest.fixture
def no_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the tests that call the restart in this process: it must never restart pytest."""
    def refuse(*args: object) -> None:
        raise AssertionError("the test process was to be started again")
    monkeypatch.setattr(os, "execve", refuse)


def test_the_restarted_process_hands_on_an_environment_without_the_restarts_variables(
    monkeypatch: pytest.MonkeyPatch, no_restart: None
) -> None:
    monkeypatch.setenv("MALLOC_CONF", "narenas:2")  # the operator's: not the restart's
    monkeypatch.setenv("LD_PRELOAD", "libjemalloc.so.2")
    monkeypatch.setenv("PYTHONMALLOC", "malloc")
    monkeypatch.setenv(MARK, "LD_PRELOAD,PYTHONMALLOC")
    # This test's process does not run on jemalloc, and the answer says what it runs on.
    assert restart_on_jemalloc("auto") == "malloc (jemalloc could not be preloaded)"
    assert not {"LD_PRELOAD", "PYTHONMALLOC", MARK} & set(os.environ)
    assert os.environ["MALLOC_CONF"] == "narenas:2"
    monkeypatch.setenv(MARK, "")
    with pytest.raises(SystemExit, match="jemalloc could not be preloaded"):
        restart_on_jemalloc("jemalloc")


def test_jemalloc_asked_for_but_missing_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, no_restart: None
) -> None:
    for name in ("LD_PRELOAD", "PYTHONMALLOC", MARK):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)  # as where it is not installed
    with pytest.raises(SystemExit, match="ALLOCATOR=jemalloc, but jemalloc is not installed"):
        restart_on_jemalloc("jemalloc")
    assert restart_on_jemalloc("auto") == "pymalloc"


def test_jemalloc_asked_for_under_another_preload_stops_start_up(
    monkeypatch: pytest.MonkeyPatch, no_restart: None
) -> None:
    monkeypatch.delenv("PYTHONMALLOC", raising=False)
    monkeypatch.setenv("LD_PRELOAD", "libstdbuf.so")
    with pytest.raises(SystemExit, match="ALLOCATOR=jemalloc, but the environment sets LD_PRELOAD itself"):
        restart_on_jemalloc("jemalloc")
    assert restart_on_jemalloc("auto") == "as LD_PRELOAD=libstdbuf.so sets it"


async def test_a_server_without_standard_output_still_starts(tmp_path: Path) -> None:
    port = unused_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "run.py"), cwd=tmp_path, env=environment(
            PORT=str(port), HOST="127.0.0.1"), stdout=subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, close_fds=True,
        preexec_fn=lambda: os.close(1))  # no stdout at all, as under some supervisors
    try:
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(15):
                while True:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/api/v1/health") as r:
                            assert r.status == 200
                            break
                    except aiohttp.ClientConnectionError:
                        assert process.returncode is None, await process.stderr.read()
                        await asyncio.sleep(0.1)
        assert "libjemalloc" in Path(f"/proc/{process.pid}/maps").read_text()
    finally:
        process.send_signal(signal.SIGINT)
        await process.wait()


def test_on_jemalloc_released_memory_leaves_the_process_at_once(tmp_path: Path) -> None:
    script = tmp_path / "wave.py"
    script.write_text(
        "from handoff import heap\n"
        "def rss():\n"
        "    line = next(l for l in open('/proc/self/status') if l.startswith('VmRSS'))\n"
        "    return int(line.split()[1]) // 1024\n"
        "start = rss()\n"
        "blocks = [str(number) * 12 for number in range(1_000_000)]  # small, as sessions are\n"
        "del blocks\n"
        "freed = rss()\n"
        "heap.release_free_memory()\n"
        "print(start, freed, rss())\n"
    )
    library = ctypes.util.find_library("jemalloc")
    assert library is not None  # .ci/run installs libjemalloc2
    env = {**os.environ, "LD_PRELOAD": library, "PYTHONMALLOC": "malloc",
           "MALLOC_CONF": MALLOC_CONF, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                          text=True, check=True, timeout=60)
    start, freed, released = map(int, done.stdout.split())
    assert freed - start > 50  # jemalloc keeps freed pages for their decay time (10 s)...
    assert released - start < (freed - start) / 4  # ...unless told to give them back
