"""Child processes of the bench: start them in their own session, read their RSS and CPU, stop them all."""

import os
import resource
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
OUT = BENCH / "out"
CLK_TCK = os.sysconf("SC_CLK_TCK")

_children: list[subprocess.Popen] = []


def raise_fd_limit() -> int:
    """Lift the soft open-file limit to the hard one (thousands of sockets per process)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def spawn(args: list[str], *, env: dict[str, str] | None = None, log_name: str | None = None,
          stdin: int | None = None, stdout: int | None = None,
          cwd: Path = ROOT) -> subprocess.Popen:
    """Start a child in its own process group, remembered so :func:`stop_all` ends it."""
    OUT.mkdir(exist_ok=True)
    log = open(OUT / log_name, "wb") if log_name else subprocess.DEVNULL
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=stdin,
        stdout=stdout if stdout is not None else log,
        stderr=log,
        start_new_session=True,
        preexec_fn=raise_fd_limit,
    )
    _children.append(proc)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 5.0) -> None:
    """SIGTERM the child's group, then SIGKILL if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout)
        except ProcessLookupError:
            pass
    if proc in _children:
        _children.remove(proc)


def stop_all() -> None:
    for proc in list(_children):
        stop(proc)


def wait_http(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


def start_handoff(port: int, api_key: str, source: Path = ROOT, **env: str) -> subprocess.Popen:
    """The server exactly as ``run.py`` starts it, in its own process, from the checkout
    ``source`` (another commit's tree for ``--baseline``; same interpreter and packages)."""
    base = f"http://127.0.0.1:{port}"
    proc = spawn(
        [sys.executable, "run.py"],
        # The bench creates sessions far faster than a tenant may: the limiter is still
        # consulted on every create, but never refuses one.
        env={"API_KEYS": api_key, "PORT": str(port), "HOST": "127.0.0.1", "BASE_URL": base,
             "RATE_LIMIT_CREATE": "1000000/second", **env, **source_env(source)},
        log_name=f"handoff-{port}.log",
        cwd=source,
    )
    wait_http(base + "/api/v1/health")
    which = "" if source == ROOT else f" (from {source})"
    print(f"  handoff pid {proc.pid} on port {port}{which}", file=sys.stderr, flush=True)
    return proc


def source_env(source: Path) -> dict[str, str]:
    """What makes a child import handoff from ``source`` rather than the installed checkout."""
    return {} if source == ROOT else {"PYTHONPATH": str(source)}


def start_bare(port: int, create_bytes: int, get_bytes: int) -> subprocess.Popen:
    proc = spawn(
        [sys.executable, str(BENCH / "bare.py")],
        env={"PORT": str(port), "CREATE_BYTES": str(create_bytes), "GET_BYTES": str(get_bytes)},
        log_name=f"bare-{port}.log",
    )
    wait_http(f"http://127.0.0.1:{port}/api/v1/health")
    return proc


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK
