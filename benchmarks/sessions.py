"""The default session store at scale: a signed-in request's latency from 0 to 200,000 stored sessions (and
1,000,000 pending-only ones from anonymous login starts), a worker's start on a large store, and Redis for
comparison. Rows are written straight into the store, as that many real logins would leave them."""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from flask import Flask
from local import start_redis

from flask_line import LineOAuth, line_login_required

STEPS = (0, 50_000, 100_000, 150_000, 200_000)
PENDING = 1_000_000
SIGNED_IN = {
    "_line_login": {  # the shape flask_line._identity stores: the record's size is what is measured
        "channel": "1650000000",
        "user": {"user_id": "U1", "display_name": "Brown", "amr": [], "scopes": ["profile", "openid"]},
        "token": {"access_token": "t", "expires_at": time.time() + 86400, "scopes": ["profile"]},
    }
}


def make_app(instance: Path, **config: Any) -> Flask:
    app = Flask("scale", instance_path=str(instance))
    app.config.update(SECRET_KEY="k", LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="s" * 32, **config)
    LineOAuth(app)

    @app.get("/me")
    @line_login_required
    def me() -> str:
        return "ok"

    return app


def signed_in_client(app: Flask) -> Any:
    client = app.test_client()
    with client.session_transaction() as stored:
        stored.update(SIGNED_IN)
    return client


def latencies(client: Any, requests: int = 1500) -> list[float]:
    client.get("/me")
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        assert client.get("/me").status_code == 200
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def fill(path: Path, start: int, stop: int, *, lifetime: float, prefix: str) -> None:
    """Store sessions ``start``..``stop`` with the shape flask-line writes (msgpack blobs)."""
    blob = b"\x81\xab_line_login\x80"
    now = time.time()
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT OR REPLACE INTO flask_line_sessions VALUES (?, ?, ?)",
            ((f"session:{prefix}{index}", blob, now + lifetime) for index in range(start, stop)),
        )


def sqlite_scale(root: Path) -> dict[str, Any]:
    app = make_app(root)
    client = signed_in_client(app)
    path = app.session_interface.inner.path  # the embedded store, inside the outage wrapper
    rows: list[dict[str, float]] = []
    previous = 0
    for step in STEPS:
        fill(path, previous, step, lifetime=31 * 86400, prefix="signed")
        previous = step
        rows.append({"sessions": step, **summary(latencies(client))})
    fill(path, 0, PENDING, lifetime=600, prefix="pending")
    with_pending = summary(latencies(client))
    start = time.perf_counter()
    restarted = make_app(root)  # a new worker on the large store
    first = signed_in_client(restarted)
    assert first.get("/me").status_code == 200
    worker_start_ms = (time.perf_counter() - start) * 1000
    return {"rows": rows, "with_pending": with_pending, "worker_start_ms": worker_start_ms}


def redis_baseline(root: Path) -> dict[str, float] | None:
    """The same request on Redis sessions (Flask-Session), when redis-server is installed."""
    import redis

    process, url = start_redis(root)
    if process is None or url is None:
        return None
    try:
        connection = redis.Redis.from_url(url)
        app = make_app(root / "redis", SESSION_TYPE="redis", SESSION_REDIS=connection)
        return summary(latencies(signed_in_client(app)))
    finally:
        process.terminate()
        process.wait(timeout=10)


def run(plot_to: Path | None = None) -> dict[str, Any]:
    """Measure, optionally plot latency against stored sessions, and return the figures."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        results = sqlite_scale(root / "sqlite")
        results["redis"] = redis_baseline(root)
    if plot_to is not None:
        plot(results, plot_to)
    return results


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["rows"]
    counts = [row["sessions"] / 1000 for row in rows]
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.plot(counts, [row["p50_ms"] for row in rows], marker="o", label="p50, SQLite (default)")
    axis.plot(counts, [row["p99_ms"] for row in rows], marker="o", label="p99, SQLite (default)")
    if results["redis"]:
        axis.axhline(results["redis"]["p99_ms"], linestyle="--", color="grey", label="p99, Redis")
    axis.set_xlabel("stored signed-in sessions (thousands)")
    axis.set_ylabel("signed-in request latency (ms)")
    axis.set_ylim(bottom=0)
    axis.set_title("A signed-in request as the default session store fills up")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
