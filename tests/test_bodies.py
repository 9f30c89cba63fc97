"""Bounded reads: every body a client sends flask-line is read to ``LINE_MAX_BODY_SIZE`` at most (a 413 past it),
with or without ``Content-Length``, under a real WSGI server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from flask_line import current_line_user, line_token_required
from flask_line.errors import ConfigurationError
from tests.local import serve_in_background

from .conftest import AppFactory

LIMIT = 65_536
CHUNK = 64 * 1024
#: What the attacker sends: 64 MiB without Content-Length.
ATTACK = 64 * 1024 * 1024


class CountingInput:
    """The server's input stream, counting what the app reads from it."""

    def __init__(self, inner: Any, counts: dict[str, int]) -> None:
        self.inner = inner
        self.counts = counts

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.counts["read"] += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.inner.readline(size)
        self.counts["read"] += len(data)
        return data


@contextmanager
def serving(app: Flask) -> Iterator[tuple[str, dict[str, Any]]]:
    """``app`` under Werkzeug's threaded server on 127.0.0.1; yields its URL and what the last request read."""
    seen: dict[str, Any] = {"read": 0, "status": None}
    inner_app = app.wsgi_app

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        seen["read"] = 0
        environ["wsgi.input"] = CountingInput(environ["wsgi.input"], seen)

        def recording(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        return inner_app(environ, recording)

    app.wsgi_app = counting  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = serve_in_background(server)
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        thread.join()


def chunks(total: int) -> Iterator[bytes]:
    """``total`` bytes of a JSON-looking body, sent chunked (no Content-Length)."""
    yield b'{"id_token": "'
    sent = 0
    while sent < total:
        yield b"x" * CHUNK
        sent += CHUNK


def post_chunked(url: str, headers: dict[str, str]) -> int | None:
    """The status of a 64 MiB chunked POST, or None when the server closed the connection first."""
    try:
        return requests.post(url, data=chunks(ATTACK), headers=headers, timeout=30).status_code
    except requests.ConnectionError:
        return None  # the server answered 413 and closed while the client was still sending


@pytest.fixture
def small_limit_app(make_app: AppFactory) -> Flask:
    app = make_app(LINE_MAX_BODY_SIZE=LIMIT, SERVER_NAME=None)

    @app.post("/api/echo")
    @line_token_required
    def echo() -> Any:
        return jsonify(user_id=current_line_user.user_id, size=len(request.get_data()))

    return app


JSON_CLIENT = {"Content-Type": "application/json", "Accept": "application/json"}


def test_a_chunked_64_mib_credential_body_is_refused_after_the_limit(small_limit_app):
    with serving(small_limit_app) as (url, seen):
        status = post_chunked(f"{url}/line/session", JSON_CLIENT)
    assert seen["status"] == 413 and status in (413, None)
    assert seen["read"] <= LIMIT + 1  # never buffered more than the limit


def test_a_chunked_64_mib_body_to_a_token_route_is_refused_after_the_limit(small_limit_app):
    with serving(small_limit_app) as (url, seen):
        status = post_chunked(f"{url}/api/echo", JSON_CLIENT)
    assert seen["status"] == 413 and status in (413, None)
    assert seen["read"] <= LIMIT + 1


def test_a_chunked_form_post_to_the_blueprint_is_refused_after_the_limit(small_limit_app):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    with serving(small_limit_app) as (url, seen):
        post_chunked(f"{url}/line/logout", headers)
    assert seen["status"] == 413
    assert seen["read"] <= LIMIT + 1


def test_a_chunked_webhook_delivery_is_refused_after_the_limit(small_limit_app):
    with serving(small_limit_app) as (url, seen):
        post_chunked(f"{url}/line/module/webhook", {"Content-Type": "application/json", "X-Line-Signature": "x"})
    assert seen["status"] == 413
    assert seen["read"] <= LIMIT + 1


def test_a_body_under_the_limit_still_reaches_the_view(small_limit_app, line_platform):
    credentials = line_platform.liff_login("Brown")
    with serving(small_limit_app) as (url, _):
        answer = requests.post(
            f"{url}/api/echo",
            data=iter([b'{"pad": "', b"y" * 1000, b'"}']),  # chunked, under the limit
            headers={**JSON_CLIENT, "Authorization": f"Bearer {credentials['access_token']}"},
            timeout=10,
        )
    assert answer.status_code == 200 and answer.json()["size"] == 1011


def test_an_announced_oversized_body_is_refused_unread(small_limit_app):
    answer = small_limit_app.test_client().post(
        "/line/session", data=b"{" + b" " * (LIMIT + 10) + b"}", headers=JSON_CLIENT
    )
    assert answer.status_code == 413 and answer.json["error"] == "request_too_large"


def test_a_browser_gets_a_page_for_an_oversized_form(small_limit_app):
    answer = small_limit_app.test_client().post("/line/logout", data={"next": "x" * (LIMIT + 10)})
    assert answer.status_code == 413 and b"<html" in answer.data.lower()


@pytest.mark.parametrize("value", [0, 1024, -5, "big", 1.5])
def test_a_bad_max_body_size_fails_init_app(make_app: AppFactory, value: Any):
    with pytest.raises(ConfigurationError, match="LINE_MAX_BODY_SIZE"):
        make_app(LINE_MAX_BODY_SIZE=value)
