"""Many LINE Login channels in one app: each shop's sign-in, state, ID tokens, tokens and session are its own."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, jsonify, request

from flask_line import LoginChannel, current_line_user, line_token_required
from flask_line.signals import login_succeeded
from flask_line.testing import EmulatorServer

from .conftest import AppFactory, captured, deliver

SHOPS = {
    "a": LoginChannel(
        "1111111111", "secret-of-shop-a", bot_prompt="aggressive", callback_url="http://app.test/line/callback?shop=a"
    ),
    "b": LoginChannel("2222222222", "secret-of-shop-b", callback_url="http://app.test/line/callback?shop=b"),
}


@pytest.fixture
def shops_app(make_app: AppFactory, line_platform: EmulatorServer) -> Flask:
    """One app, two shops chosen by ``?shop=``, each with its own channel at the emulator."""
    for channel in SHOPS.values():
        line_platform.platform.add_channel(channel.channel_id, channel.channel_secret)
    line_platform.platform.register_app("http://app.test")
    app = make_app()
    line = app.extensions["line"]

    @line.channel_loader
    def shop_channel() -> LoginChannel | None:
        shop = request.args.get("shop", "")
        if shop == "broken":
            raise RuntimeError("the shops table is down")
        return SHOPS.get(shop)

    @app.get("/api/me")
    @line_token_required
    def api_me() -> Any:
        return jsonify(ok=True)

    @app.get("/who")
    def who() -> Any:  # a platform page outside every shop reads who is signed in
        return jsonify(signed_in=current_line_user.is_authenticated)

    return app


def sign_in(client: Any, line: EmulatorServer, shop: str, user: str = "Brown") -> Any:
    start = client.get(f"/line/login?shop={shop}&next=/profile?shop={shop}")
    assert start.status_code == 302, start.get_data(as_text=True)
    return start, line.consent(start.location, user=user)


def test_each_shop_signs_in_with_its_own_channel(shops_app: Flask, line_platform: EmulatorServer) -> None:
    client = shops_app.test_client()
    start, back = sign_in(client, line_platform, "a")
    query = parse_qs(urlsplit(start.location).query)
    assert query["client_id"] == ["1111111111"] and query["bot_prompt"] == ["aggressive"]
    assert query["redirect_uri"] == ["http://app.test/line/callback?shop=a"]
    with captured(login_succeeded) as sent:
        assert deliver(client, back).status_code == 302
    assert sent[0]["user"].channel_id == "1111111111"  # signals carry the channel
    assert client.get("/profile?shop=a").status_code == 200

    other = shops_app.test_client()
    start_b, back_b = sign_in(other, line_platform, "b")
    assert parse_qs(urlsplit(start_b.location).query)["client_id"] == ["2222222222"]
    assert deliver(other, back_b).status_code == 302
    assert other.get("/profile?shop=b").status_code == 200


def test_a_visitor_signed_in_at_one_shop_is_not_signed_in_at_another(
    shops_app: Flask, line_platform: EmulatorServer
) -> None:
    client = shops_app.test_client()
    _, back = sign_in(client, line_platform, "a")
    deliver(client, back)
    assert client.get("/profile?shop=a").status_code == 200
    assert client.get("/profile?shop=b").status_code == 302  # sent to shop b's sign-in
    _, back_b = sign_in(client, line_platform, "b")
    deliver(client, back_b)
    assert client.get("/profile?shop=b").json["name"] == "Brown"
    assert client.get("/profile?shop=a").json["name"] == "Brown"  # the same person, at both shops


def test_a_callback_completes_at_the_shop_that_started_whatever_its_url_says(
    shops_app: Flask, line_platform: EmulatorServer
) -> None:
    client = shops_app.test_client()
    _, back = sign_in(client, line_platform, "a")
    assert client.get(back.path.replace("shop=a", "shop=b")).status_code == 302
    assert client.get("/profile?shop=a").status_code == 200  # the state was shop a's: so is the sign-in
    assert client.get("/profile?shop=b").status_code == 302


def test_an_id_token_of_shop_a_is_refused_at_shop_b(shops_app: Flask, line_platform: EmulatorServer) -> None:
    tokens = line_platform.liff_login("Brown", channel_id=SHOPS["a"].channel_id)
    client = shops_app.test_client()
    body = {"id_token": tokens["id_token"]}
    assert client.post("/line/session?shop=b", json=body).status_code == 401
    assert client.post("/line/session?shop=a", json=body).status_code == 200


def test_access_tokens_are_accepted_only_at_their_shop(shops_app: Flask, line_platform: EmulatorServer) -> None:
    tokens = line_platform.liff_login("Cony", channel_id=SHOPS["b"].channel_id)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    client = shops_app.test_client()
    assert client.get("/api/me?shop=b", headers=headers).status_code == 200
    refused = client.get("/api/me?shop=a", headers=headers)
    assert refused.status_code == 401 and refused.json["error"] == "foreign_channel"


@pytest.mark.parametrize("shop", ["nowhere", "broken"])
def test_a_shop_without_a_channel_is_a_clean_404_never_another_shops_channel(
    shops_app: Flask, line_platform: EmulatorServer, shop: str
) -> None:
    before = len(line_platform.platform.requests)
    page = shops_app.test_client().get(f"/line/login?shop={shop}")
    assert page.status_code == 404
    assert "This shop does not use LINE Login." in page.get_data(as_text=True)
    assert len(line_platform.platform.requests) == before  # nothing went to LINE


def test_channels_listed_in_config_are_named_by_the_loader(make_app: AppFactory, line_platform: EmulatorServer) -> None:
    line_platform.platform.add_channel("3333333333", "secret-of-shop-c")
    line_platform.platform.register_app("http://app.test")
    app = make_app(LINE_LOGIN_CHANNELS={"shop-c": {"channel_id": "3333333333", "channel_secret": "secret-of-shop-c"}})
    app.extensions["line"].channel_loader(lambda: "shop-c")
    client = app.test_client()
    start = client.get("/line/login?next=/profile")
    assert parse_qs(urlsplit(start.location).query)["client_id"] == ["3333333333"]
    assert deliver(client, line_platform.consent(start.location)).status_code == 302
    assert client.get("/profile").status_code == 200


@pytest.mark.parametrize(
    "channels",
    [
        {"c": {"channel_id": "3"}},
        {"c": "3333333333"},
        {"c": {"channel_id": "3", "channel_secret": "s", "color": 1}},
        {"c": {"channel_id": "shop-c", "channel_secret": "s"}},
        {"c": {"channel_id": "3", "channel_secret": " "}},
        {"c": {"channel_id": "3", "channel_secret": "s", "scopes": "email"}},
        {"c": {"channel_id": "3", "channel_secret": "s", "bot_prompt": "always"}},
        {"c": {"channel_id": "3", "channel_secret": "s", "callback_url": "javascript:alert(1)"}},
    ],
)
def test_bad_configured_channels_fail_at_init_app(make_app: AppFactory, channels: Any) -> None:
    from flask_line.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as raised:
        make_app(LINE_LOGIN_CHANNELS=channels)
    assert raised.value.key == "LINE_LOGIN_CHANNELS"


def test_channel_services_are_bounded(make_app: AppFactory, line_platform: EmulatorServer) -> None:
    app = make_app(LINE_LOGIN_CHANNEL_CACHE_SIZE=2)
    line = app.extensions["line"]
    line.channel_loader(lambda: LoginChannel(request.args["id"], "secret"))
    client = app.test_client()
    for channel_id in ("4000000001", "4000000002", "4000000003", "4000000001"):
        assert client.get(f"/line/login?id={channel_id}").status_code == 302
    from flask_line._runtime import runtime

    with app.app_context():
        assert runtime().channels is not None and runtime().channels.cached == 2


def test_without_a_loader_the_single_channel_is_unchanged(client: Any, line_platform: EmulatorServer) -> None:
    start = client.get("/line/login")
    assert parse_qs(urlsplit(start.location).query)["client_id"] == ["1650000000"]
    assert requests.get(start.location, timeout=5).status_code == 200


def test_a_link_records_the_channel_it_came_from(shops_app: Flask, line_platform: EmulatorServer) -> None:
    line = shops_app.extensions["line"]
    members: dict[str, str] = {}

    @line.link_user
    def member_for(identity: Any, linked_user_id: str | None) -> Any:
        members.setdefault(identity.user_id, f"member-{len(members) + 1}")
        return type("Member", (), {"id": members[identity.user_id], "is_active": True})()

    client = shops_app.test_client()
    _, back = sign_in(client, line_platform, "b", user="Cony")
    assert deliver(client, back).status_code == 302
    with shops_app.app_context():
        link = line.account_links.find("line", "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8")
    assert link is not None and link.channel_id == "2222222222"


def test_an_old_sqlite_links_file_gains_the_channel_column(tmp_path: Any) -> None:
    import sqlite3

    from flask_line import SQLiteAccountLinks

    path = tmp_path / "links.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE line_account_links (provider TEXT NOT NULL, subject TEXT NOT NULL, user_id TEXT NOT NULL,"
            " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (provider, subject),"
            " UNIQUE (provider, user_id))"
        )
        connection.execute(
            "INSERT INTO line_account_links VALUES ('line', 'U1', '7', '2026-01-01T00:00:00+00:00',"
            " '2026-01-01T00:00:00+00:00')"
        )
    store = SQLiteAccountLinks(path)
    old = store.find("line", "U1")
    assert old is not None and old.user_id == "7" and old.channel_id is None
    assert store.link("line", "U2", "8", channel_id="1111111111").channel_id == "1111111111"
    assert store.for_user("line", "8").channel_id == "1111111111"
    assert store.link("line", "U1", "7", channel_id="2222222222").channel_id is None  # the first channel stays


def test_a_store_written_before_channels_still_links(tmp_path: Any) -> None:
    """A site's own AccountLinkStore whose link() takes no channel_id keeps working; it is simply not told."""
    from flask_line import SQLiteAccountLinks
    from flask_line._store.checked import CheckedLinks

    class OlderStore(SQLiteAccountLinks):
        def link(self, provider: str, subject: str, user_id: str) -> Any:  # type: ignore[override]
            return super().link(provider, subject, user_id)

    checked = CheckedLinks(OlderStore(tmp_path / "links.sqlite3"))
    made = checked.link("line", "U3", "9", channel_id="1650000000")
    assert made.user_id == "9" and made.channel_id is None


def test_a_page_outside_every_shop_sees_nobody_signed_in_not_a_404(
    shops_app: Flask, line_platform: EmulatorServer
) -> None:
    client = shops_app.test_client()
    _, back = sign_in(client, line_platform, "a")
    deliver(client, back)
    assert client.get("/who").json == {"signed_in": False}  # no shop here: no channel, nobody, and no error
    assert client.get("/who?shop=a").json == {"signed_in": True}
    assert client.get("/profile").status_code == 302  # sent to sign in, which says this site has no LINE Login


def test_the_test_helpers_sign_in_at_one_shop(shops_app: Flask) -> None:
    from flask_line.testing import sign_in_line_user, signed_in_line_user

    client = shops_app.test_client()
    sign_in_line_user(client, "U4af4980629a1b2c3d4e5f60718293a4b", channel=SHOPS["b"])
    assert client.get("/profile?shop=b").status_code == 200
    assert client.get("/profile?shop=a").status_code == 302
    assert signed_in_line_user(client, channel=SHOPS["b"]).user_id == "U4af4980629a1b2c3d4e5f60718293a4b"
    assert not signed_in_line_user(client, channel=SHOPS["a"]).is_authenticated


def test_init_app_opens_no_store_file(make_app: AppFactory, tmp_path: Any) -> None:
    """The link store is built at its first use, not by init_app (its channel support is asked at the first link)."""
    # No module: no attachment store; the default place of the link store, not the fixture's temporary one.
    app = make_app(LINE_MODULE_CHANNEL_ID=None, LINE_MODULE_CHANNEL_SECRET=None, LINE_DATABASE_URI=None)
    assert not (tmp_path / "instance" / "flask_line.sqlite3").exists()
    with app.app_context():
        app.extensions["line"].account_links.find("line", "U1")
    assert (tmp_path / "instance" / "flask_line.sqlite3").exists()


@pytest.mark.parametrize(
    "bad",
    [
        LoginChannel("shop-a", "secret"),
        LoginChannel("1111111111", ""),
        LoginChannel("1111111111", "secret", scopes=("email",)),
        LoginChannel("1111111111", "secret", bot_prompt="always"),
        LoginChannel("1111111111", "secret", callback_url="/line/callback"),
    ],
)
def test_a_loader_returning_a_bad_channel_is_a_misconfiguration_page_not_a_redirect(
    make_app: AppFactory, line_platform: EmulatorServer, bad: LoginChannel
) -> None:
    app = make_app()
    app.extensions["line"].channel_loader(lambda: bad)
    before = len(line_platform.platform.requests)
    answer = app.test_client().get("/line/login")
    assert answer.status_code == 500 and "Traceback" not in answer.get_data(as_text=True)
    assert len(line_platform.platform.requests) == before
