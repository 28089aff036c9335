"""An access log that never writes a credential.

aiohttp's default format logs the request line, which would carry
``?api_key=`` and ``?client_secret=`` from websocket URLs and the phone token
in ``/s/{token}``. This logger writes the path without its query string and
with the phone token shortened to a prefix that is still useful for tracing.
"""

import logging
import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from ..keys import request_id_key, session_id_key

_PHONE_TOKEN = re.compile(r"^/s/([^/]{4})[^/]*")


def redact_path(path: str) -> str:
    return _PHONE_TOKEN.sub(r"/s/\1…", path)


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        self.logger.info(
            '%s "%s %s" %s %s %.1fms',
            request.remote,
            request.method,
            redact_path(request.path),
            response.status,
            response.body_length,
            time * 1000,
            # The request's context is gone by now; its ids travel on the request itself.
            extra={"request_id": request.get(request_id_key),
                   "session_id": request.get(session_id_key)},
        )
