"""flask-line benchmarks (``make bench``): results go to ``benchmarks/RESULTS.md``.

1. Per-request cost of ``@line_login_required`` on a signed-in request, against Flask-Login's
   ``@login_required`` and against no decorator, all on the same server-side session store.
2. Complete logins per second against the emulator, against the same flow written with Authlib's Flask client,
   and outbound requests per login.
3. Import time and resident memory of an app with the extension.
5. Many LINE Login channels in one app (``channels.py``): 1,000 channels against one, and 10,000 resolved.
6. A fleet sharing what it learns (``fleet.py``): calls to LINE per 1,000 bearer requests and service-token issues
   against the number of workers, and what the shared cache costs a bearer request.
8. LINE WORKS for many companies (``companies.py``): 1,000 companies against one, and 10,000 resolved.
7. Pushing to members (``messaging.py``): a push beside the same HTTP call by hand, and line-bot-sdk's import cost.
4. A request carrying a cached LINE access token (``@line_token_required``) against a session-protected request,
   outbound calls per bearer request, and the token cache's hit rate under a realistic mix of tokens.
"""

from __future__ import annotations

import compileall
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cachelib import SimpleCache
from flask import Flask, session

import flask_line
from flask_line import LineOAuth, LineToken, LineUser, line_login_required, line_token_required
from flask_line.testing import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET, EmulatorServer, sign_in_line_user

# The benchmark's own modules sit beside this file.
sys.path.insert(0, str(Path(__file__).parent))
import apps
import channels
import companies
import concurrency
import fleet
import messaging
import sessions

RESULTS = Path(__file__).with_name("RESULTS.md")


def best_of(repeats: int, run: Callable[[], float]) -> float:
    """The fastest of several timings: the one least disturbed by the rest of the machine."""
    return min(run() for _ in range(repeats))


def per_request(client: Any, path: str, requests: int) -> float:
    """Seconds per GET ``path``."""
    client.get(path)
    start = time.perf_counter()
    for _ in range(requests):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    return (time.perf_counter() - start) / requests


#: One in-memory Flask-Session store for the in-process comparisons.
SIMPLE_SESSIONS = {"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": SimpleCache()}
#: The signed-in user of the signed-in request benchmarks (put in place with flask_line.testing's helper).
SIGNED_IN_USER = LineUser("U1", display_name="Brown", scopes=("profile", "openid"))


def signed_in_token() -> LineToken:
    return LineToken("t", expires_at=time.time() + 3600, scopes=("profile",))


def server_side_app() -> Flask:
    return apps.base_app(SIMPLE_SESSIONS)


def decorator_overhead(requests: int = 2000, repeats: int = 5) -> dict[str, float]:
    """Seconds per request for the three variants, same session store."""
    import flask_login

    plain = server_side_app()
    LineOAuth(plain)

    @plain.get("/")
    def open_view() -> str:
        session.get("x")  # load the session as the decorated views do
        return "ok"

    line_app = server_side_app()
    line_app.config.update(LINE_LOGIN_CHANNEL_ID=DEMO_CHANNEL_ID, LINE_LOGIN_CHANNEL_SECRET=DEMO_CHANNEL_SECRET)
    LineOAuth(line_app)

    @line_app.get("/")
    @line_login_required
    def line_view() -> str:
        return "ok"

    login_app = server_side_app()
    LineOAuth(login_app)  # same Flask-Session setup as the others
    manager = flask_login.LoginManager(login_app)

    class User(flask_login.UserMixin):
        id = "U1"

    manager.user_loader(lambda user_id: User() if user_id == "U1" else None)

    @login_app.get("/")
    @flask_login.login_required
    def login_view() -> str:
        return "ok"

    clients = {
        "none": plain.test_client(),
        "flask_line": line_app.test_client(),
        "flask_login": login_app.test_client(),
    }
    # Every client carries the same signed-in session, so only the decorators differ.
    sign_in_line_user(clients["flask_line"], SIGNED_IN_USER, signed_in_token())
    with clients["flask_line"].session_transaction() as stored:
        signed_in = dict(stored)
    for client in clients.values():
        with client.session_transaction() as stored:
            stored.update(signed_in)
            stored["_user_id"] = "U1"
            stored["_fresh"] = True
    return {name: best_of(repeats, lambda c=client: per_request(c, "/", requests)) for name, client in clients.items()}


def flask_line_login_app(emulator: EmulatorServer) -> Flask:
    return apps.flask_line_app(emulator.url, SIMPLE_SESSIONS)


def authlib_login_app(emulator: EmulatorServer) -> Flask:
    return apps.authlib_app(emulator.url, SIMPLE_SESSIONS, "http://localhost/line/callback")


def count_token_side_requests(emulator: EmulatorServer, before: int) -> int:
    """Requests the app made (everything but the two consent-screen requests a browser makes)."""
    made = emulator.platform.requests[before:]
    return sum(1 for entry in made if "/authorize" not in entry and "/_emulator/" not in entry)


def login_throughput(logins: int = 200, rounds: int = 8) -> dict[str, dict[str, float]]:
    """Logins per second and outbound requests per login for flask-line and for raw Authlib."""
    results: dict[str, dict[str, float]] = {}
    with EmulatorServer() as emulator:
        emulator.platform.register_app("http://localhost")
        # Authlib trusts the discovery document, which (like LINE's) advertises only ES256.
        emulator.platform.sign_id_tokens_with("ES256")
        logins_of: dict[str, Callable[[], None]] = {}
        app_cpu: dict[str, float] = {}
        for name, factory in (("flask_line", flask_line_login_app), ("authlib", authlib_login_app)):
            client = factory(emulator).test_client()
            app_cpu[name] = 0.0

            def one_login(client: Any = client, name: str = name) -> None:
                started = time.thread_time()  # the app's CPU: its two requests, its token call included
                start = client.get("/line/login")
                app_cpu[name] += time.thread_time() - started
                back = emulator.consent(start.headers["Location"])  # the browser and LINE: not the app's
                started = time.thread_time()
                response = client.get(back.path)
                app_cpu[name] += time.thread_time() - started
                assert response.status_code in (200, 302), response.data[:200]

            one_login()  # warm up: discovery, keys, connections
            logins_of[name] = one_login
        rates: dict[str, list[float]] = {name: [] for name in logins_of}
        app_cpu.update(dict.fromkeys(logins_of, 0.0))
        outbound: dict[str, int] = dict.fromkeys(logins_of, 0)
        per_round = logins // rounds
        for _ in range(rounds):  # interleaved rounds: machine drift falls on both clients alike
            for name, one_login in logins_of.items():
                before = len(emulator.platform.requests)
                started = time.perf_counter()
                for _ in range(per_round):
                    one_login()
                rates[name].append(per_round / (time.perf_counter() - started))
                outbound[name] += count_token_side_requests(emulator, before)
        for name in logins_of:
            results[name] = {
                "logins_per_second": statistics.median(rates[name]),
                "outbound_per_login": outbound[name] / (per_round * rounds),
                "app_cpu_ms": app_cpu[name] / (per_round * rounds) * 1000,
            }
    return results


def import_and_memory(rounds: int = 9) -> dict[str, float]:
    """Import time of flask_line (vs flask alone), ``init_app`` time, and RSS of a process with an initialised
    app; fresh processes, the arms interleaved round by round, medians."""
    code_import = "import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"
    code_init = (
        "from flask import Flask; from flask_line import LineOAuth; import time; app = Flask('m'); "
        "app.config.update(SECRET_KEY='k', LINE_LOGIN_CHANNEL_ID='1', LINE_LOGIN_CHANNEL_SECRET='s'*32); "
        "t = time.perf_counter(); LineOAuth(app); print(time.perf_counter() - t)"
    )
    # Current RSS from /proc: ru_maxrss would report the parent's high-water mark, inherited across exec.
    code_rss = (
        "from flask import Flask; {setup}"
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmRSS:')))"
    )
    setup_line = (
        "from flask_line import LineOAuth; app = Flask('m'); "
        "app.config.update(SECRET_KEY='k', LINE_LOGIN_CHANNEL_ID='1', LINE_LOGIN_CHANNEL_SECRET='s'*32); "
        "LineOAuth(app); app.test_client().get('/'); "
    )
    code_site_import = (
        "import time; t = time.perf_counter(); "
        "from flask_line import LineOAuth, line_login_required, current_line_user; print(time.perf_counter() - t)"
    )
    # A LINE Login site from its first line to its extension set up (Flask included, as in every arm).
    code_login_site = (
        "import time; t = time.perf_counter(); from flask import Flask; "
        "from flask_line import LineOAuth, line_login_required, current_line_user; app = Flask('m'); "
        "app.config.update(SECRET_KEY='k', LINE_LOGIN_CHANNEL_ID='1', LINE_LOGIN_CHANNEL_SECRET='s'*32); "
        "LineOAuth(app); print(time.perf_counter() - t)"
    )
    arms = {
        "import_flask_s": code_import.format(m="flask"),
        "import_flask_line_s": code_import.format(m="flask_line"),
        # What a site's first line costs: the names it uses (``import flask_line`` loads a name when used).
        "import_line_oauth_s": code_site_import,
        "login_site_s": code_login_site,
        "init_app_s": code_init,
        "rss_flask_kib": code_rss.format(setup="app = Flask('m'); app.test_client().get('/'); "),
        "rss_flask_line_kib": code_rss.format(setup=setup_line),
    }
    # As pip does at install (and as Python does on a first import, unless PYTHONDONTWRITEBYTECODE is set, as on
    # some CI machines): flask-line's bytecode is compiled, like every installed package's, Flask's included.
    compileall.compile_dir(Path(flask_line.__file__).parent, quiet=1)
    samples: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(rounds):  # interleaved: machine noise falls on every arm alike
        for name, code in arms.items():
            samples[name].append(float(subprocess.check_output([sys.executable, "-c", code], text=True)))
    return {name: statistics.median(values) for name, values in samples.items()}


def bearer_cost(rounds: int = 15, requests: int = 300) -> dict[str, float]:
    """Cached bearer request vs session request (interleaved A/B rounds, medians), calls, and cache hit rate."""
    import random

    with EmulatorServer() as emulator:
        emulator.platform.register_app("http://localhost")
        app = server_side_app()
        app.config.update(emulator.app_config())
        LineOAuth(app)

        @app.get("/session")
        @line_login_required
        def by_session() -> str:
            return "ok"

        @app.get("/bearer")
        @line_token_required
        def by_bearer() -> str:
            return "ok"

        session_client, bearer_client = app.test_client(), app.test_client()
        sign_in_line_user(session_client, SIGNED_IN_USER, signed_in_token())
        token = emulator.liff_login("Brown")["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        served = len(emulator.platform.requests)
        bearer_client.get("/bearer", headers=headers)
        first_calls = len(emulator.platform.requests) - served
        served = len(emulator.platform.requests)
        session_times, bearer_times = [], []
        session_calls = 0
        for _ in range(rounds):  # interleaved, so drift on the machine hits both arms alike
            before = len(emulator.platform.requests)
            session_times.append(per_request(session_client, "/session", requests))
            session_calls += len(emulator.platform.requests) - before
            start = time.perf_counter()
            for _ in range(requests):
                assert bearer_client.get("/bearer", headers=headers).status_code == 200
            bearer_times.append((time.perf_counter() - start) / requests)
        cached_calls = (len(emulator.platform.requests) - served - session_calls) / (rounds * requests)
        # A realistic mix: 200 clients, a few very active (Zipf-like), 5,000 requests.
        tokens = [emulator.liff_login(name)["access_token"] for name in ("Brown", "Cony", "Sally") * 67][:200]
        with app.app_context():
            cache = app.extensions["line"].login.bearer.cache
        cache.hits = cache.misses = 0
        weights = [1 / rank for rank in range(1, len(tokens) + 1)]
        for chosen in random.Random(7).choices(tokens, weights, k=5000):
            bearer_client.get("/bearer", headers={"Authorization": f"Bearer {chosen}"})
        return {
            "session_s": statistics.median(session_times),
            "bearer_s": statistics.median(bearer_times),
            "first_calls": float(first_calls),
            "cached_calls": cached_calls,
            "hit_rate": cache.hits / (cache.hits + cache.misses),
            "session_calls": session_calls / (rounds * requests),
        }


def footprint_lines(footprint: dict[str, float]) -> list[str]:
    """The footprint section of RESULTS.md: import ratios, ``init_app`` time, memory."""
    flask_ms = footprint["import_flask_s"] * 1000
    package_ms, site_ms = footprint["import_flask_line_s"] * 1000, footprint["import_line_oauth_s"] * 1000
    login_site_ms = footprint["login_site_s"] * 1000
    extra_mib = (footprint["rss_flask_line_kib"] - footprint["rss_flask_kib"]) / 1024
    return [
        "## Footprint (fresh processes, arms interleaved, medians of 9)",
        "",
        "- Every package's bytecode compiled, flask-line's too, as after `pip install`",
        f"- `import flask`: {flask_ms:.0f} ms; `import flask_line`: {package_ms:.0f} ms: "
        f"**{package_ms / flask_ms:.2f}x** of `import flask` (target <= 1.15x)",
        f"- `from flask_line import LineOAuth, line_login_required, current_line_user` (what a site's first line "
        f"costs, Flask included): {site_ms:.0f} ms: **{site_ms / flask_ms:.2f}x** of `import flask`",
        f"- A LINE Login site, from its imports to `LineOAuth(app)` done: {login_site_ms:.0f} ms: "
        f"**{login_site_ms / flask_ms:.2f}x** of `import flask`",
        f"- `init_app` (LINE Login, default session store): {footprint['init_app_s'] * 1000:.1f} ms (target <= 20 ms)",
        f"- Resident memory after serving one page: bare Flask app {footprint['rss_flask_kib'] / 1024:.1f} MiB, app "
        f"with LineOAuth {footprint['rss_flask_line_kib'] / 1024:.1f} MiB: **+{extra_mib:.1f} MiB** (target <= 8 MiB)",
        "",
    ]


def gunicorn_lines(served: dict[int, Any] | None) -> list[str]:
    """The gunicorn section of RESULTS.md."""
    if served is None:
        return ["## Under gunicorn", "", "- redis-server is not installed: not measured", ""]
    lines = [
        "## Under gunicorn (Redis sessions, emulator in the benchmark process)",
        "",
        "| workers | clients | flask-line logins/s | Authlib logins/s | flask-line app CPU ms | Authlib app CPU ms "
        "| CPU ratio, median of rounds (target <= 0.75x) | lowest-highest round | floor app CPU ms (x Authlib) "
        "| above the floor, median of rounds (target <= 0.6x) | lowest-highest round "
        "| essential work above the floor |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for workers, kinds in served.items():
        for clients, ours in kinds["flask_line"].items():
            theirs, floor = kinds["authlib"][clients], kinds["floor"][clients]
            lines.append(
                f"| {workers} | {clients} | {ours['logins_per_second']:.1f} | {theirs['logins_per_second']:.1f} | "
                f"{ours['app_cpu_ms']:.2f} | {theirs['app_cpu_ms']:.2f} | {ours['cpu_ratio']:.2f}x | "
                f"{ours['cpu_ratio_low']:.2f}-{ours['cpu_ratio_high']:.2f}x | "
                f"{floor['app_cpu_ms']:.2f} ({floor['app_cpu_ms'] / theirs['app_cpu_ms']:.2f}x) | "
                f"**{ours['above_floor_ratio']:.2f}x** | "
                f"{ours['above_floor_low']:.2f}-{ours['above_floor_high']:.2f}x | {ours['essential_ratio']:.2f}x |"
            )
    lines += [
        "",
        f"- App CPU: CPU time of gunicorn's master and workers (every thread, to the nanosecond), per login; "
        f"{concurrency.ROUNDS} rounds, each with every server started afresh in a rotated order, the apps measured "
        "back to back at each level (medians). Plot: `benchmarks/concurrency.png`",
        "- Floor: the same two requests and session store doing no OAuth work (no token call, no signature check, "
        "no session-id rotation): what gunicorn, Flask and Flask-Session cost before any login logic.",
        "- Above the floor: (flask-line - floor) / (Authlib - floor) app CPU, the three apps measured back to back "
        "in each round: the login work itself, which the issue's target is about.",
        "- Essential work: the floor app plus only what a secure login cannot skip, with flask-line's own parts "
        "(the token call, the ES256 ID-token check with its nonce, a new session id), above the floor in the same "
        "rounds and units; the distance from it to flask-line's figure is flask-line's own logic (flows, channels, "
        "origins, records, languages, signals).",
        "",
    ]
    return lines


def main() -> None:
    """Run everything and write RESULTS.md."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log would drown the results
    overhead = decorator_overhead()
    logins = login_throughput()
    footprint = import_and_memory()
    bearer = bearer_cost()
    many = channels.run()
    works_companies = companies.run()
    shared = fleet.run()
    scale = sessions.run(Path(__file__).with_name("sessions.png"))
    served = concurrency.run(Path(__file__).with_name("concurrency.png"))
    empty, full = scale["rows"][0], scale["rows"][-1]
    redis_row = scale["redis"]
    none, line, login = overhead["none"], overhead["flask_line"], overhead["flask_login"]
    line_extra, login_extra = line - none, login - none
    throughput_ratio = logins["flask_line"]["logins_per_second"] / logins["authlib"]["logins_per_second"]
    cpu_ratio = logins["flask_line"]["app_cpu_ms"] / logins["authlib"]["app_cpu_ms"]
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()}",
        "- Command: `make bench` (`python benchmarks/run.py`)",
        "",
        "## Decorator cost on a signed-in request (same Flask-Session store for all three)",
        "",
        "| view | µs per request |",
        "|---|---|",
        f"| no decorator | {none * 1e6:.1f} |",
        f"| Flask-Login `@login_required` | {login * 1e6:.1f} |",
        f"| flask-line `@line_login_required` | {line * 1e6:.1f} |",
        "",
        f"- Whole-request ratio flask-line / Flask-Login: **{line / login:.2f}x** (target < 1.2x)",
        f"- Decorator overhead over no decorator: flask-line {line_extra * 1e6:.1f} µs, "
        f"Flask-Login {login_extra * 1e6:.1f} µs",
        "",
        "## Many channels in one app (1,000 LINE Login channels chosen by a loader, against one channel)",
        "",
        "| figure | one channel | 1,000 channels | ratio (target within 1.1x) |",
        "|---|---|---|---|",
        f"| signed-in request, µs | {many['signed_in_us_one']:.0f} | {many['signed_in_us_many']:.0f} | "
        f"{many['signed_in_us_many'] / many['signed_in_us_one']:.2f}x |",
        f"| app CPU per login, ms | {many['sign_in_cpu_ms_one']:.2f} | {many['sign_in_cpu_ms_many']:.2f} | "
        f"{many['sign_in_cpu_ms_many'] / many['sign_in_cpu_ms_one']:.2f}x |",
        "",
        f"- 10,000 channels resolved once each: {many['memory_held_mib']:.1f} MiB held "
        f"(peak {many['memory_peak_mib']:.1f} MiB), {many['channels_kept']:.0f} channels' services kept (the LRU).",
        "",
        "## Complete logins against the emulator (one process, emulator in a thread)",
        "",
        "| client | logins/s | app CPU ms per login | outbound requests per login |",
        "|---|---|---|---|",
        *(
            f"| {label} | {logins[key]['logins_per_second']:.1f} | {logins[key]['app_cpu_ms']:.2f} | "
            f"{logins[key]['outbound_per_login']:.2f} |"
            for key, label in (("flask_line", "flask-line"), ("authlib", "Authlib Flask client"))
        ),
        "",
        f"- Throughput ratio flask-line / Authlib: **{throughput_ratio:.2f}x** (target >= 1.0x)",
        f"- App CPU per login flask-line / Authlib: **{cpu_ratio:.2f}x** (target <= 0.75x); interleaved rounds",
        '- Each login includes the two consent-screen requests a browser makes; "outbound" counts only the app\'s.',
        "",
        *gunicorn_lines(served),
        *companies.lines(works_companies),
        *fleet.lines(shared),
        *messaging.lines(),
        "## LINE credentials on the request (`@line_token_required`)",
        "",
        f"- Session-protected request: {bearer['session_s'] * 1e6:.0f} µs; cached bearer request: "
        f"{bearer['bearer_s'] * 1e6:.0f} µs: **{bearer['bearer_s'] / bearer['session_s']:.2f}x** (target <= 1.2x; "
        "medians of interleaved rounds)",
        f"- Outbound calls: session-protected request {bearer['session_calls']:.2f} (target 0), first bearer "
        f"request {bearer['first_calls']:.0f} (target 1), cached bearer {bearer['cached_calls']:.2f} per request "
        "(target 0)",
        f"- Token cache hit rate, 200 clients with Zipf-like activity, 5,000 requests: {bearer['hit_rate']:.1%}",
        "",
        "## The default session store at scale (SQLite)",
        "",
        "| stored signed-in sessions | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|",
        *(
            f"| {row['sessions']:,} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['max_ms']:.1f} |"
            for row in scale["rows"]
        ),
        f"| {full['sessions']:,} + {sessions.PENDING:,} pending-only | {scale['with_pending']['p50_ms']:.2f} | "
        f"{scale['with_pending']['p99_ms']:.2f} | {scale['with_pending']['max_ms']:.1f} |",
        "",
        f"- p50 at {full['sessions']:,} sessions vs empty: **{full['p50_ms'] / empty['p50_ms']:.2f}x**; p99 "
        f"**{full['p99_ms'] / empty['p99_ms']:.2f}x** (target <= 1.2x); max {full['max_ms']:.1f} ms (target < 50 ms)",
        f"- A new worker on the full store answers its first request after {scale['worker_start_ms']:.1f} ms "
        "(target < 50 ms)",
        (
            f"- Redis (Flask-Session) for comparison: p50 {redis_row['p50_ms']:.2f} ms, p99 {redis_row['p99_ms']:.2f} "
            f"ms; default store / Redis per request: **{empty['p50_ms'] / redis_row['p50_ms']:.2f}x** (target <= 1.1x)"
            if redis_row
            else "- Redis not installed: no comparison"
        ),
        "- Plot: `benchmarks/sessions.png`",
        "",
        *footprint_lines(footprint),
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


#: ``python benchmarks/run.py footprint concurrency``: only these sections, printed (RESULTS.md is left alone).
SECTIONS: dict[str, Callable[[], list[str]]] = {
    "footprint": lambda: footprint_lines(import_and_memory()),
    "concurrency": lambda: gunicorn_lines(concurrency.run()),
}


if __name__ == "__main__":
    if len(sys.argv) > 1:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        for section in sys.argv[1:]:
            print("\n".join(SECTIONS[section]()), flush=True)
    else:
        main()
