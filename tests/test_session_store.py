"""The embedded default session store (SQLite through Flask-Session): created on first use, never scanned,
never evicting a signed-in user, pending-only sessions short-lived, expired sessions swept off the request path."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import pytest
from flask import Flask

from flask_line import LineOAuth
from flask_line.testing import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET
from tests.conftest import follow_login


def default_store_app(tmp_path: Path, line_platform, **config) -> Flask:
    app = Flask("store", instance_path=str(tmp_path / "instance"))
    app.config.update(
        SECRET_KEY="x",
        SERVER_NAME="app.test",
        LINE_EMULATOR_URL=line_platform.url,
        LINE_LOGIN_CHANNEL_ID=DEMO_CHANNEL_ID,
        LINE_LOGIN_CHANNEL_SECRET=DEMO_CHANNEL_SECRET,
        **config,
    )
    LineOAuth(app)

    @app.get("/me")
    def me() -> str:
        from flask_line import current_line_user

        return current_line_user.display_name or "anonymous"

    return app


def rows(app: Flask) -> list[tuple[str, float]]:
    with sqlite3.connect(app.session_interface.inner.path) as connection:
        return connection.execute("SELECT id, expires_at FROM flask_line_sessions").fetchall()


def test_nothing_is_created_until_a_session_is_saved(tmp_path, line_platform):
    app = default_store_app(tmp_path, line_platform)
    assert not (tmp_path / "instance").exists(), "init_app creates no folder"
    result = app.test_cli_runner().invoke(args=["line", "--help"])
    assert result.exit_code == 0 and not (tmp_path / "instance").exists()
    app.test_client().get("/me")  # reads no session: still nothing
    assert not (tmp_path / "instance").exists()
    app.test_client().get("/line/login")
    assert (tmp_path / "instance" / "flask_line_sessions.sqlite3").exists()


@pytest.mark.parametrize("debug,level", [(True, logging.WARNING), (False, logging.INFO)])
def test_the_choice_is_announced_once_louder_in_debug_mode(tmp_path, line_platform, caplog, debug, level):
    caplog.set_level(logging.INFO, logger="flask_line")
    default_store_app(tmp_path, line_platform, DEBUG=debug)
    announced = [record for record in caplog.records if "keeps sessions server-side" in record.getMessage()]
    assert len(announced) == 1 and announced[0].levelno == level
    assert "SESSION_TYPE='redis'" in announced[0].getMessage()


def test_an_anonymous_login_start_lives_only_as_long_as_a_flow(tmp_path, line_platform):
    app = default_store_app(tmp_path, line_platform, LINE_PENDING_TTL=120)
    app.test_client().get("/line/login")
    ((_, expires_at),) = rows(app)
    assert expires_at - time.time() == pytest.approx(120, abs=5)


def test_a_signed_in_session_lives_the_full_lifetime(tmp_path, line_platform):
    app = default_store_app(tmp_path, line_platform)
    client = app.test_client()
    follow_login(client, line_platform, user="Cony")
    lifetime = app.permanent_session_lifetime.total_seconds()
    assert max(expires_at for _, expires_at in rows(app)) - time.time() == pytest.approx(lifetime, abs=5)


def test_a_full_store_never_evicts_a_signed_in_user(tmp_path, line_platform):
    app = default_store_app(tmp_path, line_platform)
    client = app.test_client()
    follow_login(client, line_platform, user="Cony")
    now = time.time()
    with sqlite3.connect(app.session_interface.inner.path) as connection:  # 120,000 other sessions, some expired
        connection.executemany(
            "INSERT INTO flask_line_sessions VALUES (?, ?, ?)",
            ((f"session:other{index}", b"\x80", now + (600 if index % 2 else -600)) for index in range(120_000)),
        )
    for _ in range(20):
        app.test_client().get("/line/login")  # more anonymous starts
    assert client.get("/me").data == b"Cony"


def test_expired_sessions_are_swept_by_command_and_a_signed_in_one_stays(tmp_path, line_platform):
    app = default_store_app(tmp_path, line_platform)
    client = app.test_client()
    follow_login(client, line_platform, user="Brown")
    with sqlite3.connect(app.session_interface.inner.path) as connection:
        connection.executemany(
            "INSERT INTO flask_line_sessions VALUES (?, ?, ?)",
            ((f"session:old{index}", b"\x80", time.time() - 1) for index in range(12_000)),
        )
    result = app.test_cli_runner().invoke(args=["line", "sweep-sessions"])
    assert result.exit_code == 0 and "removed 12000 expired sessions" in result.output
    assert len(rows(app)) == 1
    assert client.get("/me").data == b"Brown"
    assert app.test_cli_runner().invoke(args=["session_cleanup"]).exit_code == 0, "Flask-Session's command too"


def test_an_expired_session_is_not_read_even_before_a_sweep(tmp_path, line_platform):
    app = default_store_app(tmp_path, line_platform)
    client = app.test_client()
    follow_login(client, line_platform, user="Brown")
    with sqlite3.connect(app.session_interface.inner.path) as connection:
        connection.execute("UPDATE flask_line_sessions SET expires_at = ?", (time.time() - 1,))
    assert client.get("/me").data == b"anonymous"


def test_a_restarted_worker_reads_the_same_store(tmp_path, line_platform):
    first = default_store_app(tmp_path, line_platform)
    client = first.test_client()
    follow_login(client, line_platform, user="Sally")
    restarted = default_store_app(tmp_path, line_platform)
    cookie = client.get_cookie("session", domain="app.test")
    other = restarted.test_client()
    other.set_cookie("session", cookie.value, domain="app.test")
    assert other.get("/me").data == b"Sally"


def test_the_background_sweeper_runs_outside_requests(tmp_path, line_platform):
    app = default_store_app(tmp_path, line_platform)
    app.session_interface.inner.sweep_interval = 0.1
    app.test_client().get("/line/login")  # the first use starts the sweeper
    with sqlite3.connect(app.session_interface.inner.path) as connection:
        connection.execute("INSERT INTO flask_line_sessions VALUES ('session:gone', x'80', ?)", (time.time() - 1,))
    deadline = time.monotonic() + 5
    while any(row[0] == "session:gone" for row in rows(app)):
        assert time.monotonic() < deadline, "the sweeper did not run"
        time.sleep(0.05)


def test_the_files_that_hold_tokens_and_links_are_private(tmp_path, line_platform):
    import stat

    app = default_store_app(tmp_path, line_platform)
    client = app.test_client()
    follow_login(client, line_platform, user="Brown")  # writes the session file
    with app.app_context():
        app.extensions["line"].account_links.find("line", "U1")  # opens the store file
    files = [path for path in Path(app.instance_path).iterdir() if path.name.startswith("flask_line")]
    assert {path.name for path in files} >= {"flask_line_sessions.sqlite3", "flask_line.sqlite3"}
    for path in files:  # the databases and their -wal/-shm files
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
