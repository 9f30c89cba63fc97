"""Production shape on two hosts: two gunicorn instances (own ports, own instance folders, 2 workers each)
behind one public URL, sharing sessions in a real Redis and attachments and account links in a real PostgreSQL.

200 complete logins and 50 attaches from 20 concurrent browsers; every login starts on one host and its callback
lands on the other, every attachment made on one host is used on the other, and nothing crosses between users
or goes missing. A PostgreSQL restart mid-run gives clean errors and full recovery; so does a Redis restart.
"""

from __future__ import annotations

import os
import signal
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
import sqlalchemy as sa

from flask_line.testing import EmulatedBot, EmulatedUser, EmulatorServer
from tests.local import RedisServer, free_port, start_redis_or_skip

pytestmark = pytest.mark.scale

REPO = Path(__file__).resolve().parents[2]
LOGINS, ATTACHES, BROWSERS = 200, 50, 20
#: Where LINE sends callbacks: the load balancer in front of both hosts (the test plays its part).
PUBLIC_URL = "http://lb.app.test"


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


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis_or_skip()
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


@dataclass
class Host:
    name: str
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def database_url(postgres) -> str:
    return str(postgres.new_database())


@pytest.fixture(scope="module")
def hosts(
    redis_server: RedisServer, emulator: EmulatorServer, database_url: str, tmp_path_factory
) -> Iterator[list[Host]]:
    emulator.platform.register_app(PUBLIC_URL)
    config = emulator.app_config()
    started = []
    for name in ("A", "B"):
        port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SCALE_HOST": name,
            "SCALE_INSTANCE": str(tmp_path_factory.mktemp(f"instance-{name}")),
            "SCALE_REDIS_URL": redis_server.url,
            "SCALE_PUBLIC_URL": PUBLIC_URL,
            "SCALE_DATABASE_URL": database_url,
            **{
                key: str(value)
                for key, value in config.items()
                if key.startswith(("LINE_LOGIN", "LINE_MODULE", "LINE_EMU"))
            },
        }
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}"]
        command += ["--log-level", "warning", "tests.scale.scale_app:create_app()"]
        started.append(Host(name, f"http://127.0.0.1:{port}", subprocess.Popen(command, cwd=REPO, env=env)))
    for host in started:
        wait_until(
            lambda host=host: (
                requests.get(host.url + "/line/login", allow_redirects=False, timeout=2).status_code == 302
            ),
            f"gunicorn {host.name}",
        )
    yield started
    for host in started:
        host.process.send_signal(signal.SIGTERM)
        host.process.wait(timeout=20)


class Refused(Exception):
    """A step of a walk did not answer as it should (the status, and the body to show)."""

    def __init__(self, what: str, response: requests.Response) -> None:
        super().__init__(f"{what}: {response.status_code} {response.text[:300]}")
        self.status = response.status_code
        self.text = response.text


def expect(what: str, response: requests.Response, status: int) -> requests.Response:
    if response.status_code != status:
        raise Refused(what, response)
    return response


def on_other_host(back_url: str, host: Host) -> str:
    """The load balancer's part: LINE redirected to the public URL; this request goes to ``host``."""
    parts = urlsplit(back_url)
    return f"{host.url}{parts.path}?{parts.query}"


@dataclass
class Outcome:
    expected: str
    seen: str
    start_worker: str
    callback_worker: str


def sign_in(start_host: Host, callback_host: Host, emulator: EmulatorServer, browser: requests.Session, user: str):
    """Walk one LINE Login, started on one host and finished on the other; return the callback response."""
    start = browser.get(start_host.url + "/line/login?next=/profile", allow_redirects=False, timeout=30)
    expect("login start", start, 302)
    back = emulator.consent(start.headers["Location"], user=user, browser=browser)
    assert back.url.startswith(PUBLIC_URL)
    callback = browser.get(on_other_host(back.url, callback_host), allow_redirects=False, timeout=30)
    return start, expect("login callback", callback, 302)


def one_login(hosts: list[Host], emulator: EmulatorServer, index: int) -> Outcome:
    browser = requests.Session()
    expected = f"U{index:032x}"
    first, second = hosts[index % 2], hosts[(index + 1) % 2]
    start, callback = sign_in(first, second, emulator, browser, expected)
    assert callback.headers["Location"] == "/profile"
    profile = browser.get(first.url + "/profile", headers={"Accept": "application/json"}, timeout=30)
    expect("profile", profile, 200)
    assert profile.json()["site_user"] == f"site-{expected}", "the hook's user is this session's site user"
    return Outcome(expected, profile.json()["user_id"], start.headers["X-Worker"], callback.headers["X-Worker"])


def one_attach(hosts: list[Host], emulator: EmulatorServer, index: int) -> tuple[str, str]:
    """An admin attaches on one host; the other host completes it and then uses the attachment."""
    browser = requests.Session()
    first, second = hosts[index % 2], hosts[(index + 1) % 2]
    sign_in(first, second, emulator, browser, f"U{index:032x}")  # attachments belong to an admin
    start = expect("attach start", browser.get(first.url + "/line/attach?next=/dashboard", allow_redirects=False), 302)
    bot = f"B{index:032x}"
    back = emulator.consent(start.headers["Location"], user=bot, browser=browser)
    expect("attach callback", browser.get(on_other_host(back.url, second), allow_redirects=False, timeout=30), 302)
    for host in (second, first):
        dashboard = browser.get(host.url + "/dashboard", headers={"Accept": "application/json"}, timeout=30)
        assert expect("dashboard", dashboard, 200).json()["bot_id"] == bot
    return bot, dashboard.json()["bot_id"]


def stored_rows(database_url: str) -> tuple[set[str], dict[str, str]]:
    """What PostgreSQL holds: the attached bot ids, and each LINE user's linked site user."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            bots = {row[0] for row in connection.execute(sa.text("SELECT bot_id FROM line_module_attachments"))}
            query = sa.text("SELECT subject, user_id FROM line_account_links WHERE provider = 'line'")
            links = {subject: user_id for subject, user_id in connection.execute(query)}
    finally:
        engine.dispose()
    return bots, links


def test_200_logins_from_20_browsers_each_finishing_on_the_other_host(hosts, emulator, database_url):
    with ThreadPoolExecutor(BROWSERS) as pool:
        outcomes = list(pool.map(lambda index: one_login(hosts, emulator, index), range(LOGINS)))
    assert len(outcomes) == LOGINS
    assert all(outcome.seen == outcome.expected for outcome in outcomes), "a user saw someone else's profile"
    assert all(outcome.start_worker[0] != outcome.callback_worker[0] for outcome in outcomes)
    workers = {outcome.start_worker for outcome in outcomes} | {outcome.callback_worker for outcome in outcomes}
    assert len(workers) == 4, f"two hosts with two workers each served the logins: {sorted(workers)}"
    _, links = stored_rows(database_url)
    assert {f"U{index:032x}" for index in range(LOGINS)} <= set(links), "every first sign-in was linked"
    assert all(user_id == f"site-{subject}" for subject, user_id in links.items())


def test_50_attaches_made_on_one_host_are_used_on_the_other_and_stored_once(hosts, emulator, database_url):
    with ThreadPoolExecutor(BROWSERS) as pool:
        results = list(pool.map(lambda index: one_attach(hosts, emulator, index), range(ATTACHES)))
    assert all(expected == seen for expected, seen in results)
    bots, _ = stored_rows(database_url)
    assert {bot for bot, _ in results} <= bots


def test_a_postgresql_restart_mid_run_fails_cleanly_and_recovers_fully(hosts, emulator, postgres, database_url):
    failures: list[str] = []

    def attempt(job: tuple[str, int]) -> tuple[str, int, bool]:
        kind, index = job
        try:
            (one_login if kind == "login" else one_attach)(hosts, emulator, index)
            return kind, index, True
        except Refused as refused:
            if refused.status != 503 or "Traceback" in refused.text:
                failures.append(f"{kind} {index}: {refused.status} {refused.text[:300]}")
            return kind, index, False

    logins, attaches = 200, 25
    jobs = [("login", LOGINS + index) for index in range(logins)]
    jobs[::8] = [("attach", ATTACHES + index) for index in range(attaches)]  # mixed through the run
    for index in range(LOGINS, LOGINS + logins):
        emulator.platform.add_user(EmulatedUser(f"U{index:032x}", f"User {index}"))
    for index in range(ATTACHES, ATTACHES + attaches):
        emulator.platform.bots[f"B{index:032x}"] = EmulatedBot(f"B{index:032x}", f"Shop {index}", f"@shop{index}")

    def restart() -> float:
        time.sleep(0.3)
        postgres.stop()
        time.sleep(1.0)
        postgres.start()
        return time.monotonic()

    began = time.monotonic()
    restarter = ThreadPoolExecutor(1).submit(restart)
    with ThreadPoolExecutor(10) as pool:
        outcomes = list(pool.map(attempt, jobs))
    finished_after = time.monotonic() - began
    outage_ends = restarter.result() - began
    assert failures == [], "a failure during the outage was not a clean 503"
    missed = [(kind, index) for kind, index, ok in outcomes if not ok]
    print(f"during the restart: {len(missed)} clean 503s of {len(jobs)} walks; finished {finished_after:.1f}s in")
    assert finished_after > outage_ends, "the walks were over before PostgreSQL came back: nothing was tested"
    # Recovery: everything that failed works when tried again, with no restart of the app.
    for kind, index, ok in [attempt(job) for job in missed]:
        assert ok, f"{kind} {index} still fails after PostgreSQL came back"
    bots, links = stored_rows(database_url)
    assert {f"B{index:032x}" for index in range(ATTACHES + attaches)} <= bots, "an attachment was lost"
    expected_links = {f"U{index:032x}" for index in range(LOGINS + logins) if ("login", index) in jobs}
    assert expected_links <= set(links), "a link was lost"
    assert all(user_id == f"site-{subject}" for subject, user_id in links.items()), "a link was half-written"


def test_redis_restart_mid_login_fails_cleanly_and_the_next_login_works(hosts, emulator, redis_server):
    browser = requests.Session()
    start = browser.get(hosts[0].url + "/line/login?next=/profile", allow_redirects=False, timeout=30)
    back = emulator.consent(start.headers["Location"], user="Brown", browser=browser)
    redis_server.stop()  # sessions are lost: the pending state is gone
    redis_server.start()
    callback = browser.get(on_other_host(back.url, hosts[1]), allow_redirects=False, timeout=30)
    assert callback.status_code == 400
    assert "Traceback" not in callback.text
    page = {"Accept": "text/html"}  # a browser loading the page is sent to sign in
    assert browser.get(hosts[0].url + "/profile", headers=page, allow_redirects=False, timeout=30).status_code == 302
    assert one_login(hosts, emulator, 7).seen == f"U{7:032x}"
