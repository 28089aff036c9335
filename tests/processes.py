"""Real ``handoff serve`` processes for tests of several processes, restarts and shutdown."""

import asyncio
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp.test_utils import unused_port

from .conftest import KEY_A, KEY_B

ROOT = Path(__file__).resolve().parent.parent


def thread_names(pid: int | str) -> set[str]:
    """The names of a process's threads (``jemalloc_bg_thd`` is jemalloc's own)."""
    return {(task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()}


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOFF_")}
    env["PYTHONPATH"] = str(ROOT)  # this tree's package, whatever else is installed
    env["API_KEYS"] = f"{KEY_A},{KEY_B}"
    env.update(extra)
    return env


@dataclass
class ServerProcess:
    """One ``python -m handoff serve`` on 127.0.0.1; ``start`` again after ``stop`` or ``kill``."""

    directory: Path
    env: dict[str, str]
    port: int = field(default_factory=unused_port)
    process: asyncio.subprocess.Process | None = None
    output: list[str] = field(default_factory=list)
    _reader: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *args: str) -> None:
        env = environment(
            HOST="127.0.0.1", PORT=str(self.port), BASE_URL=self.base_url, **self.env
        )
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "handoff", "serve", *args, cwd=self.directory, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        self._reader = asyncio.create_task(self._read(self.process))
        await self.wait_ready()

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            self.output.append(line.decode(errors="replace"))

    async def wait_ready(self, timeout: float = 20) -> None:
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(timeout):
                while True:
                    assert self.process is not None
                    if self.process.returncode is not None:
                        raise AssertionError(f"server exited: {''.join(self.output)}")
                    try:
                        async with http.get(f"{self.base_url}/api/v1/ready") as response:
                            if response.status == 200:
                                return
                    except aiohttp.ClientError:
                        pass
                    await asyncio.sleep(0.05)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> float:
        """Send ``sig`` and wait for the exit; the seconds it took."""
        assert self.process is not None
        loop = asyncio.get_running_loop()
        started = loop.time()
        if self.process.returncode is None:
            self.process.send_signal(sig)
        async with asyncio.timeout(timeout):
            await self.process.wait()
        if self._reader is not None:
            await self._reader
        return loop.time() - started

    async def kill(self) -> None:
        await self.stop(signal.SIGKILL)
