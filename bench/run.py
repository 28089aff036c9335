"""Run handoff's benchmark suite and print one table.

    .venv/bin/python bench/run.py            # full run, about 6 minutes on 2 idle cores
    .venv/bin/python bench/run.py --quick    # smaller counts, under 2 minutes
    .venv/bin/python bench/run.py --only push,memory
    .venv/bin/python bench/run.py --baseline 597ca80   # before and after, side by side

Every server and load generator is a child process talking to 127.0.0.1
only; all of them are stopped on exit, also after a failure or Ctrl-C.
See bench/README.md for what each figure means.
"""

import argparse
import asyncio
import atexit
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import procs
import sections
from stats import Row

FULL = sections.Plan(rounds=3, wrk_seconds=4, ws_counts=(1, 1_000, 10_000), push_samples=200,
                     many=100_000, few=1_000, expiry_batch=20_000, tombstone_ttl=10)
QUICK = sections.Plan(rounds=2, wrk_seconds=2, ws_counts=(1, 100, 1_000), push_samples=50,
                      many=5_000, few=1_000, expiry_batch=2_000, tombstone_ttl=5,
                      image_repeats=3)
SECTIONS = {
    "throughput": sections.throughput,
    "push": sections.push,
    "memory": sections.memory,
    "photos": sections.photos,
    "scaling": sections.scaling,
    "images": sections.images,
    "capture": sections.capture,
}
#: Sections that start the --baseline server themselves, alternating with ours; the
#: others run once from the baseline's checkout, then from ours.
ALTERNATING = {"throughput", "capture"}


def table(rows: list[Row]) -> str:
    met = {None: "", True: "yes", False: "NO"}
    if any(r.before for r in rows):
        header: tuple[str, ...] = ("section", "figure", "before", "after", "after/before",
                                   "unit", "goal", "met")
        lines = [header] + [(r.section, r.figure, r.before, r.value, _ratio(r), r.unit, r.goal,
                             met[r.met]) for r in rows]
    else:
        header = ("section", "figure", "value", "unit", "goal", "met")
        lines = [header] + [(r.section, r.figure, r.value, r.unit, r.goal, met[r.met])
                            for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [" | ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(out)


def _ratio(row: Row) -> str:
    try:
        return f"{float(row.value) / float(row.before):.2f}"
    except (ValueError, ZeroDivisionError):
        return ""


async def _before_and_after(name: str, plan: sections.Plan) -> list[Row]:
    """A section once with the baseline's server, then with ours; each of our rows gets the
    baseline's figure of the same name beside it."""
    assert plan.baseline is not None
    before = await SECTIONS[name](dataclasses.replace(plan, source=plan.baseline, baseline=None))
    after = await SECTIONS[name](dataclasses.replace(plan, baseline=None))
    by_figure = {(r.section, r.figure): r for r in before}
    for row in after:
        if (twin := by_figure.pop((row.section, row.figure), None)) is not None:
            row.before = twin.value
            row.raw = {"after": row.raw, "before": twin.raw, "before_unit": twin.unit}
    return after + [dataclasses.replace(r, value="-", before=r.value) for r in by_figure.values()]


async def run(plan: sections.Plan, names: list[str]) -> list[Row]:
    rows: list[Row] = []
    for name in names:
        began = time.monotonic()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        try:
            if plan.baseline is not None and name not in ALTERNATING:
                rows += await _before_and_after(name, plan)
            else:
                rows += await SECTIONS[name](plan)
        except Exception as exc:  # one broken section should not hide the others' figures
            rows.append(Row(name, "FAILED", type(exc).__name__, str(exc)[:80]))
            print(f"bench: {name} failed: {exc!r}", file=sys.stderr)
        print(f"bench: {name} took {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts, under two minutes")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated subset of: {', '.join(SECTIONS)}")
    parser.add_argument("--peer", metavar="URL",
                        help="another server speaking this API, measured beside handoff")
    parser.add_argument("--peer-key", metavar="KEY", help="an API key of the peer")
    parser.add_argument("--peer-pid", metavar="PID", type=int,
                        help="the peer's process id, for its memory figures")
    parser.add_argument("--sessions", metavar="N", type=int,
                        help="sessions for the memory, expiry and scaling figures instead of the "
                             "plan's (fewer on a busy machine, where 100,000 take too long to create)")
    parser.add_argument("--baseline", metavar="REF",
                        help="a commit whose server is measured beside this checkout's (from a "
                             "temporary git worktree, with this interpreter and packages): each "
                             "row shows before, after and their ratio")
    args = parser.parse_args()
    if args.peer and not args.peer_key:
        parser.error("--peer needs --peer-key")
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    if unknown := set(names) - set(SECTIONS):
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    procs.raise_fd_limit()
    atexit.register(procs.stop_all)
    # SIGTERM ends the run like Ctrl-C, so the children are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    plan = QUICK if args.quick else FULL
    if args.sessions:
        plan = dataclasses.replace(plan, many=args.sessions)
    if args.peer:
        plan = dataclasses.replace(plan, peer=sections.Peer(args.peer.rstrip("/"), args.peer_key,
                                                            args.peer_pid))
    commits = _git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)"
                                                     if _git("status", "--porcelain") else "")
    tree = None
    if args.baseline:
        ref = _git("rev-parse", "--short", args.baseline)
        tree = Path(tempfile.mkdtemp(prefix=f"handoff-{ref}-")) / "tree"
        _git("worktree", "add", "--detach", str(tree), ref)
        plan = dataclasses.replace(plan, baseline=tree)
        commits = f"before {ref}, after {commits}"
    began = time.monotonic()
    try:
        rows = asyncio.run(run(plan, names))
    finally:
        procs.stop_all()
        if tree is not None:
            _git("worktree", "remove", "--force", str(tree))
    procs.OUT.mkdir(exist_ok=True)
    (procs.OUT / "last-run.json").write_text(json.dumps(
        [row.__dict__ for row in rows], indent=1, default=str))
    print(f"\nhandoff bench ({'quick' if args.quick else 'full'}), {os.cpu_count()} cores, "
          f"{time.monotonic() - began:.0f} s, {commits}: {sys.executable} {' '.join(sys.argv)}\n")
    print(table(rows))


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=procs.ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()


if __name__ == "__main__":
    main()
