"""Production shape: gunicorn with 4 workers, sessions in a real Redis, the attachment store shared in SQLite.

200 complete logins and 50 attaches from 20 concurrent browsers; the callback often lands on another worker
than the login start, and no state or session crosses between users.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from flask_line import SQLiteAttachmentStore
from flask_line.testing import EmulatedBot, EmulatedUser, EmulatorServer

pytestmark = pytest.mark.scale

REPO = Path(__file__).resolve().parents[2]
LOGINS, ATTACHES, BROWSERS = 200, 50, 20


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except (requests.ConnectionError, OSError):
            pass
        assert time.monotonic() < deadline, f"{what} did not come up"
        time.sleep(0.1)


@dataclass
class Redis:
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )

        def answers() -> bool:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")

        wait_until(answers, "redis-server")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[Redis]:
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed: .ci/run must install it")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    server = Redis(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer() as server:
        for index in range(LOGINS):
            server.platform.add_user(EmulatedUser(f"U{index:032x}", f"User {index}"))
        for index in range(ATTACHES):
            server.platform.bots[f"B{index:032x}"] = EmulatedBot(f"B{index:032x}", f"Shop {index}", f"@shop{index}")
        yield server


@pytest.fixture(scope="module")
def gunicorn_app(redis_server: Redis, emulator: EmulatorServer, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    emulator.platform.register_app(url)
    instance = tmp_path_factory.mktemp("instance")
    config = emulator.app_config()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SCALE_INSTANCE": str(instance),
        "SCALE_REDIS_URL": redis_server.url,
        "SCALE_APP_URL": url,
        **{
            key: str(value)
            for key, value in config.items()
            if key.startswith(("LINE_LOGIN", "LINE_MODULE", "LINE_EMU"))
        },
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "4",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "tests.scale.scale_app:create_app()",
    ]
    process = subprocess.Popen(command, cwd=REPO, env=env)
    wait_until(
        lambda: requests.get(url + "/line/login", allow_redirects=False, timeout=2).status_code == 302, "gunicorn"
    )
    yield url
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


@dataclass
class Outcome:
    expected: str
    seen: str
    start_worker: str
    callback_worker: str


def sign_in(app_url: str, emulator: EmulatorServer, browser: requests.Session, user: str) -> tuple[str, str]:
    """Walk one LINE Login; return the workers that served its start and its callback."""
    start = browser.get(app_url + "/line/login?next=/profile", allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text[:300]
    back = emulator.consent(start.headers["Location"], user=user, browser=browser)
    callback = browser.get(app_url + back.path, allow_redirects=False, timeout=30)
    assert callback.status_code == 302 and callback.headers["Location"] == "/profile", callback.text[:300]
    return start.headers["X-Worker"], callback.headers["X-Worker"]


def one_login(app_url: str, emulator: EmulatorServer, index: int) -> Outcome:
    browser = requests.Session()
    expected = f"U{index:032x}"
    start_worker, callback_worker = sign_in(app_url, emulator, browser, expected)
    profile = browser.get(app_url + "/profile", headers={"Accept": "application/json"}, timeout=30)
    assert profile.status_code == 200, profile.text[:300]
    return Outcome(expected, profile.json()["user_id"], start_worker, callback_worker)


def one_attach(app_url: str, emulator: EmulatorServer, index: int) -> tuple[str, str]:
    browser = requests.Session()
    sign_in(app_url, emulator, browser, f"U{index:032x}")  # an attachment belongs to the admin who attached
    start = browser.get(app_url + "/line/attach?next=/dashboard", allow_redirects=False, timeout=30)
    bot = f"B{index:032x}"
    back = emulator.consent(start.headers["Location"], user=bot, browser=browser)
    callback = browser.get(
        app_url + urlsplit(back.url).path + "?" + urlsplit(back.url).query, allow_redirects=False, timeout=30
    )
    assert callback.status_code == 302, callback.text[:300]
    dashboard = browser.get(app_url + "/dashboard", headers={"Accept": "application/json"}, timeout=30)
    assert dashboard.status_code == 200, dashboard.text[:300]
    return bot, dashboard.json()["bot_id"]


def test_200_logins_from_20_browsers_across_4_workers(gunicorn_app, emulator):
    with ThreadPoolExecutor(BROWSERS) as pool:
        outcomes = list(pool.map(lambda index: one_login(gunicorn_app, emulator, index), range(LOGINS)))
    assert len(outcomes) == LOGINS
    assert all(outcome.seen == outcome.expected for outcome in outcomes), "a user saw someone else's profile"
    crossed = sum(1 for outcome in outcomes if outcome.start_worker != outcome.callback_worker)
    assert crossed > LOGINS // 4, f"only {crossed} callbacks landed on another worker"
    assert len({outcome.start_worker for outcome in outcomes}) == 4


def test_50_attaches_are_all_stored_once(gunicorn_app, emulator, tmp_path_factory):
    with ThreadPoolExecutor(BROWSERS) as pool:
        results = list(pool.map(lambda index: one_attach(gunicorn_app, emulator, index), range(ATTACHES)))
    assert all(expected == seen for expected, seen in results)
    instance = next(Path(tmp_path_factory.getbasetemp()).glob("instance*"))
    stored = SQLiteAttachmentStore(instance / "flask_line.sqlite3").list()
    assert sorted(record.bot_id for record in stored) == sorted(bot for bot, _ in results)


def test_redis_restart_mid_login_fails_cleanly_and_the_next_login_works(gunicorn_app, emulator, redis_server):
    browser = requests.Session()
    start = browser.get(gunicorn_app + "/line/login?next=/profile", allow_redirects=False, timeout=30)
    back = emulator.consent(start.headers["Location"], user="Brown", browser=browser)
    redis_server.stop()  # sessions are lost: the pending state is gone
    redis_server.start()
    callback = browser.get(gunicorn_app + back.path, allow_redirects=False, timeout=30)
    assert callback.status_code == 400
    assert "Traceback" not in callback.text
    page = {"Accept": "text/html"}  # a browser loading the page is sent to sign in
    assert browser.get(gunicorn_app + "/profile", headers=page, allow_redirects=False, timeout=30).status_code == 302
    assert one_login(gunicorn_app, emulator, 7).seen == f"U{7:032x}"
