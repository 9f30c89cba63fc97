"""Logins per second and app CPU per login under gunicorn (2 and 4 workers, Redis sessions) at 1, 5 and 20
concurrent clients, flask-line against the same login written with Authlib's Flask client; plotted."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from local import free_port, start_redis

from flask_line.testing import EmulatorServer

WORKERS = (2, 4)
CLIENTS = (1, 5, 20)
LOGINS_PER_LEVEL = 160
#: Alternating rounds per client level; figures are medians.
ROUNDS = 5
KINDS = {
    "flask_line": "flask-line",
    "authlib": "Authlib Flask client",
    "floor": "floor (no OAuth work)",
    "essential": "floor + token call, ID-token check, new id",
}


def process_cpu_seconds(root: int) -> float:
    """CPU time of ``root`` and its children (gunicorn's master and workers), every thread, to the nanosecond
    (``/proc/<pid>/task/<tid>/schedstat``); in clock ticks from ``/proc/<pid>/stat`` where the kernel keeps no
    schedstat (a tick is 10 ms: a round's floor app used about 45 of them, so the figures stepped by 2%)."""
    total = 0.0
    for pid in _tree(root):
        try:
            total += sum(_thread_seconds(task) for task in Path(f"/proc/{pid}/task").iterdir())
        except OSError:  # the process ended meanwhile
            continue
    return total


def _tree(root: int) -> list[int]:
    """``root`` and its children."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if int(entry.name) == root or parent == root:
            found.append(int(entry.name))
    return found


def _thread_seconds(task: Path) -> float:
    try:
        return int((task / "schedstat").read_text().split()[0]) / 1e9
    except FileNotFoundError:  # no schedstat in this kernel: user and system ticks
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:  # the thread ended meanwhile
        return 0.0


def start_gunicorn(kind: str, workers: int, emulator: str, redis_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BENCH_EMULATOR_URL": emulator, "BENCH_APP_URL": url, "BENCH_REDIS_URL": redis_url}
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        f"apps:create('{kind}')",
    ]
    process = subprocess.Popen(command, cwd=Path(__file__).parent, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/line/login", allow_redirects=False, timeout=2)
            return process, url
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or its workers still starting
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn ({kind}) did not start")


def one_login(app_url: str, emulator: EmulatorServer) -> None:
    browser = requests.Session()
    start = browser.get(app_url + "/line/login", allow_redirects=False, timeout=30)
    assert start.status_code == 302, f"{app_url}: {start.status_code} {start.text[:300]}"
    back = emulator.consent(start.headers["Location"], browser=browser)
    callback = browser.get(app_url + back.path, allow_redirects=False, timeout=30)
    assert callback.status_code in (200, 302), callback.text[:200]


def measure(app_url: str, emulator: EmulatorServer, clients: int, gunicorn_pid: int) -> dict[str, float]:
    per_client = max(1, LOGINS_PER_LEVEL // clients)

    def client() -> None:
        for _ in range(per_client):
            one_login(app_url, emulator)

    cpu_before = process_cpu_seconds(gunicorn_pid)
    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    logins = per_client * clients
    return {
        "logins_per_second": logins / elapsed,
        "app_cpu_ms": (process_cpu_seconds(gunicorn_pid) - cpu_before) / logins * 1000,
    }


def run(plot_to: Path | None = None, rounds: int = ROUNDS) -> dict[str, Any] | None:
    """``{workers: {kind: {clients: figures}}}``, or None without redis-server or gunicorn.

    Both apps run side by side and are measured in alternating rounds at each level, so drift in the machine
    falls on both alike; each figure is the median of its rounds.
    """
    if shutil.which("redis-server") is None:
        return None
    results: dict[int, dict[str, dict[int, dict[str, float]]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        redis_process, redis_url = start_redis(Path(folder))
        assert redis_process is not None and redis_url is not None
        try:
            with EmulatorServer() as emulator:
                emulator.platform.sign_id_tokens_with("ES256")  # Authlib trusts the discovery document's ES256
                for workers in WORKERS:
                    results[workers] = measure_side_by_side(emulator, workers, redis_url, rounds)
        finally:
            redis_process.terminate()
            redis_process.wait(timeout=10)
    if plot_to is not None:
        plot(results, plot_to)
    return results


def measure_side_by_side(
    emulator: EmulatorServer, workers: int, redis_url: str, rounds: int
) -> dict[str, dict[int, dict[str, float]]]:
    """Every kind under gunicorn with ``workers`` workers, in alternating rounds; medians per client level.

    Each round starts every server afresh, in a rotated order: a process keeps its own luck (its hash seed, where
    its memory lands) for as long as it lives, which moved the CPU of two identical servers apart by about 5%; with
    one process per kind for every round, that luck would be in every round's figure.
    """
    samples: dict[str, dict[int, list[dict[str, float]]]] = {kind: {c: [] for c in CLIENTS} for kind in KINDS}
    for number in range(rounds):
        order = list(KINDS)[number % len(KINDS) :] + list(KINDS)[: number % len(KINDS)]
        servers: dict[str, tuple[subprocess.Popen[bytes], str]] = {}
        try:
            for kind in order:
                servers[kind] = start_gunicorn(kind, workers, emulator.url, redis_url)
                emulator.platform.register_app(servers[kind][1])
            for process, url in servers.values():  # warm up every worker: its first login loads what it needs
                measure(url, emulator, workers * 4, process.pid)
            for clients in CLIENTS:
                for kind, (process, url) in servers.items():
                    samples[kind][clients].append(measure(url, emulator, clients, process.pid))
        finally:
            for process, _ in servers.values():
                process.terminate()
                process.wait(timeout=20)
    results = {
        kind: {
            clients: {name: statistics.median(sample[name] for sample in runs) for name in runs[0]}
            for clients, runs in by_clients.items()
        }
        for kind, by_clients in samples.items()
    }
    for clients in CLIENTS:
        # Each round measured both apps back to back: its ratio cancels drift that medians of each app keep.
        ratios = [
            ours["app_cpu_ms"] / theirs["app_cpu_ms"]
            for ours, theirs in zip(samples["flask_line"][clients], samples["authlib"][clients], strict=True)
        ]
        # The login work itself: each app's CPU above the floor app's of the same round.
        above = [
            (ours["app_cpu_ms"] - floor["app_cpu_ms"]) / (theirs["app_cpu_ms"] - floor["app_cpu_ms"])
            for ours, theirs, floor in zip(
                samples["flask_line"][clients], samples["authlib"][clients], samples["floor"][clients], strict=True
            )
        ]
        # The work no secure login skips (token call, ES256 check, new session id), above the floor likewise.
        essential = [
            (needed["app_cpu_ms"] - floor["app_cpu_ms"]) / (theirs["app_cpu_ms"] - floor["app_cpu_ms"])
            for needed, theirs, floor in zip(
                samples["essential"][clients], samples["authlib"][clients], samples["floor"][clients], strict=True
            )
        ]
        results["flask_line"][clients].update(
            essential_ratio=statistics.median(essential),
            cpu_ratio=statistics.median(ratios),
            cpu_ratio_low=min(ratios),
            cpu_ratio_high=max(ratios),
            above_floor_ratio=statistics.median(above),
            above_floor_low=min(above),
            above_floor_high=max(above),
        )
    return results


def plot(results: dict[int, dict[str, dict[int, dict[str, float]]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4))
    for workers, by_kind in results.items():
        for kind, by_clients in by_kind.items():
            if kind == "essential":
                continue  # a reference for the CPU figures, not a login anyone runs
            style = {"flask_line": "-", "authlib": "--"}.get(kind, ":")
            axis.plot(
                list(by_clients),
                [figures["logins_per_second"] for figures in by_clients.values()],
                style,
                marker="o",
                label=f"{KINDS[kind]}, {workers} workers",
            )
    axis.set_xlabel("concurrent clients")
    axis.set_ylabel("complete logins per second")
    axis.set_ylim(bottom=0)
    axis.set_xticks(list(CLIENTS))
    axis.set_title("Logins under gunicorn with Redis sessions")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
