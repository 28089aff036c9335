"""The ``handoff`` command: ``serve`` the service, or ``capture`` once against a server."""

import argparse
import os
import sys
from pathlib import Path

from ..models import OUTPUT_FORMATS


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="handoff", description="Serve handoff, or capture once against a handoff server."
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve", help="run the server (configured by environment variables, as run.py)",
        description="Run the server. Configuration comes from the environment and .env "
                    "(API_KEYS, BASE_URL, HOST, PORT, SESSION_TTL, ...); see the README.",
    )
    serve.add_argument("--workers", type=int, metavar="N",
                       help="server processes sharing the port (default: $WORKERS or 1); "
                            "more than one needs REDIS_URL")
    capture = commands.add_parser(
        "capture", help="create a session, show its QR code, wait, save the result",
        description="Create a capture session on a handoff server, print its QR code, show "
                    "each status as it happens and save the result file(s).",
    )
    env_url, env_key = os.environ.get("HANDOFF_URL"), os.environ.get("HANDOFF_API_KEY")
    capture.add_argument("--url", default=env_url, required=env_url is None,
                         help="server base URL (default: $HANDOFF_URL)")
    capture.add_argument("--api-key", default=env_key, required=env_key is None,
                         help="API key (default: $HANDOFF_API_KEY)")
    capture.add_argument("--action", choices=list(OUTPUT_FORMATS), default="photo")
    capture.add_argument("--format", help="output format (default: jpg for photo, png for "
                         "signature, pdf for scan)")
    capture.add_argument("--intro", help="text shown on the phone first (a little Markdown)")
    capture.add_argument("--session-ttl", help="session lifetime, e.g. 10m (default: the server's)")
    capture.add_argument("--result-ttl", help="result file lifetime, e.g. 5m")
    capture.add_argument("--document-mode", choices=["single", "multi"], help="scan only")
    capture.add_argument("--metadata", action="append", metavar="KEY=VALUE",
                         help="a metadata pair (repeatable)")
    capture.add_argument("--out", type=Path, default=Path("."),
                         help="directory for the result file(s) (default: .)")
    capture.add_argument("--timeout", type=float, help="give up (and cancel) after SECONDS")
    capture.add_argument("--delete", action="store_true",
                         help="delete the files from the server once saved")
    return top


DEFAULT_FORMATS = {"photo": "jpg", "signature": "png", "scan": "pdf"}


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command == "serve":
        from .serve import main as serve  # the server's imports only when serving

        serve(workers=args.workers)
        return
    if args.metadata and any("=" not in pair for pair in args.metadata):
        parser().error("--metadata takes KEY=VALUE")
    args.format = args.format or DEFAULT_FORMATS[args.action]
    from .capture import run

    sys.exit(run(args))
