"""A real webhook receiver on 127.0.0.1 that can fail, hang or redirect, for the webhook tests."""

import asyncio
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer, unused_port

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
HOOK_KEY = "hooked-tenant-key-0123"
OTHER_KEY = "other-tenant-key-0123"


@dataclass
class Hit:
    headers: dict[str, str]
    body: str
    status: int


@dataclass
class Receiver:
    """Answers ``fail_first`` attempts with 500, then ``status``; ``hang`` holds every answer
    until ``release`` is set (longer than any timeout)."""

    port: int = field(default_factory=unused_port)
    fail_first: int = 0
    status: int = 200
    hang: bool = False
    hits: asyncio.Queue = field(default_factory=asyncio.Queue)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    seen: int = 0
    server: TestServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> "Receiver":
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        app.router.add_post("/elsewhere", self._elsewhere)
        self.server = TestServer(app, host="127.0.0.1", port=self.port)
        await self.server.start_server()
        return self

    async def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            await self.server.close()
            self.server = None

    async def _hook(self, request: web.Request) -> web.StreamResponse:
        self.seen += 1
        status = 500 if self.seen <= self.fail_first else self.status
        body = await request.text()
        await self.hits.put(Hit(dict(request.headers), body, status))
        if self.hang:
            await self.release.wait()
        if status in (301, 302, 307, 308):
            raise web.HTTPTemporaryRedirect("/elsewhere")
        return web.Response(status=status, text="ok")

    async def _elsewhere(self, request: web.Request) -> web.Response:
        await self.hits.put(Hit(dict(request.headers), "redirected", 200))
        return web.Response(text="followed")

    async def next(self, timeout: float = 10.0) -> Hit:
        return await asyncio.wait_for(self.hits.get(), timeout)


def tenants_toml(url: str) -> str:
    return f"""
[tenants.hooked]
display_name = "Hooked Ltd"
api_keys = ["{HOOK_KEY}"]
webhook_url = "{url}"
webhook_secret = "{SECRET}"

[tenants.other]
api_keys = ["{OTHER_KEY}"]
"""
