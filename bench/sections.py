"""The five measurements. Each starts its own server(s), returns table rows, and stops what it started."""

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

import load
from procs import (BENCH, OUT, ROOT, cpu_seconds, rss_kib, source_env, spawn, start_bare,
                   start_handoff, stop)
from stats import Row, median, percentile, wrk

KEY = "bench-key-" + "k" * 22


@dataclass(frozen=True)
class Plan:
    rounds: int            # A/B alternations per throughput figure
    wrk_seconds: float     # length of one wrk run
    ws_counts: tuple[int, ...]
    push_samples: int      # uploads timed per socket count
    many: int              # sessions for memory, mass expiry and the top of the scaling range
    few: int               # the bottom of the scaling range
    expiry_batch: int      # sessions expiring while server CPU is measured (scaling)
    tombstone_ttl: float   # seconds; TOMBSTONE_TTL while waiting for everything to be forgotten
    image_repeats: int = 5  # timed runs of each image job
    peer: "Peer | None" = None  # another server speaking this API, measured beside handoff
    source: Path = ROOT    # the checkout whose server the sections start
    baseline: Path | None = None  # --baseline: another commit's checkout, alternated with ours


@dataclass(frozen=True)
class Peer:
    """A server started by someone else (``--peer``): its base URL, an API key, its pid for RSS."""

    base: str
    key: str
    pid: int | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _http(limit: int = 64) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=load.connector(limit),
                                 timeout=aiohttp.ClientTimeout(total=60))


async def _readline(proc: subprocess.Popen, timeout: float) -> str:
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout)
    if not line:
        raise RuntimeError(f"{proc.args[1]} ended early; see {OUT}")
    return line.decode().strip()


def _ratio_rows(name: str, goal: float | None, a: list[float], b: list[float], errors: int) -> Row:
    ratios = [x / y for x, y in zip(a, b)]
    m = median(ratios)
    return Row("throughput", name, f"{m:.2f}", f"x bare (spread {min(ratios):.2f}-{max(ratios):.2f})",
               "" if goal is None else f">= {goal:.2f}x", None if goal is None else m >= goal,
               {"handoff_rps": a, "bare_rps": b, "ratios": ratios, "failed": errors})


# -- 1. throughput ------------------------------------------------------------

async def throughput(plan: Plan) -> list[Row]:
    port_a, port_b = free_port(), free_port()
    a_base, b_base = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    server = start_handoff(port_a, KEY, plan.source)
    bare = before = None
    try:
        if plan.baseline is not None:
            port_c = free_port()
            c_base = f"http://127.0.0.1:{port_c}"
            before = start_handoff(port_c, KEY, plan.baseline)
        async with _http() as http:
            session_id, created, fetched, etag = await _one_session(http, a_base, KEY)
            peer_paths = {}
            if plan.peer is not None:
                peer_id, _, _, peer_etag = await _one_session(http, plan.peer.base, plan.peer.key)
                peer_paths = {"get": f"/api/v1/sessions/{peer_id}", "etag": peer_etag}
            if before is not None:
                before_id, _, _, before_etag = await _one_session(http, c_base, KEY)
                before_paths = {"get": f"/api/v1/sessions/{before_id}", "etag": before_etag}
        bare = start_bare(port_b, len(created), len(fetched))
        body = json.dumps({"action_type": "photo", "output_format": "jpg"})
        def elsewhere(paths: dict[str, str]) -> dict[str, tuple[str | None, dict[str, str]]]:
            """The same cases on another server, by its own session."""
            return {"create": ("/api/v1/sessions", {"body": body}), "get": (paths.get("get"), {}),
                    "304": (paths.get("get"), {"etag": paths.get("etag", "")})}

        # Reads first, on a server holding the few sessions the bench made; then creates;
        # then reads again, on a server now holding every session the create runs made
        # (tens of thousands: reads slow down as the heap grows, the bare app holds none).
        cases = [
            ("get (GET /sessions/{id}, 200)", 0.9, "get", f"/api/v1/sessions/{session_id}", {}),
            ("304 (GET with If-None-Match)", 0.95, "304", f"/api/v1/sessions/{session_id}",
             {"etag": etag}),
            ("create (POST /sessions)", 0.75, "create", "/api/v1/sessions", {"body": body}),
            ("get, server holding the created sessions", None, "get",
             f"/api/v1/sessions/{session_id}", {}),
        ]
        rows = []
        for name, goal, kind, path, extra in cases:
            # (url, key, extra, rates) of each target; each round runs them in turn, the
            # next round in the opposite order, so drift on the machine hits all alike.
            targets = [(a_base + path, KEY, extra, []), (b_base + path, KEY, extra, [])]
            if plan.peer is not None:
                peer_path, peer_extra = elsewhere(peer_paths)[kind]
                targets.append((plan.peer.base + peer_path, plan.peer.key, peer_extra, []))
            if before is not None:
                before_path, before_extra = elsewhere(before_paths)[kind]
                targets.append((c_base + before_path, KEY, before_extra, []))
            for url, key, more, _ in targets:  # warm all
                await asyncio.to_thread(wrk, url, 1, api_key=key, **more)
            errors = 0
            for round_ in range(plan.rounds):
                for url, key, more, rates in targets if round_ % 2 == 0 else targets[::-1]:
                    rate, failed = await asyncio.to_thread(
                        wrk, url, plan.wrk_seconds, api_key=key, **more)
                    rates.append(rate)
                    errors += failed
            a_rates, b_rates = targets[0][3], targets[1][3]
            row = _ratio_rows(name, goal, a_rates, b_rates, errors)
            row.raw["handoff_rps_median"] = median(a_rates)
            line = f"  {name}: handoff {median(a_rates):.0f}/s, bare {median(b_rates):.0f}/s"
            if before is not None:
                c_rates = targets[-1][3]
                before_ratios = [x / y for x, y in zip(c_rates, b_rates)]
                row.before = f"{median(before_ratios):.2f}"
                row.raw.update(before_rps=c_rates, before_ratios=before_ratios)
                line += f", before {median(c_rates):.0f}/s"
            rows.append(row)
            if plan.peer is not None:
                p_rates = targets[2][3]
                ratios = [x / y for x, y in zip(a_rates, p_rates)]
                rows.append(Row("throughput", f"{name}, vs peer", f"{median(ratios):.2f}",
                                f"x peer (spread {min(ratios):.2f}-{max(ratios):.2f})", "", None,
                                {"handoff_rps": a_rates, "peer_rps": p_rates, "ratios": ratios}))
                line += f", peer {median(p_rates):.0f}/s"
            print(f"{line}, failed {errors}", file=sys.stderr)
        return rows
    finally:
        for other in (bare, before):
            if other is not None:
                stop(other)
        stop(server)


async def _one_session(http: aiohttp.ClientSession, base: str,
                       key: str) -> tuple[str, bytes, bytes, str]:
    """A session's id, the create and get bodies, and its ETag."""
    async with http.post(f"{base}/api/v1/sessions", headers={"X-API-Key": key},
                         json={"action_type": "photo", "output_format": "jpg"}) as r:
        created = await r.read()
        session_id = json.loads(created)["id"]
    async with http.get(f"{base}/api/v1/sessions/{session_id}", headers={"X-API-Key": key}) as r:
        return session_id, created, await r.read(), r.headers["ETag"]


# -- 2. push latency (and memory per idle websocket) --------------------------

async def push(plan: Plan) -> list[Row]:
    port = free_port()
    server = start_handoff(port, KEY, plan.source)
    try:
        rows = await _push_on(plan, f"http://127.0.0.1:{port}", KEY, server.pid, "")
    finally:
        stop(server)
    if plan.peer is not None:
        rows += await _push_on(plan, plan.peer.base, plan.peer.key, plan.peer.pid, "peer: ")
    return rows


async def _push_on(plan: Plan, base: str, key: str, pid: int | None, label: str) -> list[Row]:
    """Push latency on one server (and its memory per idle websocket when its pid is known)."""
    rows: list[Row] = []
    async with _http() as http:
        for count in plan.ws_counts:
            sessions = await load.create_sessions(http, base, key, count)
            ids_file = OUT / "ws-ids.txt"
            ids_file.write_text("\n".join(sid for sid, _ in sessions) + "\n")
            await asyncio.sleep(0.5)
            before = rss_kib(pid) if pid else 0
            clients = spawn([sys.executable, str(BENCH / "wsclients.py"), base, key,
                             str(ids_file), "300"], log_name="wsclients.log",
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            try:
                _, connected, failed = (await _readline(clients, 120)).split()
                if int(failed):
                    raise RuntimeError(f"{failed} of {count} websockets failed to connect")
                await asyncio.sleep(1.0)
                after = rss_kib(pid) if pid else 0
                sample = random.sample(sessions, min(plan.push_samples, count))
                sent: dict[str, float] = {}
                for sid, token in sample:
                    # From the page request being sent: its push may arrive before its answer.
                    opened = time.monotonic()
                    await load.open_page(http, base, token)
                    await load.send_signature(http, base, token)
                    sent[sid] = opened
                    await asyncio.sleep(0.005)  # one push at a time: latency, not throughput
                await asyncio.sleep(0.5)
                clients.stdin.write(b"report\n")
                clients.stdin.flush()
                arrivals = json.loads(await _readline(clients, 60))
                clients.stdin.write(b"quit\n")
                clients.stdin.flush()
                await asyncio.to_thread(clients.wait, 30)
            finally:
                stop(clients)
            # From the change, as the message's own timestamp says (the server's clock, which
            # the bench shares): the upload's answer and the push race, so timing from that
            # answer could come out negative.
            done = [arrivals[s]["lag completed"] * 1000 for s in sent
                    if "lag completed" in arrivals.get(s, {})]
            opened = [(arrivals[s]["opened"] - op) * 1000 for s, op in sent.items()
                      if "opened" in arrivals.get(s, {})]
            if len(done) < len(sent) or len(opened) < len(sent):
                raise RuntimeError(f"{len(sent) - len(done)} completed pushes never arrived")
            p99 = percentile(done, 99)
            rows.append(Row(
                "push", f"{label}completed push from the change, {count:,} idle sockets",
                f"{percentile(done, 50):.2f} / {p99:.2f} / {max(done):.2f}",
                f"ms p50/p99/max (n={len(done)})",
                "p99 <= 1 ms at 10,000" if count >= 10_000 else "",
                (p99 <= 1.0) if count >= 10_000 else None, {"ms": done}))
            rows.append(Row(
                "push", f"{label}opened push from sending GET /s/{{token}}, {count:,} sockets",
                f"{percentile(opened, 50):.2f} / {percentile(opened, 99):.2f} / {max(opened):.2f}",
                f"ms p50/p99/max (n={len(opened)})", "", None, {"ms": opened}))
            if count == max(plan.ws_counts) and pid:
                per = (after - before) / count
                rows.append(Row("memory", f"{label}per idle websocket ({count:,} connected)",
                                f"{per:.1f}", "KiB", "<= 12 KiB", per <= 12,
                                {"rss_before_kib": before, "rss_after_kib": after}))
            print(f"  {label}{count} sockets: completed p99 {p99:.2f} ms", file=sys.stderr)
    return rows


# -- 3 and 4b. memory per session and tombstone, mass expiry, forgetting ------

def _probe(url: str, seconds: float) -> subprocess.Popen:
    return spawn([sys.executable, str(BENCH / "probe.py"), url, str(seconds)],
                 log_name="probe.log", stdin=subprocess.PIPE, stdout=subprocess.PIPE)


async def _probe_result(probe: subprocess.Popen) -> list[float]:
    probe.stdin.close()
    out = await asyncio.to_thread(probe.stdout.read)
    await asyncio.to_thread(probe.wait, 10)
    stop(probe)
    return json.loads(out)


def _lag_row(figure: str, lags: list[float], goal: str, met: bool) -> Row:
    return Row("loop lag", figure,
               f"{percentile(lags, 50):.1f} / {percentile(lags, 99):.1f} / {max(lags):.1f}",
               f"ms p50/p99/max (n={len(lags)})", goal, met, {"ms": lags})


async def _status(http: aiohttp.ClientSession, base: str, session_id: str) -> str:
    async with http.get(f"{base}/api/v1/sessions/{session_id}", headers={"X-API-Key": KEY}) as r:
        return "forgotten" if r.status == 404 else (await r.json())["status"]


async def _tombstones(plan: Plan) -> tuple[Row, float]:
    """Per-tombstone memory; also returns how long creating the sessions took."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_handoff(port, KEY, plan.source, TOMBSTONE_TTL="1h")
    n = plan.many
    try:
        async with _http() as http:
            await load.create_sessions(http, base, KEY, 10)  # warm up the routes used
            await asyncio.sleep(1.0)
            start = rss_kib(server.pid)
            # Sessions that live one second: nearly all that is held is tombstones.
            began = time.monotonic()
            made = await load.create_sessions(http, base, KEY, n, ttl=lambda: 1.0)
            creating = time.monotonic() - began
            await asyncio.sleep(2.5)
            if await _status(http, base, made[-1][0]) != "expired":
                raise RuntimeError("sessions with a 1 s lifetime had not expired")
            tombs = rss_kib(server.pid)
    finally:
        stop(server)
    per = (tombs - start) / n
    return Row("memory", f"per tombstone ({n:,} expired)", f"{per:.2f}", "KiB", "<= 0.3 KiB",
               per <= 0.3, {"rss_kib": [start, tombs], "create_seconds": creating}), creating


async def _peer_sessions(plan: Plan) -> list[Row]:
    """Memory per live session on the peer: its RSS growth over ``plan.many`` new sessions."""
    peer = plan.peer
    assert peer is not None and peer.pid is not None
    async with _http() as http:
        await load.create_sessions(http, peer.base, peer.key, 10)
        await asyncio.sleep(1.0)
        start = rss_kib(peer.pid)
        await load.create_sessions(http, peer.base, peer.key, plan.many, ttl=lambda: 3600.0)
        await asyncio.sleep(0.5)
        live = rss_kib(peer.pid)
    per = (live - start) / plan.many
    return [Row("memory", f"peer: per live session ({plan.many:,} live)", f"{per:.2f}", "KiB",
                "", None, {"rss_kib": [start, live]})]


async def memory(plan: Plan) -> list[Row]:
    rows = await _handoff_memory(plan)
    if plan.peer is not None and plan.peer.pid is not None:
        rows += await _peer_sessions(plan)
    return rows


async def _handoff_memory(plan: Plan) -> list[Row]:
    tomb_row, creating = await _tombstones(plan)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_handoff(port, KEY, plan.source, TOMBSTONE_TTL=f"{plan.tombstone_ttl:g}s")
    n = plan.many
    try:
        async with _http() as http:
            await load.create_sessions(http, base, KEY, 10)
            await asyncio.sleep(1.0)
            start = rss_kib(server.pid)

            # Live sessions, all expiring within the same second, planned from the first batch.
            expire_at = time.monotonic() + creating * 1.4 + 5
            made = await load.create_sessions(
                http, base, KEY, n, ttl=lambda: expire_at - time.monotonic() + random.random())
            if time.monotonic() > expire_at - 1.5:
                raise RuntimeError("creating sessions took longer than planned; expiry overlapped")
            await asyncio.sleep(0.5)
            live = rss_kib(server.pid)

            await asyncio.sleep(expire_at - 1.0 - time.monotonic())
            probe = _probe(base + "/api/v1/health", 6.0)
            cpu_before = cpu_seconds(server.pid)
            await asyncio.sleep(4.0)
            cpu_used = cpu_seconds(server.pid) - cpu_before
            lags = await _probe_result(probe)
            if await _status(http, base, made[-1][0]) != "expired":
                raise RuntimeError("the mass expiry had not happened")

            # Forgetting: wait for the last tombstone to go, then look at the memory again.
            forget_at = expire_at + 1 + plan.tombstone_ttl + 1.5
            await asyncio.sleep(max(0.0, forget_at - time.monotonic()))
            # On a busy machine forgetting can lag: wait for it (bounded) rather than fail.
            late_by = 0.0
            while await _status(http, base, made[-1][0]) != "forgotten":
                if late_by >= 60:
                    raise RuntimeError("tombstones were not forgotten within 60 s of their time")
                await asyncio.sleep(1.0)
                late_by += 1.0
            await asyncio.sleep(1.0)
            end = rss_kib(server.pid)
    finally:
        stop(server)
    per_live = (live - start) / n
    return [
        Row("memory", f"per live session ({n:,} live)", f"{per_live:.2f}", "KiB", "<= 0.7 KiB",
            per_live <= 0.7, {"rss_kib": [start, live]}),
        tomb_row,
        Row("memory", "RSS after all forgotten vs start",
            f"{(end - start) / 1024:+.1f}", f"MiB ({start / 1024:.0f} -> {live / 1024:.0f} -> "
            f"{end / 1024:.0f} MiB)", "<= +20 MiB",
            (end - start) <= 20 * 1024, {"rss_kib": [start, live, end]}),
        Row("loop lag", f"during {n:,} sessions expiring in 1 s",
            f"{percentile(lags, 50):.1f} / {percentile(lags, 99):.1f} / {max(lags):.1f}",
            f"ms p50/p99/max (n={len(lags)}; server CPU {cpu_used:.2f} s)",
            "max <= 100 ms", max(lags) <= 100, {"ms": lags}),
    ]


# -- 4a. loop lag during photo processing -------------------------------------

async def photos(plan: Plan) -> list[Row]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_handoff(port, KEY, plan.source)
    photo = await asyncio.to_thread(load.twelve_megapixel_jpeg)
    try:
        async with _http() as http:
            sessions = await load.create_sessions(http, base, KEY, 5, action="photo")
            alone = await load.send_photo(http, base, sessions[0][1], photo)  # warm-up
            baseline_probe = _probe(base + "/api/v1/health", 2.0)
            await asyncio.sleep(1.0)
            idle = await _probe_result(baseline_probe)
            probe = _probe(base + "/api/v1/health", 120.0)
            await asyncio.sleep(0.5)
            began = time.monotonic()
            await asyncio.gather(*(load.send_photo(http, base, token, photo)
                                   for _, token in sessions[1:]))
            took = time.monotonic() - began
            await asyncio.sleep(0.3)
            lags = await _probe_result(probe)
        p99 = percentile(lags, 99)
        return [
            _lag_row("idle server (reference)", idle, "", None),
            Row("loop lag", f"during 4 concurrent 12 MP uploads ({len(photo) / 1e6:.1f} MB each)",
                f"{percentile(lags, 50):.1f} / {p99:.1f} / {max(lags):.1f}",
                f"ms p50/p99/max (n={len(lags)}; 4 took {took:.1f} s, 1 alone {alone:.1f} s)",
                "p99 <= 20 ms", p99 <= 20, {"ms": lags}),
        ]
    finally:
        stop(server)


# -- 5. scaling ---------------------------------------------------------------

async def _expiry_cpu(http: aiohttp.ClientSession, base: str, pid: int, batch: int) -> float:
    """Server CPU microseconds per expiry, for ``batch`` sessions expiring in half a second."""
    lead = batch / 1500 + 3
    expire_at = time.monotonic() + lead
    await load.create_sessions(http, base, KEY, batch,
                               ttl=lambda: expire_at - time.monotonic() + random.random() / 2)
    window = 2.0
    await asyncio.sleep(max(0.0, expire_at - 0.2 - time.monotonic()))
    busy_from = cpu_seconds(pid)
    await asyncio.sleep(window)
    busy = cpu_seconds(pid) - busy_from
    # The same window once the expiry is over: what the idle server costs meanwhile.
    idle_from = cpu_seconds(pid)
    await asyncio.sleep(window)
    idle = cpu_seconds(pid) - idle_from
    print(f"  expiry of {batch}: busy {busy:.2f} s, idle {idle:.2f} s CPU", file=sys.stderr)
    return max(0.0, busy - idle) / batch * 1e6


async def scaling(plan: Plan) -> list[Row]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_handoff(port, KEY, plan.source)
    body = json.dumps({"action_type": "photo", "output_format": "jpg"})
    figures: dict[int, dict[str, float]] = {}
    try:
        async with _http() as http:
            live = 0
            for level in (plan.few, plan.many):
                made = await load.create_sessions(http, base, KEY, level - live,
                                                  ttl=lambda: 3600.0)
                live = level
                path = f"{base}/api/v1/sessions/{made[0][0]}"
                await asyncio.to_thread(wrk, path, 1, api_key=KEY)  # warm-up
                get_rps = median([(await asyncio.to_thread(wrk, path, plan.wrk_seconds,
                                                           api_key=KEY))[0]
                                  for _ in range(plan.rounds)])
                expiry_us = await _expiry_cpu(http, base, server.pid, plan.expiry_batch)
                create_rps, _ = await asyncio.to_thread(
                    wrk, f"{base}/api/v1/sessions", plan.wrk_seconds, api_key=KEY, body=body)
                figures[level] = {"get": get_rps, "create": create_rps, "expiry": expiry_us}
                print(f"  {level} live: {figures[level]}", file=sys.stderr)
    finally:
        stop(server)
    few, many = figures[plan.few], figures[plan.many]
    label = f"{plan.many:,} vs {plan.few:,} live"
    return [
        Row("scaling", f"create rate, {label}", f"{many['create'] / few['create']:.2f}",
            f"x ({few['create']:.0f} -> {many['create']:.0f} /s)", "flat (~1.0)",
            many["create"] / few["create"] >= 0.8, figures),
        Row("scaling", f"get rate, {label}", f"{many['get'] / few['get']:.2f}",
            f"x ({few['get']:.0f} -> {many['get']:.0f} /s)", "flat (~1.0)",
            many["get"] / few["get"] >= 0.8, figures),
        Row("scaling", f"CPU per expiry, {label}", f"{many['expiry']:.1f} vs {few['expiry']:.1f}",
            "us per session", "flat", many["expiry"] <= max(1.5 * few["expiry"], few["expiry"] + 5),
            figures),
    ]


# -- 6. image work: server time and memory -------------------------------------

async def images(plan: Plan) -> list[Row]:
    """Server time of a 12 MP photo and a corrected scan page, in a process of their own."""
    script = str(BENCH / "images.py")
    env = {**os.environ, **source_env(plan.source)}
    timing = await asyncio.to_thread(subprocess.run, [sys.executable, script, str(plan.image_repeats)],
                                     cwd=BENCH, capture_output=True, check=True, timeout=600, env=env)
    peak = await asyncio.to_thread(subprocess.run, [sys.executable, script, "--peak", "64000000"],
                                   cwd=BENCH, capture_output=True, check=True, timeout=600, env=env)
    t, p = json.loads(timing.stdout), json.loads(peak.stdout)

    def quality(name: str) -> str:
        value = t[f"{name}_ssim"]
        return "reference kept" if value is None else f"SSIM {value:.4f} vs reference"

    return [
        Row("images", "photo: 12 MP JPEG to stored jpg (process_photo)", f"{t['photo_ms']:.0f}",
            f"ms median of {plan.image_repeats} ({quality('photo')}, {t['sizes']['photo']})", "", None, t),
        Row("images", "scan page, perspective corrected, auto filter", f"{t['page_ms']:.0f}",
            f"ms median of {plan.image_repeats} ({quality('page')}, {t['sizes']['page']})", "", None, t),
        Row("images", "peak RSS of one 64 MP photo", f"{p['peak_mib'] - p['before_mib']:.0f}",
            f"MiB over {p['before_mib']:.0f} MiB at start", "a few hundred MB",
            p["peak_mib"] - p["before_mib"] <= 400, p),
    ]


# -- 7. a photo and a scan page through the API: server time, output compared ---

async def capture(plan: Plan) -> list[Row]:
    """Upload start to ``completed`` on the desktop's websocket, for a 12 MP photo and a
    perspective-corrected scan page; with ``--baseline`` alternated with that server, and
    the outputs compared (SSIM of ours against its)."""
    photo = await asyncio.to_thread(load.twelve_megapixel_jpeg)
    servers = {"after": plan.source} | ({"before": plan.baseline} if plan.baseline else {})
    bases, procs_ = {}, []
    try:
        for name, source in servers.items():
            port = free_port()
            procs_.append(start_handoff(port, KEY, source))
            bases[name] = f"http://127.0.0.1:{port}"
        times: dict[str, dict[str, list[float]]] = {n: {"photo": [], "page": []} for n in bases}
        outputs: dict[str, dict[str, bytes]] = {n: {} for n in bases}
        async with _http() as http:
            for round_ in range(plan.image_repeats + 1):  # the first round warms up
                order = list(bases) if round_ % 2 == 0 else list(bases)[::-1]
                for name in order:
                    for kind in ("photo", "page"):
                        seconds, out = await _captured(http, bases[name], kind, photo)
                        if round_:
                            times[name][kind].append(seconds * 1000)
                        outputs[name].setdefault(kind, out)
    finally:
        for proc in procs_:
            stop(proc)
    rows = []
    labels = {"photo": "photo: 12 MP JPEG upload to completed, server time",
              "page": "scan page, perspective corrected: upload to completed"}
    for kind, figure in labels.items():
        after = median(times["after"][kind])
        unit = f"ms median of {plan.image_repeats}"
        raw: dict = {"ms": times}
        row = Row("capture", figure, f"{after:.0f}", unit, ">= 30% faster than before", None, raw)
        if "before" in bases:
            before = median(times["before"][kind])
            score = await asyncio.to_thread(_ssim, outputs["after"][kind], outputs["before"][kind])
            row.before = f"{before:.0f}"
            row.unit = f"{unit}; SSIM {score:.4f} vs before"
            row.met = after <= 0.7 * before and score >= 0.99
            raw["ssim"] = score
        rows.append(row)
    return rows


#: The page in the 4000x3000 test photo (top-left, top-right, bottom-right, bottom-left).
PAGE_CORNERS = [[600.0, 300.0], [3300.0, 420.0], [3500.0, 2800.0], [450.0, 2650.0]]


async def _captured(http: aiohttp.ClientSession, base: str, kind: str,
                    photo: bytes) -> tuple[float, bytes]:
    """Seconds from the upload's first byte to ``completed`` on the desktop's websocket,
    and the stored file."""
    body = ({"action_type": "photo", "output_format": "jpg"} if kind == "photo"
            else {"action_type": "scan", "output_format": "images"})
    async with http.post(f"{base}/api/v1/sessions", headers={"X-API-Key": KEY}, json=body) as r:
        session = await r.json()
    token = session["url"].rsplit("/", 1)[1]
    ws = await http.ws_connect(f"ws{base.removeprefix('http')}/api/v1/sessions/{session['id']}/ws",
                               headers={"X-API-Key": KEY})
    try:
        await ws.receive_json()
        form = aiohttp.FormData()
        form.add_field("file", photo, filename="photo.jpg", content_type="image/jpeg")
        if kind == "photo":
            path = f"/s/{token}/result"
        else:
            path = f"/s/{token}/scan/upload"
            form.add_field("page_index", "0")
            form.add_field("corners", json.dumps(PAGE_CORNERS))
            form.add_field("filter", "auto")
        started = time.monotonic()
        async with http.post(base + path, data=form) as r:
            if r.status != 200:
                raise RuntimeError(f"{kind} upload answered {r.status}: {await r.text()}")
        if kind == "page":
            async with http.post(f"{base}/s/{token}/scan/finalize") as r:
                if r.status != 200:
                    raise RuntimeError(f"finalize answered {r.status}: {await r.text()}")
        async with asyncio.timeout(120):
            while (message := await ws.receive_json())["status"] != "completed":
                pass
        took = time.monotonic() - started
    finally:
        await ws.close()
    data = message["data"]
    url = data[0]["download_url"] if kind == "photo" else data["documents"][0]["pages"][0]["url"]
    async with http.get(url, headers={"X-API-Key": KEY}) as r:
        return took, await r.read()


def _ssim(a: bytes, b: bytes) -> float:
    from images import ssim  # numpy and Pillow only when a section compares images

    return ssim(a, b)
