"""A store that goes away is a clean 503 with ``Retry-After``, logged once per outage, and it recovers by itself:
the session store (a real Redis, stopped and started) here; the database in ``test_sql_stores.py``."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import redis
from flask import Flask, session
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user

from flask_line import LineOAuth, errors, line_login_required
from flask_line.testing import signed_in_line_user
from tests.conftest import BrowserClient, follow_login
from tests.local import RedisServer


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
    assert any("works again after" in record.getMessage() for record in caplog.records)


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


class Member(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


@pytest.fixture
def members_app(redis_app: Flask) -> Flask:
    """The Redis site with Flask-Login, whose after-request hook reads the session on every page."""
    manager = LoginManager(redis_app)
    manager.login_view = "line.login"
    manager.user_loader(Member)

    @redis_app.get("/members")
    @login_required
    def members() -> str:
        return f"member {current_user.id}"

    @redis_app.get("/async-members")
    @line_login_required
    async def async_members() -> str:
        return "async member page"

    @redis_app.get("/hello")
    def hello() -> str:
        return "hello, no session needed"

    @redis_app.errorhandler(errors.LineError)
    def site_page(error: errors.LineError) -> tuple[str, int, dict[str, str]]:
        # The site's own handler: it reads current_user, which reads the session that is away.
        who = "anonymous" if current_user.is_anonymous else current_user.id
        return f"site page for {who}: {error.code}", error.status_code, {"Retry-After": "7"}

    @redis_app.post("/member-login/<name>")
    def member_login(name: str) -> str:
        login_user(Member(name))
        return "ok"

    return redis_app


def test_with_flask_login_every_answer_during_an_outage_is_a_503_or_a_page_without_the_session(
    members_app, redis_server, caplog
):
    client = members_app.test_client()
    assert client.post("/member-login/m1").status_code == 200
    assert client.get("/members").data == b"member m1"
    redis_server.stop()
    caplog.set_level(logging.DEBUG, logger="flask_line")
    for path in ("/hello", "/", "/members", "/line/login", "/profile", "/hello"):
        page = client.get(path)
        assert page.status_code in (200, 503), f"{path}: {page.status_code}"
        if page.status_code == 503:
            assert page.headers["Retry-After"] == "7", "the site's own error handler answered"
            assert page.get_data(as_text=True) == "site page for anonymous: session_store_unavailable"
    assert client.get("/hello").data == b"hello, no session needed", "Flask-Login's after-request hook"
    assert client.get("/members").status_code == 503
    fresh = members_app.test_client()  # a visitor without a cookie
    assert fresh.get("/hello").status_code == 200
    assert fresh.get("/members").status_code in (302, 503)
    assert len(store_errors(caplog)) == 1


def test_each_outage_is_one_error_and_one_warning_decided_by_the_store(members_app, redis_server, caplog):
    caplog.set_level(logging.INFO, logger="flask_line")
    returning = members_app.test_client()
    returning.post("/member-login/m1")
    for _ in range(2):
        redis_server.stop()
        for _ in range(3):
            assert returning.get("/members").status_code == 503
            # A new visitor whose page stores nothing never reaches the store: it must not say "back".
            assert members_app.test_client().get("/hello").status_code == 200
        redis_server.start()
        assert returning.get("/members").status_code == 302, "the store is empty again: signed out, no 500"
    outage_lines = [
        (record.levelname, record.getMessage().split(" (")[0].split(" after")[0])
        for record in caplog.records
        if record.name == "flask_line" and record.levelno >= logging.WARNING and "session store" in record.getMessage()
    ]
    assert (
        outage_lines
        == [
            ("ERROR", "The session store cannot be used"),
            ("WARNING", "The session store works again"),
        ]
        * 2
    )


def test_a_hook_that_writes_after_an_outage_page_cannot_claim_success(members_app, redis_server):
    @members_app.after_request
    def remember_visit(response: Any) -> Any:
        session["last_visit"] = "now"
        return response

    client = members_app.test_client()
    client.post("/member-login/m1")
    redis_server.stop()
    page = client.get("/hello")
    assert page.status_code == 503, "what the hook wrote is lost: the visitor must not be told it worked"
    assert page.get_data(as_text=True) == "site page for anonymous: session_store_unavailable"


def test_an_async_view_with_flask_login_during_an_outage_is_a_503_then_works_again(members_app, redis_server):
    """Combined: an ``async def`` view behind ``@line_login_required``, Flask-Login, Redis sessions going away."""
    client = members_app.test_client()
    client.post("/member-login/m1")
    redis_server.stop()
    page = client.get("/async-members")
    assert page.status_code == 503 and page.get_data(as_text=True).startswith("site page for anonymous")
    assert client.get("/async-members", headers={"Accept": "application/json"}).status_code == 503
    redis_server.start()
    back = client.get("/async-members")  # the store came back empty: signed out, no 500; the site's handler answers
    assert back.status_code == 401 and back.get_data(as_text=True) == "site page for anonymous: not_authenticated"
