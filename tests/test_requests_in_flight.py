"""A request in flight while another changes the session (a favicon, a LIFF page's XHR, a second tab) never writes
its old copy back: a sign-in start, a sign-out and a login's new session id survive it, on the embedded store and
on Redis; a request that changed the session in place is still saved, and an unchanged one still lives longer."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from flask import Flask, session

from tests.conftest import deliver, follow_login


@pytest.fixture(params=["embedded", "redis", "cachelib"])
def store(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The session store's settings: the embedded SQLite store, the site's Redis, or a cachelib cache (the
    fixtures' file cache), each through Flask-Session."""
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        return {"SESSION_TYPE": "redis", "SESSION_REDIS": redis.Redis.from_url(server.url)}
    if request.param == "embedded":
        return {"SESSION_TYPE": None, "SESSION_CACHELIB": None}
    return {}


@pytest.fixture
def site(make_app: Callable[..., Flask], store: dict[str, Any]) -> Flask:
    app = make_app(**store)
    app.extensions["held"], app.extensions["entered"] = threading.Event(), threading.Event()

    @app.get("/slow")
    def slow() -> str:
        # Flask-Session read the session before the view: this is the request's copy, held while others run.
        app.extensions["entered"].set()
        app.extensions["held"].wait(10)
        return "slow"

    @app.post("/cart")
    def add_to_cart() -> str:
        session.setdefault("cart", []).append("tea")  # changed in place, without session.modified
        return "added"

    @app.get("/cart")
    def cart() -> str:
        return ",".join(session.get("cart", []))

    return app


@pytest.fixture
def app(site: Flask) -> Flask:
    """The suite's ``client`` browses this module's site."""
    return site


@pytest.fixture
def in_flight(site: Flask, client: Any) -> Iterator[Callable[[], Callable[[], None]]]:
    """Start ``GET /slow`` in this browser; call what it returns to let it finish (its response reaching the
    browser after everything the test did meanwhile)."""
    threads: list[threading.Thread] = []

    def start() -> Callable[[], None]:
        held: threading.Event = site.extensions["held"]
        entered: threading.Event = site.extensions["entered"]
        held.clear()
        entered.clear()
        thread = threading.Thread(target=client.get, args=("/slow",))
        thread.start()
        threads.append(thread)
        assert entered.wait(10), "the slow request started"

        def finish() -> None:
            held.set()
            thread.join(10)
            assert not thread.is_alive()

        return finish

    yield start
    site.extensions["held"].set()
    for thread in threads:
        thread.join(10)


def test_a_sign_in_started_during_a_slow_request_completes(client, line_platform, in_flight):
    client.post("/cart")  # the visitor has a session before signing in
    finish = in_flight()
    start = client.get("/line/login?next=/profile")
    finish()  # its response, made from the session as it was before the sign-in started, arrives now
    back = deliver(client, line_platform.consent(start.location))
    assert back.status_code == 302 and back.location.endswith("/profile"), back.data
    assert client.get("/profile").status_code == 200


def test_a_sign_out_during_a_slow_request_stays_signed_out(client, line_platform, in_flight):
    follow_login(client, line_platform)
    assert client.get("/profile").status_code == 200
    finish = in_flight()
    assert client.post("/line/logout").status_code in (302, 303)
    finish()
    assert client.get("/profile").status_code != 200, "a request in flight signed the visitor in again"


def test_a_login_during_a_slow_request_keeps_its_new_session(client, line_platform, in_flight):
    start = client.get("/line/login?next=/profile")
    finish = in_flight()  # holds the pre-login session (only the pending sign-in)
    back = deliver(client, line_platform.consent(start.location))
    assert back.status_code == 302
    finish()
    assert client.get("/profile").status_code == 200, "the browser got its old session id back"


def test_a_value_changed_in_place_is_still_saved(client):
    client.post("/cart")
    client.post("/cart")
    assert client.get("/cart").data == b"tea,tea"


def test_an_unchanged_session_still_lives_longer(site, client, line_platform, request):
    follow_login(client, line_platform)
    cookie = client.get_cookie(site.config["SESSION_COOKIE_NAME"], domain=site.config["SERVER_NAME"])
    interface = site.session_interface.inner
    store = getattr(interface, "real", interface)
    if request.node.callspec.params["store"] == "redis":
        (key,) = store.client.keys("*")
        store.client.expire(key, 60)
        answer = client.get("/profile")
        assert store.client.ttl(key) > 60 * 60 * 24, "the session's life was extended"
    elif request.node.callspec.params["store"] == "embedded":
        with sqlite3.connect(store.path) as db:
            db.execute("UPDATE flask_line_sessions SET expires_at = ?", (time.time() + 60,))
        answer = client.get("/profile")
        with sqlite3.connect(store.path) as db:
            (expires_at,) = db.execute("SELECT expires_at FROM flask_line_sessions").fetchone()
        assert expires_at > time.time() + 60 * 60 * 24, "the session's life was extended"
    else:
        writes = []
        store.cache.set = lambda *args, _set=store.cache.set, **kwargs: writes.append(args) or _set(*args, **kwargs)
        answer = client.get("/profile")
        assert len(writes) == 1, "the unchanged session was written back once, as it still was"
    assert answer.status_code == 200 and site.config["SESSION_COOKIE_NAME"] + "=" + cookie.value in str(
        answer.headers.get("Set-Cookie")
    ), "the cookie was renewed"
    renewed = client.get_cookie(site.config["SESSION_COOKIE_NAME"], domain=site.config["SERVER_NAME"])
    assert renewed.value == cookie.value


def test_redis_going_away_during_an_unchanged_request_is_a_503_and_the_site_recovers(
    client, line_platform, in_flight, request
):
    if request.node.callspec.params["store"] != "redis":
        pytest.skip("the Redis store only: the others cannot be stopped mid-request")
    server = request.getfixturevalue("redis_server")
    follow_login(client, line_platform)
    held = client.application.extensions["held"]
    answers: list[Any] = []
    thread = threading.Thread(target=lambda: answers.append(client.get("/slow")))
    held.clear()
    client.application.extensions["entered"].clear()
    thread.start()
    assert client.application.extensions["entered"].wait(10)
    server.stop()  # the session was read; extending its life now fails
    held.set()
    thread.join(10)
    assert answers and answers[0].status_code == 503, "a store away while saving is the outage page, never a 500"
    server.start()  # an empty Redis (the test's has no persistence): the visitor signs in again, no restart
    follow_login(client, line_platform)
    assert client.get("/profile").status_code == 200
