"""An access log that never writes a credential, and writes once the loop has a moment.

aiohttp's default format logs the request line, which would carry
``?api_key=`` and ``?client_secret=`` from websocket URLs and the phone token
in ``/s/{token}``. This logger writes the path without its query string and
with the phone token shortened to a prefix that is still useful for tracing.

The line is written on the event loop's next turn rather than in the request's own
task: what it says is read at once, the logging itself waits. Measured, that
takes about a tenth off the server's CPU time for a small GET (bench/RESULTS.md,
issue 14, eighth round); the line's timestamp is then the moment it was logged, a
turn of the loop after the answer.
"""

import asyncio
import logging
import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from ..keys import request_id_key, session_id_key

_PHONE_TOKEN = re.compile(r"^/s/([^/]{4})[^/]*")
FORMAT = '%s "%s %s" %s %s %.1fms'


def redact_path(path: str) -> str:
    if not path.startswith("/s/"):  # most lines: no substitution to expand
        return path
    return _PHONE_TOKEN.sub(r"/s/\1…", path)


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        line = (request.remote, request.method, request.path, response.status,
                response.body_length, time * 1000)
        # The request's context is gone by now; its ids travel on the request itself.
        ids = request.get(request_id_key), request.get(session_id_key)
        try:
            asyncio.get_running_loop().call_soon(self._write, line, ids)
        except RuntimeError:  # no loop runs here (a caller outside the server)
            self._write(line, ids)

    def _write(self, line: tuple[str | None, str, str, int, int, float],
               ids: tuple[str | None, str | None]) -> None:
        remote, method, path, status, length, ms = line
        self.logger.info(FORMAT, remote, method, redact_path(path), status, length, ms,
                         extra={"request_id": ids[0], "session_id": ids[1]})
