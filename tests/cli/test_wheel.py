"""The package as a user installs it: sdist and wheel built from this checkout, the
wheel installed into a fresh virtual environment, ``handoff serve`` run elsewhere."""

import asyncio
import os
import re
import signal
import site
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port
from yarl import URL

ROOT = Path(__file__).resolve().parents[2]
#: Stylesheets and module scripts a page names, and the modules a module imports.
PAGE_ASSETS = re.compile(r'<(?:link rel="stylesheet" href|script type="module" src)="([^"]+)"')
MODULE_IMPORTS = re.compile(r'^import .* from "([^"]+)";$', re.MULTILINE)


@dataclass
class Built:
    sdist: Path
    wheel: Path
    python: Path  # the fresh environment's interpreter, the wheel installed in it
    handoff: Path  # its ``handoff`` command


def run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(arg) for arg in args], cwd=cwd, env=clean_environment(),
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def clean_environment(**extra: str) -> dict[str, str]:
    """No PYTHONPATH and no handoff settings, so nothing points back at the checkout."""
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    pip = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}  # this machine's indexes
    return {**{k: os.environ[k] for k in keep if k in os.environ}, **pip, **extra}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the sdist, the wheel from the sdist (as ``python -m build`` does), install it.

    The fresh environment gets the wheel alone (``--no-deps``); its dependencies come
    from this test environment's site-packages through a ``.pth`` file, which puts
    that directory on ``sys.path`` without running the ``.pth`` files inside it, so
    the checkout's editable install stays invisible.
    """
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=work)
    [sdist], [wheel] = sorted(dist.glob("*.tar.gz")), sorted(dist.glob("*.whl"))

    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    python = venv / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                       cwd=work).strip())
    (purelib / "_test_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
        "--no-index", wheel, cwd=work)
    return Built(sdist, wheel, python, venv / "bin" / "handoff")


def test_the_sdist_carries_templates_and_static_at_its_top(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"templates/base.html", "static/phone.css", "static/photo.js"} <= names
    assert {"handoff/__init__.py", "pyproject.toml", "README.md"} <= names


def test_the_wheel_carries_templates_and_static_inside_the_package(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
    for folder in ("templates", "static"):
        shipped = {name.split("/", 2)[2] for name in names if name.startswith(f"handoff/{folder}/")}
        assert shipped == {path.name for path in (ROOT / folder).iterdir()}
    assert not any(name.startswith(("templates/", "static/")) for name in names)


def test_the_fresh_environment_imports_the_installed_package(built: Built, tmp_path: Path) -> None:
    where = run(built.python, "-c", "import handoff.assets as a; print(a.PACKAGE_DIR, a.STATIC_DIR)",
                cwd=tmp_path).split()
    package = built.python.parent.parent
    assert all(Path(path).is_relative_to(package) for path in where), where


async def line_with(process: asyncio.subprocess.Process, text: str, seen: list[str]) -> str:
    assert process.stdout is not None
    async with asyncio.timeout(20):
        while line := (await process.stdout.readline()).decode():
            seen.append(line)
            if text in line:
                return line
    raise AssertionError(f"{text!r} never printed; got {''.join(seen)}")


async def fetch_with_assets(http: aiohttp.ClientSession, url: str) -> set[str]:
    """Load a page and, transitively, every stylesheet and module it needs; all must be 200."""
    async with http.get(url) as page:
        assert page.status == 200, (url, page.status)
        assert page.content_type == "text/html"
        pending = [str(page.url.join(URL(src)))
                   for src in PAGE_ASSETS.findall(await page.text())]
    assert pending, f"{url} names no stylesheet or module"
    loaded: set[str] = set()
    while pending:
        asset = pending.pop()
        if asset in loaded:
            continue
        async with http.get(asset) as response:
            assert response.status == 200, (asset, response.status)
            body = await response.text()
            if asset.endswith(".js"):
                assert response.content_type in ("text/javascript", "application/javascript")
                pending += [str(response.url.join(URL(name)))
                            for name in MODULE_IMPORTS.findall(body)]
            else:
                assert response.content_type == "text/css"
        loaded.add(asset)
    return loaded


async def test_the_installed_wheel_serves_pages_and_assets_from_any_directory(
    built: Built, tmp_path: Path
) -> None:
    port = unused_port()
    process = await asyncio.create_subprocess_exec(
        built.handoff, "serve", cwd=tmp_path,
        env=clean_environment(HOST="127.0.0.1", PORT=str(port)),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        seen: list[str] = []
        key = (await line_with(process, "API key for this run:", seen)).split()[-1]
        demo = (await line_with(process, "demo page at", seen)).split()[-1]
        assert demo == f"{base}/"  # the loopback address it listens on, not the LAN's
        await line_with(process, "listening on", seen)

        loaded: set[str] = set()
        async with aiohttp.ClientSession(headers={"X-API-Key": key}) as http:
            loaded |= await fetch_with_assets(http, demo)
            for body in (
                {"action_type": "photo", "output_format": "jpg", "intro_text": "The receipt."},
                {"action_type": "signature", "output_format": "svg"},
                {"action_type": "scan", "output_format": "pdf"},
            ):
                async with http.post(f"{base}/api/v1/sessions", json=body) as created:
                    assert created.status == 201, await created.text()
                    url = (await created.json())["url"]
                assert url.startswith(f"{base}/s/")
                loaded |= await fetch_with_assets(http, url)
                if "intro_text" in body:
                    loaded |= await fetch_with_assets(http, url + "/action")
        served = {asset.rsplit("/", 1)[1] for asset in loaded}
        assert {"phone.css", "scan.css", "demo.css", "photo.js", "canvas.js", "phone-common.js",
                "signature-pad.js", "scan-crop.js", "handoff-client.js", "intro.js"} <= served
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 10) == 0, "".join(seen)
