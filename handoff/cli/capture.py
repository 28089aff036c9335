"""``handoff capture``: one session end to end against a running server.

Creates a session, prints its QR code in the terminal, shows each status as the
phone moves on, then saves the result file(s) and checks their SHA-256.
"""

import argparse
import asyncio
import hashlib
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from ..client import HandoffClient, HandoffClientError, ResultItem, Session, SessionOut
from ..client.errors import NetworkError
from .terminal import qr_lines

PROGRESS = {
    "pending": "waiting for the phone to open the link",
    "opened": "the phone opened the link",
    "action_started": "the phone is capturing",
    "completed": "the result has arrived",
    "cancelled": "the session was cancelled",
    "expired": "the session expired before a result arrived",
}


def free_path(directory: Path, filename: str) -> Path:
    """``directory/filename``, or ``name-2.ext``, ... so an existing file is never replaced."""
    path = directory / Path(filename).name
    stem, suffix, n = path.stem, path.suffix, 1
    while path.exists():
        n += 1
        path = directory / f"{stem}-{n}{suffix}"
    return path


async def save(client: HandoffClient, item: ResultItem, directory: Path) -> Path:
    path = await client.download_to(item, free_path(directory, item.filename))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != item.sha256:
        raise HandoffClientError(f"{path} does not match its SHA-256 ({digest} != {item.sha256})")
    return path


async def capture(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    def say(line: str) -> None:
        print(line, file=out, flush=True)

    metadata = dict(pair.split("=", 1) for pair in args.metadata) if args.metadata else None
    args.out.mkdir(parents=True, exist_ok=True)
    async with HandoffClient(args.url, args.api_key) as client:
        session: Session | None = None
        try:
            session = await client.create_session(
                args.action, args.format, intro_text=args.intro, session_ttl=args.session_ttl,
                result_ttl=args.result_ttl, metadata=metadata, document_mode=args.document_mode,
            )
            # The code first and the words under it, so that in a small terminal the
            # status lines scroll the code away before the link and the short code.
            for line in qr_lines(session.url):
                say(line)
            say(f"Scan the code with the phone, or open {session.url}")
            state = session.state
            if isinstance(state, SessionOut) and state.short_code:
                say(f"No camera? Open {state.short_code_url} and type {state.short_code}")
            async with asyncio.timeout(args.timeout):
                said: str | None = None  # the status last shown
                async for event in session.events():
                    pages = event.session.scan_pages if isinstance(event.session, SessionOut) else None
                    if said == event.status:
                        # The status is the same: a scan's page arrived (or the phone started over).
                        say(f"{datetime.now():%H:%M:%S}  {'':<15} {pages_said(pages or 0)}")
                    else:
                        say(f"{datetime.now():%H:%M:%S}  {event.status:<15} {PROGRESS[event.status]}")
                    said = event.status
            state = session.state
            if not isinstance(state, SessionOut) or state.status != "completed":
                return 1
            for item in state.result or []:
                path = await save(client, item, args.out)
                say(f"saved {path} ({item.size} bytes, {item.content_type})")
                if args.delete:
                    await client.delete_download(item)
            return 0
        except TimeoutError:
            say(f"handoff: no result within {args.timeout:g} seconds; cancelling the session")
            if session is not None:
                await client.cancel(session.id)
            return 1
        except asyncio.CancelledError:
            if session is not None:  # interrupted: do not leave the link usable
                await client.cancel(session.id)
            raise
        except NetworkError as exc:
            print(f"handoff: cannot reach the server at {args.url} ({_reason(exc)}); "
                  "is it running, and is the URL right?", file=sys.stderr, flush=True)
            return 1
        except HandoffClientError as exc:
            print(f"handoff: {exc}", file=sys.stderr, flush=True)
            return 1


def pages_said(pages: int) -> str:
    if pages == 0:
        return "the phone dropped its pages and starts again"
    return "1 page received" if pages == 1 else f"{pages} pages received"


def _reason(exc: BaseException) -> str:
    """The innermost cause's words, without the library's wrapping."""
    while exc.__cause__ is not None or exc.__context__ is not None:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def run(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(capture(args))
    except KeyboardInterrupt:
        print("handoff: interrupted; the session was cancelled", file=sys.stderr)
        return 130
