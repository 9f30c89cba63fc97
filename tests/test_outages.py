"""A store that goes away is a clean 503 with ``Retry-After``, logged once per outage, and it recovers by itself:
the session store (a real Redis, stopped and started) here; the database in ``test_sql_stores.py``."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis
from flask import Flask, session

from flask_line import LineOAuth, line_login_required
from flask_line.testing import signed_in_line_user
from tests.conftest import BrowserClient, follow_login
from tests.local import RedisServer, start_redis_or_skip


@pytest.fixture
def redis_server() -> Any:
    server = start_redis_or_skip()
    yield server
    server.stop()


@pytest.fixture
def redis_app(line_app_config: dict[str, Any], redis_server: RedisServer, tmp_path: Any) -> Flask:
    app = Flask("redis_site", instance_path=str(tmp_path))
    config = {key: value for key, value in line_app_config.items() if not key.startswith("SESSION_")}
    app.config.update(config, SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(redis_server.url))
    app.test_client_class = BrowserClient
    LineOAuth(app)

    @app.get("/")
    def home() -> str:
        return "home, no session needed"

    @app.get("/profile")
    @line_login_required
    def profile() -> str:
        return "profile"

    @app.post("/stop-store-then-remember")
    def stop_store_then_remember() -> str:
        redis_server.stop()  # the store goes away while this request runs
        session["remembered"] = True
        return "remembered"

    return app


def store_errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR and record.name == "flask_line"]


def test_a_stopped_session_store_is_a_503_page_then_recovers(redis_app, redis_server, line_platform, caplog):
    client = redis_app.test_client()
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    redis_server.stop()
    caplog.set_level(logging.DEBUG, logger="flask_line")
    for _ in range(5):
        page = client.get("/profile")
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "5"
        assert "try again in a moment" in page.get_data(as_text=True).lower()
        assert "Traceback" not in page.get_data(as_text=True)
    api = client.get("/profile", headers={"Accept": "application/json"})
    assert api.status_code == 503 and api.json["error"] == "session_store_unavailable"
    assert client.get("/").status_code == 200, "a page that keeps nothing in the session still works"
    assert client.get("/line/login").status_code == 503, "a sign-in cannot start without its session"
    assert len(store_errors(caplog)) == 1, "one ERROR line per outage, not per request"
    redis_server.start()  # an empty Redis: the old session is gone, the site works again without a restart
    assert client.get("/profile").status_code == 302
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    assert signed_in_line_user(client).user_id is not None
    assert any("back after" in record.getMessage() for record in caplog.records)


def test_a_callback_while_the_store_is_away_is_a_503_and_a_failure_signal(redis_app, redis_server, line_platform):
    from flask_line import signals
    from tests.conftest import captured

    client = redis_app.test_client()
    start = client.get("/line/login")
    back = line_platform.consent(start.location, user="Brown")
    redis_server.stop()
    with captured(signals.login_failed) as failed:
        answer = client.get(back.path)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert failed and failed[0]["error"].code == "session_store_unavailable"


def test_a_session_that_cannot_be_saved_is_not_answered_as_saved(redis_app, redis_server):
    client = redis_app.test_client()
    client.get("/")  # nothing stored yet
    answer = client.post("/stop-store-then-remember")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert b"remembered" not in answer.data
