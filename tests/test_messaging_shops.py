"""Several shops, each with its LINE Login channel and its Official Account under its own LINE provider.

The platform lists both shops in config (``LINE_LOGIN_CHANNELS``, ``LINE_MESSAGING_CHANNELS``), reads the shop from
a path segment or ``?shop=`` for both loaders, and is served on 127.0.0.1 so the emulator delivers each account's
webhook over real HTTP, signed with that account's secret. The tea house's webhook is registered by its name
(``/line/messaging/tea/webhook``), the cake shop's through the loader (``/line/messaging/webhook?shop=cake``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify, request
from flask_login import LoginManager, UserMixin, login_user
from werkzeug.serving import make_server

from flask_line import MessagingChannel, current_line_user, line_login_required
from flask_line.errors import ConfigurationError, LineProviderMismatch
from flask_line.signals import messaging_account_link, messaging_message, messaging_push_refused
from flask_line.testing import EmulatorServer
from flask_line.testing.official_accounts import event, sign
from tests.local import serve_in_background

from .conftest import AppFactory, captured, deliver

TEA = {"login": ("1650000301", "secret-of-the-tea-house"), "messaging": ("2100000301", "tea-house-oa-secret")}
CAKE = {"login": ("1650000302", "secret-of-the-cake-shop"), "messaging": ("2100000302", "cake-shop-oa-secret")}
PROVIDERS = {"tea": "tea-group", "cake": "cake-group"}
SHOPS = {"tea": TEA, "cake": CAKE}

LOGIN_CHANNELS = {
    name: {
        "channel_id": shop["login"][0],
        "channel_secret": shop["login"][1],
        "provider": PROVIDERS[name],
        "bot_prompt": "aggressive",
    }
    for name, shop in SHOPS.items()
}
MESSAGING_CHANNELS = {
    name: {"channel_id": shop["messaging"][0], "channel_secret": shop["messaging"][1], "provider": PROVIDERS[name]}
    for name, shop in SHOPS.items()
}


def oa_of(shop: str) -> str:
    return SHOPS[shop]["messaging"][0]


def secret_of(shop: str) -> str:
    return SHOPS[shop]["messaging"][1]


class Member(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def shop_of_request() -> str | None:
    return (request.view_args or {}).get("shop") or request.args.get("shop")


@pytest.fixture
def shops(make_app: AppFactory, line_platform: EmulatorServer) -> Iterator[Flask]:
    """Two shops on two providers, each with LINE Login and an Official Account, served on 127.0.0.1."""
    accounts = {name: line_platform.add_shop(PROVIDERS[name], **shop) for name, shop in SHOPS.items()}
    line_platform.platform.register_app("http://app.test")
    app = make_app(
        LINE_LOGIN_CHANNEL_ID=None,
        LINE_LOGIN_CHANNEL_SECRET=None,
        LINE_LOGIN_CHANNELS=LOGIN_CHANNELS,
        LINE_MESSAGING_CHANNELS=MESSAGING_CHANNELS,
        LINE_URL_VALUES=["shop"],
    )
    line = app.extensions["line"]
    line.channel_loader(shop_of_request)
    line.messaging_channel_loader(shop_of_request)
    LoginManager(app).user_loader(Member)

    @app.get("/shops/<shop>/card")
    @line_login_required
    def card(shop: str) -> Any:
        return jsonify(user=current_line_user.user_id)

    @app.get("/site-login/<user_id>")
    def site_login(user_id: str) -> str:
        login_user(Member(user_id))
        return "signed in"

    def as_the_apps_host(environ: dict[str, Any], start_response: Any) -> Any:
        environ["HTTP_HOST"] = "app.test"
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, as_the_apps_host, threaded=True)
    serve_in_background(server)
    accounts["tea"].webhook_url = f"http://127.0.0.1:{server.port}/line/messaging/tea/webhook"
    accounts["cake"].webhook_url = f"http://127.0.0.1:{server.port}/line/messaging/webhook?shop=cake"
    yield app
    server.shutdown()


@pytest.fixture
def oa(line_platform: EmulatorServer) -> Any:
    """The Official Accounts as LINE's side sees them."""
    return line_platform.platform.messaging


def signed_in_at(app: Flask, line_platform: EmulatorServer, shop: str, user: str) -> Any:
    """``user`` signs in at ``shop`` and adds its account at the consent screen; their LineUser, as a job keeps it."""
    client = app.test_client()
    start = client.get(f"/shops/{shop}/card")
    to_line = client.get(start.location)
    deliver(client, line_platform.consent(to_line.location, user=user, add_friend=True))
    with client:
        assert client.get(f"/shops/{shop}/card").status_code == 200
        return current_line_user._get_current_object()


def messaging(app: Flask) -> Any:
    return app.extensions["line"].messaging


def links(app: Flask) -> Any:
    return app.extensions["line.runtime"].accounts.links


def user_id(line_platform: EmulatorServer, name: str) -> str:
    return next(user.user_id for user in line_platform.platform.users.values() if user.display_name == name)


# Push -------------------------------------------------------------------------------------------------------------


def test_a_job_pushes_a_member_through_the_account_of_the_shop_they_signed_in_at(shops, line_platform, oa):
    brown = signed_in_at(shops, line_platform, "tea", "Brown")
    with shops.app_context():  # a background job: no request, no shop
        result = messaging(shops).push(brown, "Your tea is ready.")
    assert result.user_id == brown.user_id
    assert oa.messages_to(brown.user_id, oa_of("tea")) == [{"type": "text", "text": "Your tea is ready."}]
    assert oa.messages_to(brown.user_id, oa_of("cake")) == []


def test_a_push_through_another_providers_account_is_refused_before_any_call(shops, line_platform, oa):
    brown = signed_in_at(shops, line_platform, "tea", "Brown")
    pushes, tokens = (
        line_platform.platform.calls("/v2/bot/message/push"),
        line_platform.platform.calls("/oauth2/v3/token"),
    )
    with shops.app_context(), captured(messaging_push_refused) as refused, pytest.raises(LineProviderMismatch):
        messaging(shops).push(brown, "Cake?", channel="cake")
    assert [(type(signal["error"]), signal["channel_id"]) for signal in refused] == [
        (LineProviderMismatch, oa_of("cake"))
    ]
    assert line_platform.platform.calls("/v2/bot/message/push") == pushes
    assert line_platform.platform.calls("/oauth2/v3/token") == tokens
    assert oa.messages_to(brown.user_id, oa_of("cake")) == []


def test_a_push_in_a_shops_request_goes_through_that_shops_account(shops, line_platform, oa):
    brown = signed_in_at(shops, line_platform, "cake", "Brown")
    with shops.test_request_context("/shops/cake/card"):
        messaging(shops).push(brown, "Your cake is ready.")
    with shops.test_request_context("/shops/tea/card"), pytest.raises(LineProviderMismatch):
        messaging(shops).push(brown, "Tea?")  # the tea house's page: its account, of another provider
    assert oa.messages_to(brown.user_id, oa_of("cake")) == [{"type": "text", "text": "Your cake is ready."}]
    assert oa.messages_to(brown.user_id, oa_of("tea")) == []


def test_a_multicast_in_a_job_reaches_each_member_through_their_own_shop(shops, line_platform, oa):
    brown = signed_in_at(shops, line_platform, "tea", "Brown")
    sally = signed_in_at(shops, line_platform, "cake", "Sally")
    with shops.app_context():
        result = messaging(shops).multicast([brown, sally], "Closed on Monday.")
    assert sorted(result.sent_to) == sorted([brown.user_id, sally.user_id]) and len(result.request_ids) == 2
    assert oa.messages_to(brown.user_id, oa_of("tea")) == [{"type": "text", "text": "Closed on Monday."}]
    assert oa.messages_to(sally.user_id, oa_of("cake")) == [{"type": "text", "text": "Closed on Monday."}]
    assert oa.messages_to(brown.user_id, oa_of("cake")) == oa.messages_to(sally.user_id, oa_of("tea")) == []


def test_a_site_user_linked_at_a_shop_is_pushed_through_that_shops_account(shops, line_platform, oa):
    cony = user_id(line_platform, "Cony")
    oa.account(oa_of("cake")).friends.add(cony)
    links(shops).link("line", cony, "42", scope="provider:cake-group")
    with shops.app_context():
        assert messaging(shops).push(Member("42"), "Linked.").user_id == cony
    assert oa.messages_to(cony, oa_of("cake")) == [{"type": "text", "text": "Linked."}]


def test_each_shops_token_is_its_own(shops, line_platform, oa):
    brown = signed_in_at(shops, line_platform, "tea", "Brown")
    sally = signed_in_at(shops, line_platform, "cake", "Sally")
    with shops.app_context():
        messaging(shops).push(brown, "one")
        messaging(shops).push(sally, "two")
        messaging(shops).push(brown, "three")
        tea, cake = (messaging(shops).channel(name).channel_token.get().access_token for name in ("tea", "cake"))
    assert tea != cake
    assert line_platform.platform.calls("/oauth2/v3/token") == 2


# Webhooks ---------------------------------------------------------------------------------------------------------


def test_each_shops_events_fire_with_its_own_channel(shops, line_platform, oa):
    brown = user_id(line_platform, "Brown")
    with captured(messaging_message) as messages:
        assert oa.say(brown, "to the tea house", channel_id=oa_of("tea")) == "200"
        assert oa.say(brown, "to the cake shop", channel_id=oa_of("cake")) == "200"
    assert [(signal["message"]["text"], signal["channel_id"]) for signal in messages] == [
        ("to the tea house", oa_of("tea")),
        ("to the cake shop", oa_of("cake")),
    ]


@pytest.mark.parametrize(("to", "signed_by"), [("tea", "cake"), ("cake", "tea")])
def test_a_webhook_signed_with_another_shops_secret_is_a_400(shops, line_platform, oa, to, signed_by):
    body = json.dumps({"destination": "U0", "events": [event("message", user_id(line_platform, "Brown"))]}).encode()
    with captured(messaging_message) as messages:
        assert oa.post(oa_of(to), body, signature=sign(secret_of(signed_by), body)) == "400"
    assert messages == []


def test_a_webhook_of_an_unlisted_shop_is_a_404(shops):
    body = b'{"events": []}'
    headers = {"X-Line-Signature": sign(secret_of("tea"), body)}
    client = shops.test_client()
    assert client.post("/line/messaging/bakery/webhook", data=body, headers=headers).status_code == 404
    assert client.post("/line/messaging/webhook?shop=bakery", data=body, headers=headers).status_code == 404


# The bot's account link -------------------------------------------------------------------------------------------


def start_bot_link(app: Flask, shop: str, line_user: str, site_user: str) -> str:
    with app.app_context():
        token = messaging(app).issue_link_token(line_user, channel=shop)
    client = app.test_client()
    client.get(f"/site-login/{site_user}")
    answer = client.get(f"/line/bot-link/{shop}?linkToken={token}")
    assert answer.status_code == 302, answer.data
    return str(answer.location)


def test_the_bots_account_link_at_a_shop_lands_under_its_provider(shops, line_platform, oa):
    cony = user_id(line_platform, "Cony")
    dialog = start_bot_link(shops, "cake", cony, "7")
    with captured(messaging_account_link) as reported:
        assert line_platform.browser.get(dialog, timeout=10).status_code == 200
    link = links(shops).find("line", cony)
    assert link is not None and link.user_id == "7" and link.scope == "provider:cake-group"
    assert [(signal["error"], signal["channel_id"]) for signal in reported] == [(None, oa_of("cake"))]
    oa.account(oa_of("tea")).friends.add(cony)
    with shops.app_context(), pytest.raises(LineProviderMismatch):
        messaging(shops).push("7", "Tea?", channel="tea")  # the link is the cake group's: never the tea house's


def test_a_shops_nonce_is_unknown_at_another_shops_webhook(shops, line_platform, oa):
    cony = user_id(line_platform, "Cony")
    nonce = start_bot_link(shops, "cake", cony, "7").split("nonce=")[1]
    with captured(messaging_account_link) as reported:
        oa.deliver(oa_of("tea"), event("accountLink", cony, link={"result": "ok", "nonce": nonce}))
    assert reported[0]["error"].code == "account_link_refused" and reported[0]["channel_id"] == oa_of("tea")
    assert links(shops).find("line", cony) is None


# Settings ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        {"channel_id": "2100000309", "channel_secret": "bakery-oa-secret"},
        {"channel_id": "not-digits", "channel_secret": "bakery-oa-secret", "provider": "p"},
        {"channel_id": "2100000309", "channel_secret": " ", "provider": "p"},
        {"channel_id": "2100000309", "channel_secret": "bakery-oa-secret", "provider": "p", "link_nonce_ttl": 0},
        {"channel_id": "2100000309", "channel_secret": "bakery-oa-secret", "provider": "p", "typo": 1},
    ],
    ids=["no-provider", "id", "secret", "ttl", "unknown-key"],
)
def test_a_bad_listed_channel_fails_init_app_naming_the_key(make_app: AppFactory, entry: dict[str, Any]):
    with pytest.raises(ConfigurationError) as failed:
        make_app(LINE_MESSAGING_CHANNELS={"bakery": entry})
    assert failed.value.key == "LINE_MESSAGING_CHANNELS"
    assert "bakery-oa-secret" not in str(failed.value)


def test_default_is_the_name_of_the_apps_own_channel(make_app: AppFactory):
    with pytest.raises(ConfigurationError, match="'default' is taken"):
        make_app(
            LINE_MESSAGING_CHANNEL_ID="2100000000",
            LINE_MESSAGING_CHANNEL_SECRET="secret",
            LINE_MESSAGING_PROVIDER="p",
            LINE_MESSAGING_CHANNELS={"default": MESSAGING_CHANNELS["tea"]},
        )


def test_a_channels_secret_is_never_in_its_repr():
    assert "tea-house-oa-secret" not in repr(MessagingChannel("2100000301", "tea-house-oa-secret", "tea-group"))
