"""aiohttp's server log, with the requests its HTTP parser refuses said in one line.

aiohttp answers a request it cannot parse (bytes that are not allowed in a
header, a line longer than 8 KB, broken chunked framing) with 400 itself, and
logs it as an ERROR with a traceback, as if the server had failed. The fault is
the client's, often a scanner's, so one warning line says what was refused.
"""

import logging
from typing import Any

from aiohttp.http_exceptions import BadHttpMessage


class ServerLog(logging.LoggerAdapter[logging.Logger]):
    """Passed to aiohttp's request handler as its ``logger``."""

    def __init__(self) -> None:
        super().__init__(logging.getLogger("aiohttp.server"))

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if isinstance(exc_info, BadHttpMessage):
            # aiohttp logs these as ("Error handling request from %s", remote).
            remote = args[0] if args else "a client"
            self.warning("refused a malformed request from %s with 400: %s", remote, _reason(exc_info))
            return
        super().exception(msg, *args, exc_info=exc_info, **kwargs)


def _reason(exc: BadHttpMessage) -> str:
    """What the parser found wrong, without the bytes it quotes (they may hold a credential)."""
    reason = exc.message.splitlines()[0] if exc.message else ""
    for quote in (": b'", ': b"', ": bytearray("):
        reason = reason.split(quote)[0]
    return reason.rstrip(":. ") or type(exc).__name__
