"""Shared fixtures: an app wired to a LINE emulator on 127.0.0.1, and helpers that walk a login."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from flask_line import (
    LineOAuth,
    current_attachment,
    current_line_user,
    current_works_user,
    line_login_required,
    requires_module_scope,
    works_login_required,
)
from flask_line.testing import EmulatorServer

AppFactory = Callable[..., Flask]


def pytest_configure(config: pytest.Config) -> None:
    """joserfc's security warnings (a weak key, a risky algorithm) fail the test, where joserfc has them
    (from 1.1; the lowest-versions run uses 1.0)."""
    import joserfc.errors

    if hasattr(joserfc.errors, "SecurityWarning"):
        config.addinivalue_line("filterwarnings", "error::joserfc.errors.SecurityWarning")


class BrowserClient(FlaskClient):
    """A test client that loads pages as a browser does (``Accept: text/html``); API tests set their headers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT"] = "text/html,application/xhtml+xml,*/*;q=0.8"


@pytest.fixture
def line_products() -> frozenset[str]:
    """The suite's apps use every product: LINE Login, the module channel and LINE WORKS."""
    return frozenset({"login", "module", "works"})


@pytest.fixture
def line_app_config(line_app_config: dict[str, Any]) -> dict[str, Any]:
    """The plugin's settings at ``http://app.test``, the host the suite's URLs name."""
    return {**line_app_config, "SERVER_NAME": "app.test"}


@pytest.fixture
def make_app(line_app_config: dict[str, Any], tmp_path: Any) -> AppFactory:
    """Build an app with flask-line, a protected ``/profile`` and an open ``/``; keyword args override config."""

    def factory(store: Any = None, **overrides: Any) -> Flask:
        app = Flask("testapp", instance_path=str(tmp_path / "instance"))
        app.config.update(line_app_config)
        app.config.update(overrides)
        app.test_client_class = BrowserClient
        LineOAuth(app, store=store)

        @app.get("/")
        def home() -> str:
            return "home"

        @app.get("/profile")
        @line_login_required
        def profile() -> Any:
            return jsonify(
                user_id=current_line_user.user_id,
                name=current_line_user.display_name,
                email=current_line_user.email,
                status=current_line_user.status_message,
                scopes=list(current_line_user.scopes),
            )

        @app.get("/works/me")
        @works_login_required
        def works_me() -> Any:
            return jsonify(
                user_id=current_works_user.user_id,
                name=current_works_user.name,
                email=current_works_user.email,
                domain_id=current_works_user.domain_id,
            )

        @app.post("/send")
        @requires_module_scope("message:send")
        def send() -> Any:
            api = app.extensions["line"].module.api(current_attachment.bot_id)
            answer = api.post(
                "/v2/bot/message/push",
                json={"to": "U4af4980629a1b2c3d4e5f60718293a4b", "messages": [{"type": "text", "text": "hi"}]},
            )
            return jsonify(status=answer.status_code, body=answer.json())

        @app.get("/insights")
        @requires_module_scope("account:manage", "message:send")
        def insights() -> str:
            return "insights"

        @app.post("/bots/select")
        def select_bot() -> Any:
            # The obvious bot switcher: a bot id from the query string.
            try:
                attachment = app.extensions["line"].module.select(request.args.get("bot", ""))
            except LookupError:
                return jsonify(error="no such bot"), 404
            return jsonify(bot_id=attachment.bot_id)

        @app.post("/bots/<bot_id>/push")
        def push_as(bot_id: str) -> Any:
            # A dashboard that takes the bot id from the URL and calls module.api(bot_id) directly.
            try:
                api = app.extensions["line"].module.api(bot_id)
            except LookupError:
                return jsonify(error="no such bot"), 404
            answer = api.post(
                "/v2/bot/message/push",
                json={"to": "U4af4980629a1b2c3d4e5f60718293a4b", "messages": [{"type": "text", "text": "x"}]},
            )
            return jsonify(status=answer.status_code)

        @app.post("/bots/<bot_id>/detach")
        def detach_bot(bot_id: str) -> Any:
            try:
                app.extensions["line"].module.detach(bot_id)
            except LookupError:
                return jsonify(error="no such bot"), 404
            return jsonify(detached=bot_id)

        @app.get("/bots/current")
        def current_bot() -> Any:
            return jsonify(bot_id=current_attachment.bot_id if current_attachment else None)

        return app

    return factory


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    """The default app: LINE Login v2.1 with ``profile openid`` and PKCE."""
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser for ``app``."""
    return app.test_client()


def follow_login(
    client: FlaskClient,
    line: EmulatorServer,
    *,
    user: str | None = None,
    allow: bool = True,
    next: str | None = None,
    query: str = "",
) -> Any:
    """Start a login, answer LINE's consent screen, and deliver the callback; return the callback response."""
    start = client.get(f"/line/login?{query}" + (f"&next={next}" if next else ""))
    assert start.status_code == 302, start.data
    back = line.consent(start.location, user=user, allow=allow)
    return deliver(client, back)


def deliver(client: FlaskClient, back: Any) -> Any:
    """Send LINE's redirect (GET) or form post (POST) to the app."""
    if back.method == "POST":
        return client.post(back.path, data=back.params)
    return client.get(back.path)


@contextmanager
def captured(signal: Any) -> Iterator[list[dict[str, Any]]]:
    """Record every send of ``signal`` as a dict of its keyword arguments (plus ``sender``)."""
    received: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append({"sender": sender, **kwargs})

    signal.connect(receiver)
    try:
        yield received
    finally:
        signal.disconnect(receiver)


def expire_token(client: FlaskClient, *, works: bool = False, channel: Any = None) -> None:
    """Make the stored access token of the LINE Login (or LINE WORKS) identity look expired, as after 30 days.

    :param channel: in an app of many channels, the channel (or its configured name) whose token expires.
    """
    line = client.application.extensions["line"]
    with client.application.app_context():
        if works:
            identity = line.works.sign_in.identity
        else:
            identity = line.login.identity if channel is None else line.login_for(channel).identity
        with client.session_transaction() as stored:
            user, token = identity.current_user(session=stored), identity.current_token(session=stored)
            identity.save(user, dataclasses.replace(token, expires_at=time.time() - 10), session=stored)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A real PostgreSQL server for the whole run (see ``tests/postgres.py``)."""
    from tests.postgres import start_postgres

    server = start_postgres()
    yield server
    server.destroy()


@pytest.fixture
def redis_server() -> Iterator[Any]:
    """A redis-server of the test's own (``tests/local.py``), stopped at the end; tests may stop and start it."""
    from tests.local import start_redis_or_skip

    server = start_redis_or_skip()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """``LINE_DATABASE_URI`` for the embedded SQLite file, then for a fresh database on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'links.sqlite3'}"
    server = request.getfixturevalue("postgres")
    return str(server.new_database())


def same_browser_at(worker: Flask, client: Any, started_at: Flask) -> Any:
    """A client of ``worker`` (another process of the site) carrying ``client``'s session cookie."""
    cookie = client.get_cookie(started_at.config["SESSION_COOKIE_NAME"], domain="app.test")
    assert cookie is not None
    elsewhere = worker.test_client()
    elsewhere.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    return elsewhere
