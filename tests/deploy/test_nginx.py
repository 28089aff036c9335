"""docs/nginx/handoff.conf, run by Debian's nginx in front of two handoff processes."""

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import unused_port

from ..conftest import A
from ..media import jpeg
from ..processes import ROOT
from .test_shared_store import create, statuses_until, token_of, upload

CONFIG = ROOT / "docs" / "nginx" / "handoff.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("nginx is not installed (Debian package nginx)")
        pytest.skip("nginx is not installed (Debian package nginx)")
    return found


def nginx_config(directory: Path, listen: int, upstreams: list[int]) -> Path:
    """The documented site, on test ports, inside a minimal main configuration."""
    site = CONFIG.read_text()
    site = site.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    site = site.replace("    server 127.0.0.1:8081;\n    server 127.0.0.1:8082;\n", "".join(
        f"    server 127.0.0.1:{port};\n" for port in upstreams
    ))
    assert all(f":{port};" in site for port in upstreams), "the documented upstream block changed"
    temp = directory / "temp"
    temp.mkdir()
    main = directory / "nginx.conf"
    main.write_text(
        f"daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\n"
        f"error_log {directory}/error.log warn;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"  access_log {directory}/access.log;\n"
        f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n"
        f"{site}\n}}\n"
    )
    return main


async def test_a_whole_session_through_nginx_websocket_included(servers, tmp_path):
    a, b = await servers(), await servers()
    listen = unused_port()
    config = nginx_config(tmp_path, listen, [a.port, b.port])
    proxy = subprocess.Popen(
        [nginx_binary(), "-c", str(config), "-p", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    front = f"http://127.0.0.1:{listen}"
    try:
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(10):
                while True:
                    try:
                        async with http.get(f"{front}/api/v1/ready") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientError:
                        assert proxy.poll() is None, (tmp_path / "error.log").read_text()
                    await asyncio.sleep(0.05)

            class Front:  # what the helpers need of a server: its base URL and port
                base_url = front
                port = listen

            session = await create(http, Front)  # type: ignore[arg-type]
            ws = await http.ws_connect(
                f"ws://127.0.0.1:{listen}/api/v1/sessions/{session['id']}/ws", headers=A
            )
            assert await statuses_until(ws, "pending") == ["pending"]
            for _ in range(4):  # round-robin: the page and its probes land on both processes
                async with http.get(f"{front}/s/{token_of(session)}/status") as r:
                    assert r.status == 200
            async with http.get(f"{front}/s/{token_of(session)}") as page:
                assert page.status == 200
            assert await upload(http, Front, token_of(session), jpeg(640, 480)) == 200  # type: ignore[arg-type]
            assert await statuses_until(ws, "completed") == ["opened", "completed"]
            await ws.close()
            async with http.get(f"{front}/api/v1/sessions/{session['id']}", headers=A) as r:
                item = (await r.json())["result"][0]
            async with http.get(f"{front}/api/v1/downloads/{item['download_id']}", headers=A) as r:
                assert r.status == 200 and len(await r.read()) == item["size"]
        log = (tmp_path / "access.log").read_text()
        assert "/ws HTTP/1.1\" 101" in log
    finally:
        proxy.terminate()
        proxy.wait(10)
