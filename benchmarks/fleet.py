"""What a fleet shares (issue 40): calls to LINE per 1,000 bearer requests and service-token issues against the
number of workers, with and without the shared cache, and what the shared cache costs a bearer request (part of
``make bench``). Workers are app instances with their own memory, sharing one real redis-server."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import threading
import time
from typing import Any

import apps
import redis
from flask import Flask, jsonify

from flask_line import line_token_required
from flask_line._runtime import runtime
from flask_line.testing import EmulatorServer

WORKER_COUNTS = (1, 2, 4, 8)
REQUESTS, TOKENS = 1000, 20
VERIFY, CHANNEL_TOKEN = "/oauth2/v2.1/verify", "/oauth2/v3/token"


def worker(emulator_url: str, cache: Any) -> Flask:
    """One worker of the fleet: its own runtime and caches; ``cache`` is LINE_SHARED_CACHE (False: none)."""
    app = apps.flask_line_app(emulator_url, {"SESSION_TYPE": "redis", "SESSION_REDIS": cache or redis.Redis()})
    app.config["LINE_SHARED_CACHE"] = cache
    app.extensions["line"].reload_config(app)

    @app.get("/token/me")
    @line_token_required
    def token_me() -> Any:
        return jsonify(ok=True)

    return app


def calls_per_fleet(emulator: EmulatorServer, cache: Any, workers: int) -> dict[str, float]:
    """/verify calls for 1,000 bearer requests spread over ``workers``, and channel-token issues at their start."""
    fleet = [worker(emulator.url, cache) for _ in range(workers)]
    if cache:
        cache.flushdb()
    tokens = [emulator.liff_login("Brown")["access_token"] for _ in range(TOKENS)]
    before = emulator.platform.calls(VERIFY)
    clients = [app.test_client() for app in fleet]
    for index in range(REQUESTS):
        headers = {"Authorization": f"Bearer {tokens[index % TOKENS]}"}
        # Each round of the tokens goes to the next worker: every token meets every worker.
        assert clients[(index // TOKENS) % workers].get("/token/me", headers=headers).status_code == 200
    verify_calls = emulator.platform.calls(VERIFY) - before
    before = emulator.platform.calls(CHANNEL_TOKEN)
    gate = threading.Barrier(workers)

    def start(app: Flask) -> None:
        login = runtime(app).channels.service("default")
        gate.wait()
        login._channel_token.get()

    threads = [threading.Thread(target=start, args=(app,)) for app in fleet]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"verify": verify_calls, "issues": emulator.platform.calls(CHANNEL_TOKEN) - before}


def bearer_latency(emulator: EmulatorServer, cache: Any, rounds: int = 20, per_round: int = 100) -> dict[str, Any]:
    """p50/p99 µs of a cached bearer request with the shared cache and without, in interleaved rounds (so a busy
    machine slows both alike)."""
    headers = {"Authorization": f"Bearer {emulator.liff_login('Cony')['access_token']}"}
    clients = {"shared": worker(emulator.url, cache).test_client(), "alone": worker(emulator.url, False).test_client()}
    timings: dict[str, list[float]] = {name: [] for name in clients}
    for client in clients.values():
        client.get("/token/me", headers=headers)
    for _ in range(rounds):
        for name, client in clients.items():
            for _ in range(per_round):
                start = time.perf_counter()
                client.get("/token/me", headers=headers)
                timings[name].append(time.perf_counter() - start)
    result = {}
    for name, seen in timings.items():
        seen.sort()
        result[name] = {"p50_us": statistics.median(seen) * 1e6, "p99_us": seen[int(len(seen) * 0.99)] * 1e6}
    return result


def run() -> dict[str, Any] | None:
    """Everything the fleet section reports (None: redis-server is not installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = 6399
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    try:
        cache = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                cache.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        with EmulatorServer() as emulator:
            rows = {
                workers: {
                    "shared": calls_per_fleet(emulator, cache, workers),
                    "alone": calls_per_fleet(emulator, False, workers),
                }
                for workers in WORKER_COUNTS
            }
            latency = bearer_latency(emulator, cache)
        return {"rows": rows, "latency": latency}
    finally:
        server.terminate()
        server.wait(timeout=10)


def lines(result: dict[str, Any] | None) -> list[str]:
    """The RESULTS.md section."""
    if result is None:
        return ["## A fleet sharing what it learns", "", "- redis-server is not installed: not measured", ""]
    table = [
        "## A fleet sharing what it learns (workers sharing one Redis, against each worker alone)",
        "",
        f"| workers | /verify calls per {REQUESTS:,} bearer requests ({TOKENS} tokens), shared | alone "
        "| channel-token issues at start, shared | alone |",
        "|---|---|---|---|---|",
    ]
    for workers, row in result["rows"].items():
        shared, alone = row["shared"], row["alone"]
        calls = (shared["verify"], alone["verify"], shared["issues"], alone["issues"])
        table.append(f"| {workers} | " + " | ".join(f"{count:.0f}" for count in calls) + " |")
    shared, alone = result["latency"]["shared"], result["latency"]["alone"]
    table += [
        "",
        f"- A cached bearer request: p50 {shared['p50_us']:.0f} µs / p99 {shared['p99_us']:.0f} µs with the shared "
        f"cache (one Redis read for revocations), {alone['p50_us']:.0f} / {alone['p99_us']:.0f} µs without: "
        f"**+{shared['p50_us'] - alone['p50_us']:.0f} µs** at p50.",
        "",
    ]
    return table
