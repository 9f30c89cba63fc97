"""Many shops end to end: every URL flask-line builds keeps the visitor's shop, one person per browser, account
links scoped to the LINE provider, per-shop settings, and the channel on every identity and signal.

The platform here reads its shop from a path segment (``/shops/<shop>/card``) or ``?shop=`` (flask-line's own
routes), lists its channels in config without a callback URL (as docs/multi_channel.rst shows), and names the
shop in ``LINE_URL_VALUES``.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, jsonify, request, url_for
from flask_login import UserMixin
from joserfc import jwt
from joserfc.jwk import OctKey

from flask_line import AccountLink, LoginChannel, current_line_user, line_login_required, line_token_required
from flask_line import signals as line_signals
from flask_line.testing import EmulatorServer, signed_in_line_user

from .conftest import AppFactory, captured, deliver, expire_token, same_browser_at

CHANNELS = {
    "tea": {"channel_id": "1650000201", "channel_secret": "secret-of-the-tea-house", "provider": "brown-group"},
    "cafe": {"channel_id": "1650000202", "channel_secret": "secret-of-the-cafe", "provider": "brown-group"},
    "cake": {
        "channel_id": "1650000203",
        "channel_secret": "secret-of-the-cake-shop",
        "logout_redirect": "/shops/cake/bye",
        "default_next": "/shops/cake/welcome",
    },
}


@dataclass
class Member(UserMixin):
    id: int
    name: str


def shop_of_request() -> str | None:
    return (request.view_args or {}).get("shop") or request.args.get("shop")


def shops_app(make_app: AppFactory, line: EmulatorServer, **config: Any) -> Flask:
    """The platform: three shops' channels listed in config, no app-wide channel, the shop in LINE_URL_VALUES and
    read by the channel loader; ``config`` adds settings (another session store)."""
    for entry in CHANNELS.values():
        line.platform.add_channel(entry["channel_id"], entry["channel_secret"])
    line.platform.register_app("http://app.test")
    app = make_app(
        LINE_LOGIN_CHANNEL_ID=None,
        LINE_LOGIN_CHANNEL_SECRET=None,
        LINE_LOGIN_CHANNELS=CHANNELS,
        LINE_URL_VALUES=["shop"],
        **config,
    )
    app.extensions["line"].channel_loader(shop_of_request)  # the name as given: an unlisted one is a 404
    return app


@pytest.fixture
def shops(make_app: AppFactory, line_platform: EmulatorServer) -> Flask:
    """The platform, with a protected card page, a bearer API and the site's own links to flask-line per shop."""
    app = shops_app(make_app, line_platform)

    @app.get("/shops/<shop>/card")
    @line_login_required
    def card(shop: str) -> Any:
        return jsonify(shop=shop, user=current_line_user.user_id, channel=current_line_user.channel_id)

    @app.get("/shops/<shop>/api/me")
    @line_token_required
    def api_me(shop: str) -> Any:
        return jsonify(user=current_line_user.user_id, channel=current_line_user.channel_id)

    @app.get("/shops/<shop>/links")
    def links(shop: str) -> Any:  # a site template's own links to flask-line
        return jsonify(login=url_for("line.login"), logout=url_for("line.logout"))

    return app


@pytest.fixture
def members(shops: Flask) -> dict[str, Any]:
    """Account linking on the platform: one site member per LINE account (per provider)."""
    table: dict[str, Any] = {"made": []}

    @shops.extensions["line"].link_user
    def member_for(identity: Any, linked_user_id: str | None) -> Member:
        if linked_user_id is not None:
            return Member(int(linked_user_id), identity.display_name)
        member = Member(len(table["made"]) + 1, identity.display_name)
        table["made"].append(member)
        return member

    return table


def user_id(line: EmulatorServer, name: str) -> str:
    return next(user.user_id for user in line.platform.users.values() if user.display_name == name)


def sign_in_at(client: Any, line: EmulatorServer, page: str, user: str = "Brown", **consent: Any) -> Any:
    """Open a protected page of a shop as a browser, sign in at LINE, and follow back; the last answer."""
    start = client.get(page)
    assert start.status_code == 302 and "/line/login?" in start.location, start.get_data(as_text=True)
    to_line = client.get(start.location)
    assert to_line.status_code == 302, to_line.get_data(as_text=True)
    return deliver(client, line.consent(to_line.location, user=user, **consent))


def channel_of(shop: str) -> str:
    return str(CHANNELS[shop]["channel_id"])


# 1. The shop travels with the visitor ------------------------------------------------------------------------


def test_a_bookmarked_shop_page_signs_in_at_its_shop_and_lands_back(shops: Flask, line_platform: EmulatorServer):
    client = shops.test_client()
    start = client.get("/shops/cake/card")
    assert start.location.startswith("/line/login?")
    assert parse_qs(urlsplit(start.location).query) == {"shop": ["cake"], "next": ["/shops/cake/card"]}
    to_line = client.get(start.location)
    query = parse_qs(urlsplit(to_line.location).query)
    assert query["client_id"] == [channel_of("cake")]
    assert query["redirect_uri"] == ["http://app.test/line/callback"]  # a callback URL needs no shop
    back = line_platform.consent(to_line.location, user="Brown")
    assert urlsplit(back.path).path == "/line/callback" and "shop" not in back.path
    landed = deliver(client, back)
    assert landed.status_code == 302 and landed.location == "/shops/cake/card"
    assert client.get("/shops/cake/card").json == {
        "shop": "cake",
        "user": user_id(line_platform, "Brown"),
        "channel": channel_of("cake"),
    }


def test_an_api_client_is_told_its_own_shops_sign_in_url(shops: Flask):
    answer = shops.test_client().get("/shops/tea/card", headers={"Accept": "application/json"})
    assert answer.status_code == 401
    assert parse_qs(urlsplit(answer.json["login_url"]).query)["shop"] == ["tea"]
    assert "shop=tea" in answer.headers["WWW-Authenticate"]


def test_urls_a_site_builds_for_flask_line_keep_the_shop(shops: Flask):
    links = shops.test_client().get("/shops/cafe/links").json
    assert links == {"login": "/line/login?shop=cafe", "logout": "/line/logout?shop=cafe"}


def test_try_again_after_cancel_at_line_goes_back_to_the_same_shop(shops: Flask, line_platform: EmulatorServer):
    client = shops.test_client()
    with captured(line_signals.login_denied) as denied:
        page = sign_in_at(client, line_platform, "/shops/cake/card", allow=False)
    assert page.status_code == 403
    retry = re.search(r'href="(/line/login\?[^"]*)"', page.get_data(as_text=True))
    assert retry is not None
    assert parse_qs(urlsplit(html.unescape(retry.group(1))).query) == {"shop": ["cake"], "next": ["/shops/cake/card"]}
    assert denied[0]["channel_id"] == channel_of("cake")


def test_a_failed_auto_login_retries_at_the_same_shop_without_auto_login(shops: Flask, line_platform: EmulatorServer):
    client = shops.test_client()
    line_platform.platform.fail_auto_login()
    page = sign_in_at(client, line_platform, "/shops/cake/card")  # LINE's answer: a state never issued
    assert page.status_code == 400
    retry = re.search(r'id="try-again" href="([^"]*)"', page.get_data(as_text=True))
    assert retry is not None, page.get_data(as_text=True)
    retry_url = html.unescape(retry.group(1))
    assert parse_qs(urlsplit(retry_url).query) == {
        "shop": ["cake"],
        "next": ["/shops/cake/card"],
        "disable_auto_login": ["true"],
    }
    to_line = client.get(retry_url)
    assert parse_qs(urlsplit(to_line.location).query)["client_id"] == [channel_of("cake")]
    landed = deliver(client, line_platform.consent(to_line.location, user="Brown"))
    assert landed.location == "/shops/cake/card"


def test_the_sign_out_page_posts_to_its_own_shop_and_signs_out_of_that_shop_only(
    shops: Flask, line_platform: EmulatorServer
):
    client = shops.test_client()
    sign_in_at(client, line_platform, "/shops/tea/card")
    sign_in_at(client, line_platform, "/shops/cake/card")
    page = client.get("/line/logout?shop=cake").get_data(as_text=True)
    assert 'action="/line/logout?shop=cake"' in page
    with captured(line_signals.logged_out) as out:
        answer = client.post("/line/logout?shop=cake")
    assert answer.location == "/shops/cake/bye"  # the shop's own logout_redirect
    assert out[0]["channel_id"] == channel_of("cake")
    assert client.get("/shops/cake/card").status_code == 302
    assert client.get("/shops/tea/card").status_code == 200  # still signed in at tea


def test_a_callback_reaching_another_worker_completes_at_the_shop_that_started(
    shops: Flask, make_app: AppFactory, line_platform: EmulatorServer
):
    # A second process of the same site (same secret key and session store), which never saw the cake shop.
    other_worker = make_app(
        LINE_LOGIN_CHANNEL_ID=None, LINE_LOGIN_CHANNEL_SECRET=None, LINE_LOGIN_CHANNELS=None, LINE_URL_VALUES=["shop"]
    )
    asked: list[str] = []

    @other_worker.extensions["line"].channel_loader
    def from_database() -> Any:
        asked.append(request.full_path)
        entry = CHANNELS.get(shop_of_request() or "")
        return LoginChannel(**entry) if entry else None

    client = shops.test_client()
    start = client.get(client.get("/shops/cake/card").location)
    back = line_platform.consent(start.location, user="Cony")
    elsewhere = same_browser_at(other_worker, client, shops)
    landed = elsewhere.get(back.path)
    assert landed.status_code == 302 and landed.location == "/shops/cake/card"
    assert asked[-1] == "/line/login?shop=cake"  # asked as if at the page that started
    cake = LoginChannel(**CHANNELS["cake"])  # type: ignore[arg-type]
    assert signed_in_line_user(elsewhere, channel=cake).user_id == user_id(line_platform, "Cony")


def test_a_callback_at_a_worker_whose_shop_changed_channel_is_refused_with_a_signal(
    shops: Flask, make_app: AppFactory, line_platform: EmulatorServer
):
    other_worker = make_app(
        LINE_LOGIN_CHANNEL_ID=None, LINE_LOGIN_CHANNEL_SECRET=None, LINE_LOGIN_CHANNELS=None, LINE_URL_VALUES=["shop"]
    )
    # The cake shop moved to another channel between the start and the callback.
    other_worker.extensions["line"].channel_loader(lambda: LoginChannel(**CHANNELS["tea"]))  # type: ignore[arg-type]
    client = shops.test_client()
    back = line_platform.consent(client.get("/line/login?shop=cake").location)
    elsewhere = same_browser_at(other_worker, client, shops)
    with captured(line_signals.login_failed) as failed:
        landed = elsewhere.get(back.path)
    assert landed.status_code == 400
    assert failed[0]["error"].code == "invalid_state"
    assert not signed_in_line_user(elsewhere, channel=LoginChannel(**CHANNELS["tea"]))  # type: ignore[arg-type]


def test_a_sign_in_started_before_the_site_chose_shops_asks_to_start_again(
    make_app: AppFactory, line_platform: EmulatorServer
):
    # One channel for the whole site when the sign-in starts (nothing per request: no start URL is kept)...
    before = make_app()
    client = before.test_client()
    back = line_platform.consent(client.get("/line/login").location)
    # ...and a new release, with shops chosen per request, receives the callback.
    after = shops_app(make_app, line_platform)
    elsewhere = same_browser_at(after, client, before)
    with captured(line_signals.login_failed) as failed:
        landed = elsewhere.get(back.path)
    assert landed.status_code == 400
    assert "Please try again" in landed.get_data(as_text=True)
    assert failed[0]["error"].code == "invalid_state"


def test_an_unlisted_shop_name_is_a_clean_404(shops: Flask, caplog: Any):
    page = shops.test_client().get("/line/login?shop=no-such-shop")
    assert page.status_code == 404
    assert "does not use LINE Login" in page.get_data(as_text=True)
    assert any("not in LINE_LOGIN_CHANNELS" in record.getMessage() for record in caplog.records)


def test_without_line_url_values_the_404_says_what_to_set(make_app: AppFactory, caplog: Any):
    app = make_app(LINE_LOGIN_CHANNEL_ID=None, LINE_LOGIN_CHANNEL_SECRET=None, LINE_LOGIN_CHANNELS=CHANNELS)
    app.extensions["line"].channel_loader(shop_of_request)
    assert app.test_client().get("/line/login").status_code == 404
    assert any("LINE_URL_VALUES" in record.getMessage() for record in caplog.records)


def test_flask_login_sends_visitors_to_their_own_shops_sign_in(shops: Flask):
    from flask_login import LoginManager, login_required

    LoginManager(shops).user_loader(lambda member_id: None)

    @shops.get("/shops/<shop>/orders")
    @login_required
    def orders(shop: str) -> str:
        return "orders"

    answer = shops.test_client().get("/shops/tea/orders")
    assert answer.status_code == 302
    target = urlsplit(answer.location)
    assert target.path == "/line/login"
    assert parse_qs(target.query) == {"shop": ["tea"], "next": ["/shops/tea/orders"]}


# 2. The channel on every identity and signal --------------------------------------------------------------------


def test_a_liff_sign_in_and_a_bearer_request_carry_their_shops_channel(shops: Flask, line_platform: EmulatorServer):
    tokens = line_platform.liff_login("Brown", channel_id=channel_of("tea"))
    client = shops.test_client()
    with captured(line_signals.login_succeeded) as sent:
        assert client.post("/line/session?shop=tea", json={"id_token": tokens["id_token"]}).status_code == 200
    assert sent[0]["user"].channel_id == channel_of("tea")
    assert signed_in_line_user(client, channel="tea").channel_id == channel_of("tea")  # the stored record too
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/shops/tea/api/me", headers=bearer).json["channel"] == channel_of("tea")
    refused_at = []
    with captured(line_signals.login_failed) as failed:
        refused_at.append(client.get("/shops/cake/api/me", headers=bearer).status_code)
    assert refused_at == [401] and failed[0]["channel_id"] == channel_of("cake")


def test_a_refresh_says_which_shop(shops: Flask, line_platform: EmulatorServer):
    @shops.get("/shops/<shop>/token")
    def token(shop: str) -> str:
        return shops.extensions["line"].get_access_token()

    client = shops.test_client()
    sign_in_at(client, line_platform, "/shops/cafe/card")
    expire_token(client, channel="cafe")
    with captured(line_signals.token_refreshed) as refreshed:
        assert client.get("/shops/cafe/token").status_code == 200
    assert refreshed[0]["channel_id"] == channel_of("cafe")


# 3. One person per browser ---------------------------------------------------------------------------------------


def test_another_person_signing_in_at_any_shop_leaves_nothing_of_the_first(
    shops: Flask, members: dict[str, Any], line_platform: EmulatorServer
):
    client = shops.test_client()
    sign_in_at(client, line_platform, "/shops/tea/card", user="Brown")
    assert client.get("/shops/tea/card").status_code == 200
    sign_in_at(client, line_platform, "/shops/cake/card", user="Cony")
    assert client.get("/shops/cake/card").json["user"] == user_id(line_platform, "Cony")
    assert client.get("/shops/tea/card").status_code == 302, "Brown's tea record did not stay"
    assert signed_in_line_user(client, channel="tea").is_authenticated is False
    with shops.test_request_context():
        assert [member.name for member in members["made"]] == ["Brown", "Cony"]
    with client.session_transaction() as session:
        assert session["_line_site_user"]["id"] == "2"  # Cony's member, and only hers


def test_the_same_person_at_two_shops_keeps_the_member_until_the_last_sign_out(
    shops: Flask, members: dict[str, Any], line_platform: EmulatorServer
):
    client = shops.test_client()
    sign_in_at(client, line_platform, "/shops/tea/card")
    sign_in_at(client, line_platform, "/shops/cafe/card")  # the same provider: the same member
    assert len(members["made"]) == 1
    with client.session_transaction() as session:
        assert session["_line_site_user"]["id"] == "1"
    client.post("/line/logout?shop=tea")
    assert client.get("/shops/cafe/card").status_code == 200
    with client.session_transaction() as session:
        assert session["_line_site_user"]["id"] == "1", "the member stays while signed in at cafe"
    client.post("/line/logout?shop=cafe")
    with client.session_transaction() as session:
        assert "_line_site_user" not in session


def test_one_person_per_browser_with_flask_login(shops: Flask, members: dict[str, Any], line_platform: EmulatorServer):
    from flask_login import LoginManager, current_user, login_required

    known = {}
    manager = LoginManager(shops)
    manager.user_loader(lambda member_id: known.get(member_id))
    line_signals.login_succeeded.connect(
        lambda sender, site_user, **_: known.__setitem__(site_user.get_id(), site_user), sender=shops, weak=False
    )

    @shops.get("/me")
    @login_required
    def me() -> Any:
        return jsonify(member=current_user.get_id())

    client = shops.test_client()
    sign_in_at(client, line_platform, "/shops/tea/card", user="Brown")
    sign_in_at(client, line_platform, "/shops/cafe/card", user="Brown")
    assert client.get("/me").json == {"member": "1"}
    client.post("/line/logout?shop=tea")
    assert client.get("/me").json == {"member": "1"}, "signed in at cafe still"
    sign_in_at(client, line_platform, "/shops/cake/card", user="Cony")
    assert client.get("/me").json == {"member": "2"}
    assert client.get("/shops/cafe/card").status_code == 302, "nothing of Brown stays"


# 4. Links scoped to the LINE provider -----------------------------------------------------------------------------


def minted_id_token(subject: str, channel: str, secret: str) -> str:
    """What a holder of ``channel``'s secret can mint for any user id: a valid HS256 ID token of that channel."""
    now = int(time.time())
    claims = {"iss": "https://access.line.me", "sub": subject, "aud": channel, "iat": now, "exp": now + 600}
    return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret))


def test_a_shops_secret_never_opens_a_member_linked_through_another_provider(
    shops: Flask, members: dict[str, Any], line_platform: EmulatorServer
):
    brown = user_id(line_platform, "Brown")
    sign_in_at(shops.test_client(), line_platform, "/shops/tea/card")  # Brown is member 1, linked through tea
    cake = CHANNELS["cake"]
    forged = minted_id_token(brown, str(cake["channel_id"]), str(cake["channel_secret"]))
    attacker = shops.test_client()
    answer = attacker.post("/line/session?shop=cake", json={"id_token": forged}, headers={"Accept": "application/json"})
    assert answer.status_code == 403 and answer.json["error"] == "account_linked_elsewhere"
    assert signed_in_line_user(attacker, channel="cake").is_authenticated is False
    with attacker.session_transaction() as session:
        assert "_line_site_user" not in session
    # At tea itself, a token minted with another shop's secret does not verify at all.
    at_tea = minted_id_token(brown, channel_of("tea"), str(cake["channel_secret"]))
    assert attacker.post("/line/session?shop=tea", json={"id_token": at_tea}).status_code == 401
    assert len(members["made"]) == 1


def test_channels_declaring_one_provider_share_the_member(
    shops: Flask, members: dict[str, Any], line_platform: EmulatorServer
):
    sign_in_at(shops.test_client(), line_platform, "/shops/tea/card")
    sign_in_at(shops.test_client(), line_platform, "/shops/cafe/card")  # another browser, the same provider
    assert len(members["made"]) == 1
    with shops.app_context():
        stored = shops.extensions["line"].account_links.find("line", user_id(line_platform, "Brown"))
    assert stored.scope == "provider:brown-group" and stored.channel_id == channel_of("tea")


def test_a_link_made_before_scopes_is_found_only_at_the_channel_it_was_made_through():
    from flask_line._accounts.linking import LinkScope

    now = datetime.now(timezone.utc)
    tea = LinkScope.of_channel("1650000201", "brown-group", default_channel=False)
    the_app_channel = LinkScope.of_channel("1650000000", None, default_channel=True)
    before_channels = AccountLink("line", "U1", "7", now, now)  # a single-channel app's link
    assert the_app_channel.holds(before_channels) and not tea.holds(before_channels)
    made_at_tea = AccountLink("line", "U1", "7", now, now, channel_id="1650000201")
    assert tea.holds(made_at_tea) and not the_app_channel.holds(made_at_tea)
    scoped = AccountLink("line", "U1", "7", now, now, channel_id="1650000201", scope="provider:brown-group")
    assert tea.holds(scoped) and not LinkScope.of_channel("1650000201", None, default_channel=False).holds(scoped)


# 5. Per-shop settings --------------------------------------------------------------------------------------------


def test_a_shops_default_next_applies_to_its_sign_ins(shops: Flask, line_platform: EmulatorServer):
    client = shops.test_client()
    start = client.get("/line/login?shop=cake")
    landed = deliver(client, line_platform.consent(start.location))
    assert landed.location == "/shops/cake/welcome"


def test_a_shop_accepts_the_liff_channels_it_lists(make_app: AppFactory, line_platform: EmulatorServer):
    liff = "1650000299"
    line_platform.platform.add_channel(liff, "secret-of-the-liff-app", id_token_alg="ES256")
    listed = {**CHANNELS, "tea": {**CHANNELS["tea"], "token_channel_ids": [liff]}}
    app = make_app(
        LINE_LOGIN_CHANNEL_ID=None, LINE_LOGIN_CHANNEL_SECRET=None, LINE_LOGIN_CHANNELS=listed, LINE_URL_VALUES=["shop"]
    )
    app.extensions["line"].channel_loader(shop_of_request)
    tokens = line_platform.liff_login("Brown", channel_id=liff)
    client = app.test_client()
    assert client.post("/line/session?shop=tea", json={"id_token": tokens["id_token"]}).status_code == 200
    assert client.post("/line/session?shop=cake", json={"id_token": tokens["id_token"]}).status_code == 401


@pytest.mark.parametrize(
    "entry",
    [
        {"provider": ""},
        {"default_next": "https://evil.example/"},
        {"logout_redirect": "nope"},
        {"token_channel_ids": ["not-a-channel"]},
    ],
)
def test_bad_per_shop_settings_fail_at_init_app(make_app: AppFactory, entry: dict[str, Any]):
    from flask_line.errors import ConfigurationError

    with pytest.raises(ConfigurationError) as failed:
        make_app(LINE_LOGIN_CHANNELS={"tea": {**CHANNELS["tea"], **entry}})
    assert failed.value.key == "LINE_LOGIN_CHANNELS"


# 7. One channel, one identity -------------------------------------------------------------------------------------


def test_the_module_chooser_belongs_to_the_shops_signed_in_admin(shops: Flask, line_platform: EmulatorServer):
    client = shops.test_client()
    sign_in_at(client, line_platform, "/shops/tea/card")
    chooser = client.get("/line/accounts?shop=tea")
    assert chooser.status_code == 200, "signed in at tea: no loop back to sign-in"
    assert 'href="/line/attach?' in chooser.get_data(as_text=True) and "shop=tea" in chooser.get_data(as_text=True)
    assert client.get("/line/accounts?shop=cake").status_code == 302  # at cake nobody is signed in


def test_a_sign_out_ends_the_shops_pending_sign_ins_and_the_last_one_ends_all(
    shops: Flask, line_platform: EmulatorServer
):
    client = shops.test_client()
    sign_in_at(client, line_platform, "/shops/tea/card")
    sign_in_at(client, line_platform, "/shops/cafe/card")
    started_at_tea = line_platform.consent(client.get("/line/login?shop=tea").location)
    started_at_cafe = line_platform.consent(client.get("/line/login?shop=cafe").location)
    client.post("/line/logout?shop=tea")
    assert deliver(client, started_at_tea).status_code == 400, "tea's pending sign-in went with tea's sign-out"
    client.post("/line/logout?shop=cafe")
    assert deliver(client, started_at_cafe).status_code == 400


def test_a_shops_bearer_token_verified_for_the_fleet_is_refused_at_another_shop(
    make_app: AppFactory, line_platform: EmulatorServer, redis_server: Any
) -> None:
    """Combined: several shops, LIFF/bearer clients and a shared cache (the site's Redis) across workers. The
    fleet shares a verified token by its hash alone: another shop's worker must still refuse it."""
    import redis

    for entry in CHANNELS.values():
        line_platform.platform.add_channel(entry["channel_id"], entry["channel_secret"])

    def worker() -> Flask:
        app = make_app(
            LINE_LOGIN_CHANNEL_ID=None,
            LINE_LOGIN_CHANNEL_SECRET=None,
            LINE_LOGIN_CHANNELS=CHANNELS,
            LINE_URL_VALUES=["shop"],
            SESSION_TYPE="redis",
            SESSION_REDIS=redis.Redis.from_url(redis_server.url),
        )
        app.extensions["line"].channel_loader(shop_of_request)

        @app.get("/shops/<shop>/api/me")
        @line_token_required
        def api_me(shop: str) -> Any:
            return jsonify(channel=current_line_user.channel_id)

        return app

    tea_worker, cake_worker = worker(), worker()
    bearer = {
        "Authorization": f"Bearer {line_platform.liff_login('Brown', channel_id=channel_of('tea'))['access_token']}"
    }
    assert tea_worker.test_client().get("/shops/tea/api/me", headers=bearer).json == {"channel": channel_of("tea")}
    refused = cake_worker.test_client().get("/shops/cake/api/me", headers=bearer)
    assert refused.status_code == 401 and refused.json["error"] == "foreign_channel"
    assert cake_worker.test_client().get("/shops/tea/api/me", headers=bearer).status_code == 200
