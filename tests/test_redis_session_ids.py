"""A login's new session id with Redis sessions (Flask-Session): the old id is deleted in the same round trip as the
session's write, and is as worthless afterwards as with the other stores."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from flask import Flask, jsonify, session
from flask_login import LoginManager, UserMixin, current_user

from flask_line import LineOAuth, current_line_user, line_login_required
from flask_line._sessions.setup import rotate_session_id
from tests.conftest import BrowserClient, deliver, follow_login
from tests.local import RedisServer
from tests.test_shops import CHANNELS, shops_app


class Member(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


@pytest.fixture
def store(redis_server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(redis_server.url)


@pytest.fixture
def site(line_app_config: dict[str, Any], store: redis.Redis, tmp_path: Any) -> Flask:
    """A Redis-session site with Flask-Login, whose members are the LINE users who signed in."""
    app = Flask("redis_ids", instance_path=str(tmp_path))
    config = {key: value for key, value in line_app_config.items() if not key.startswith("SESSION_")}
    app.config.update(config, SESSION_TYPE="redis", SESSION_REDIS=store)
    app.test_client_class = BrowserClient
    line = LineOAuth(app)
    LoginManager(app).user_loader(Member)

    @line.link_user
    def member_for(user: Any, linked_user_id: str | None) -> Member:
        return Member(linked_user_id or f"member-of-{user.user_id}")

    @app.get("/whoami")
    def whoami() -> str:
        return "anonymous" if current_user.is_anonymous else current_user.id

    @app.post("/rotate-twice")
    def rotate_twice() -> str:
        session["note"] = "kept"
        rotate_session_id()
        rotate_session_id()
        return "rotated"

    return app


def session_keys(store: redis.Redis) -> set[str]:
    return {key.decode().removeprefix("session:") for key in store.scan_iter("session:*")}


def user_id(line: Any, name: str) -> str:
    return next(user.user_id for user in line.platform.users.values() if user.display_name == name)


def cookie_of(client: Any) -> str:
    return client.get_cookie("session", domain="app.test").value


def test_a_login_leaves_only_the_new_session_id_in_redis(site, store, line_platform):
    client = site.test_client()
    client.get("/line/login")
    planted = cookie_of(client)
    assert session_keys(store) == {planted}
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    fresh = cookie_of(client)
    assert fresh != planted
    assert session_keys(store) == {fresh}, "the id from before the login is deleted from Redis"
    assert client.get("/whoami").get_data(as_text=True).startswith("member-of-U"), "Flask-Login signed in too"
    client.set_cookie("session", planted, domain="app.test")  # an attacker's planted id
    assert client.get("/whoami").data == b"anonymous"
    assert client.get("/profile", headers={"Accept": "application/json"}).status_code in (401, 404)


def test_two_new_ids_in_one_request_delete_the_stored_one_and_keep_the_last(site, store):
    client = site.test_client()
    client.post("/rotate-twice")  # a new visitor: nothing stored yet, the first rotation has nothing to delete
    first = cookie_of(client)
    assert session_keys(store) == {first}
    client.post("/rotate-twice")
    last = cookie_of(client)
    assert last != first
    assert session_keys(store) == {last}, "neither the stored id nor the one in between is left"
    with site.test_request_context():
        assert site.session_interface.inner.serializer.decode(store.get(f"session:{last}"))["note"] == "kept"


def test_each_sign_in_of_many_visitors_keeps_one_session_each(site, store, line_platform):
    visitors = [site.test_client() for _ in range(6)]
    for number, client in enumerate(visitors):
        client.get("/line/login")  # a session stored before the sign-in, as a real visitor's
        follow_login(client, line_platform, user=("Brown", "Cony", "Sally")[number % 3])
    assert session_keys(store) == {cookie_of(client) for client in visitors}


def test_redis_going_away_before_the_new_id_is_written_is_a_503_not_a_sign_in(site, redis_server, line_platform):
    from flask_line import signals

    client = site.test_client()
    start = client.get("/line/login")
    back = line_platform.consent(start.location, user="Brown")

    def store_goes_away(sender: Any, **details: Any) -> None:
        redis_server.stop()  # after the callback read the session, before its write (and the old id's delete)

    with signals.login_succeeded.connected_to(store_goes_away):
        answer = client.get(back.path)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "Location" not in answer.headers, "the visitor is not sent on as if signed in"
    redis_server.start()  # an empty Redis: nothing of the half-done sign-in is left, no restart of the app needed
    assert client.get("/whoami").data == b"anonymous"
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    assert client.get("/whoami").get_data(as_text=True).startswith("member-of-U")


def sign_in_with_line_login(client: Any, line: Any) -> None:
    assert follow_login(client, line, user="Brown").status_code == 302


def sign_in_with_line_works(client: Any, line: Any) -> None:
    start = client.get("/line/works/login")
    assert start.status_code == 302
    assert deliver(client, line.consent(start.location, user="Alice")).status_code == 302


def sign_in_with_a_liff_id_token(client: Any, line: Any) -> None:
    answer = client.post("/line/session", json={"id_token": line.liff_login("Brown")["id_token"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "sign_in",
    [sign_in_with_line_login, sign_in_with_line_works, sign_in_with_a_liff_id_token],
    ids=["line-login", "line-works", "liff-session-exchange"],
)
def test_every_sign_in_leaves_only_its_new_id_in_redis(site, store, line_platform, sign_in):
    client = site.test_client()
    client.get("/line/login")  # a session stored before the sign-in (an attacker may have planted its id)
    planted = cookie_of(client)
    sign_in(client, line_platform)
    fresh = cookie_of(client)
    assert fresh != planted
    assert session_keys(store) == {fresh}
    client.set_cookie("session", planted, domain="app.test")
    assert client.get("/whoami").data == b"anonymous"


def test_shops_on_redis_sessions_with_flask_login_an_async_view_and_a_thai_phone(make_app, store, line_platform):
    """Combined: two shops' channels chosen per request, Redis sessions, Flask-Login members, an ``async def`` view
    and a Thai visitor: each sign-in rotates the id in one round trip and lands back at its own shop."""
    app = shops_app(make_app, line_platform, SESSION_TYPE="redis", SESSION_REDIS=store)
    LoginManager(app).user_loader(Member)

    @app.extensions["line"].link_user
    def member_for(user: Any, linked_user_id: str | None) -> Member:
        return Member(linked_user_id or f"{user.channel_id}:{user.user_id}")

    @app.get("/shops/<shop>/card")
    @line_login_required
    async def card(shop: str) -> Any:
        return jsonify(shop=shop, channel=current_line_user.channel_id, member=current_user.id)

    thai = {"Accept-Language": "th-TH,th;q=0.9", "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"}
    for shop, person in (("tea", "Brown"), ("cake", "Cony")):
        channel_id = CHANNELS[shop]["channel_id"]
        client = app.test_client()
        client.get(f"/line/login?shop={shop}", headers=thai)  # a stored session first
        planted = cookie_of(client)
        start = client.get(f"/shops/{shop}/card", headers=thai)
        assert start.status_code == 302 and f"shop={shop}" in start.location
        to_line = client.get(start.location, headers=thai)
        assert "ui_locales=th" in to_line.location
        back = deliver(client, line_platform.consent(to_line.location, user=person))
        assert back.location == f"/shops/{shop}/card"
        assert cookie_of(client) != planted and planted not in session_keys(store)
        shown = client.get(f"/shops/{shop}/card", headers=thai).json
        assert shown == {
            "shop": shop,
            "channel": channel_id,
            "member": f"{channel_id}:{user_id(line_platform, person)}",
        }
    assert len(session_keys(store)) == 2, "two visitors signed in at two shops: their two sessions, nothing else"
