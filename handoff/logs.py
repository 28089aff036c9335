"""Logging set-up: the text lines of old, or one JSON object per line (``LOG_FORMAT=json``).

Each record carries ``request_id`` and ``session_id`` when the code that logs
runs inside a request that knows them (context variables set by the request-id
middleware and by :func:`bind_session`), so JSON lines can be grouped by
request and by session.
"""

import asyncio
import logging
import sys
from contextvars import Context, ContextVar
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
session_id_var: ContextVar[str | None] = ContextVar("session_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message", "request_id", "session_id")
LOG_FORMATS = ("text", "json")


class ContextFilter(logging.Filter):
    """Adds the current request's ids to every record that does not carry its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        if getattr(record, "session_id", None) is None:
            record.session_id = session_id_var.get()
        return True


class JsonLines(JsonFormatter):
    """time, level, logger, message, and the ids that are known (unknown ones are left out)."""

    def __init__(self) -> None:
        super().__init__(
            list(JSON_FIELDS),
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
            json_ensure_ascii=False,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in log_data.items() if value is not None}


class NextTurnHandler(logging.StreamHandler[IO[str]]):
    """A stream handler that writes what is logged on an event loop at the loop's next
    turn, all of that turn's lines at once, rather than inside the request that logs.

    The record is made, its message put together and its request's ids added, at once;
    only formatting and writing wait (the stdlib's QueueHandler, with the loop as its
    listener). That takes about a tenth off the server's CPU time for a create
    (bench/RESULTS.md, issue 14, eighth round). Lines logged off the loop (the image
    threads) are written at once; :meth:`flush` (called by ``logging.shutdown`` at exit)
    writes whatever still waits.
    """

    def __init__(self, stream: IO[str]) -> None:
        super().__init__(stream)
        self._pending: list[tuple[logging.LogRecord, str]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write_pending()
            super().emit(record)
            return
        try:
            # The message as it reads now, as the stdlib's QueueHandler does: an argument
            # changed later in this turn must not change the line.
            message = record.getMessage()
        except Exception:  # a bad format or argument: reported as the stdlib does
            self.handleError(record)
            return
        if loop is not self._loop:  # the first line on this loop (tests run many loops)
            self._write_pending()
            self._loop = loop
        if not self._pending:
            # An empty context: the write is nobody's request.
            loop.call_soon(self._write_pending, context=Context())
        self._pending.append((record, message))

    def _write_pending(self) -> None:
        self.acquire()
        try:
            pending, self._pending = self._pending, []
            for record, message in pending:
                if record.args:
                    # Only now: every other handler has had the record as it was logged.
                    record.msg, record.args = message, None
                try:
                    self.stream.write(self.format(record) + self.terminator)
                except Exception:
                    self.handleError(record)
            if pending:
                try:
                    super().flush()
                except Exception:  # a closed pipe, a full disk: once, not on every turn
                    self.handleError(pending[-1][0])
        finally:
            self.release()

    def flush(self) -> None:
        self._write_pending()
        super().flush()


def configure_logging(level: str, fmt: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """Send every record at ``level`` or above to ``stream`` (stderr) in ``fmt``; returns the
    handler, so a caller (a test) can take it off again."""
    handler = NextTurnHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def lean_records() -> None:
    """Stop every log record from gathering what no line shows: the caller's file and
    line (a walk up the stack) and the thread. The logging HOWTO's advice for a hot path
    (it saves about a quarter of an access log line's cost); called once by the server's
    entry point, not by tests, whose log reports show file and line. The process id
    stays: gunicorn's own lines show it."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
