"""The site's Messaging API channel: tokens, push and multicast to members, its webhook, and the bot's account link.

Every test runs against the emulator over real HTTP; webhooks are delivered by the emulator to the app served on
127.0.0.1, signed with the channel secret as LINE signs them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_login import LoginManager, UserMixin, login_user
from werkzeug.serving import make_server

from flask_line import current_line_user
from flask_line.demo import DEMO_MESSAGING_CHANNEL_ID, DEMO_MESSAGING_CHANNEL_SECRET, DEMO_PROVIDER
from flask_line.errors import (
    AccountLinkConflict,
    ConfigurationError,
    InvalidWebhookSignature,
    LineProviderMismatch,
    NotAFriend,
    NotLinkedToLine,
)
from flask_line.signals import (
    messaging_account_link,
    messaging_followed,
    messaging_message,
    messaging_postback,
    messaging_push_refused,
    messaging_unfollowed,
)
from flask_line.testing.official_accounts import event, sign
from tests.conftest import captured, follow_login
from tests.local import serve_in_background

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"
CONY = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"  # a friend of the demo Official Account
SALLY = "U6c1a3f4d5e6f708192a3b4c5d6e7f809"

MESSAGING = {
    "LINE_MESSAGING_CHANNEL_ID": DEMO_MESSAGING_CHANNEL_ID,
    "LINE_MESSAGING_CHANNEL_SECRET": DEMO_MESSAGING_CHANNEL_SECRET,
    "LINE_MESSAGING_PROVIDER": DEMO_PROVIDER,
    "LINE_LOGIN_PROVIDER": DEMO_PROVIDER,
    "LINE_LOGIN_BOT_PROMPT": "aggressive",
}


class Member(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id


@pytest.fixture
def app(make_app, line_platform) -> Iterator[Flask]:
    """An app with the demo Messaging API channel and Flask-Login, served on 127.0.0.1 for LINE's webhooks."""
    app = make_app(**MESSAGING)
    logins = LoginManager(app)
    logins.user_loader(Member)

    @app.get("/site-login/<user_id>")
    def site_login(user_id: str) -> str:
        login_user(Member(user_id))
        return "signed in"

    @app.post("/notify")
    def notify() -> dict[str, Any]:
        result = app.extensions["line"].messaging.push(current_line_user._get_current_object(), "Your order shipped.")
        return {"user_id": result.user_id, "ids": list(result.message_ids)}

    def as_the_apps_host(environ: dict[str, Any], start_response: Any) -> Any:
        environ["HTTP_HOST"] = "app.test"  # LINE calls the site's public name (Flask 3.0 routes only SERVER_NAME)
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, as_the_apps_host, threaded=True)
    serve_in_background(server)
    line_platform.platform.messaging.account().webhook_url = f"http://127.0.0.1:{server.port}/line/messaging/webhook"
    yield app
    server.shutdown()


@pytest.fixture
def oa(line_platform):
    """The demo Official Account as LINE's side sees it."""
    return line_platform.platform.messaging


def messaging(app: Flask) -> Any:
    return app.extensions["line"].messaging


def links(app: Flask) -> Any:
    """The app's account-link store (the one LINE Login writes)."""
    return app.extensions["line.runtime"].accounts.links


# Settings and tokens ----------------------------------------------------------------------------------------------


def test_a_channel_without_its_provider_is_refused_at_init_app(make_app):
    with pytest.raises(ConfigurationError, match="LINE_MESSAGING_PROVIDER"):
        make_app(**{**MESSAGING, "LINE_MESSAGING_PROVIDER": None})


def test_every_line_url_defaults_to_line_and_follows_the_emulator(make_app, line_platform):
    app = make_app(**MESSAGING)
    settings = app.extensions["line.runtime"].settings.messaging
    assert settings.token_url == f"{line_platform.url}/oauth2/v3/token"
    assert settings.account_link_url == f"{line_platform.url}/dialog/bot/accountLink"
    real = make_app(**{**MESSAGING, "LINE_EMULATOR_URL": None}).extensions["line.runtime"].settings.messaging
    assert real.token_url == "https://api.line.me/oauth2/v3/token"
    assert real.account_link_url == "https://access.line.me/dialog/bot/accountLink"


def test_one_stateless_token_serves_every_thread_of_a_worker(app, oa, line_platform):
    oa.account().friends.add(BROWN)
    errors: list[BaseException] = []

    def push() -> None:
        with app.app_context():
            try:
                messaging(app).push(BROWN, "hello")
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=push) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert line_platform.platform.calls("/oauth2/v3/token") == 1
    assert len(oa.messages_to(BROWN)) == 8


def test_a_token_about_to_expire_is_reissued(app, oa, line_platform, monkeypatch):
    monkeypatch.setattr("flask_line.testing.module.MODULE_TOKEN_TTL", 30)  # inside the 60-second margin
    oa.account().friends.add(BROWN)
    with app.app_context():
        messaging(app).push(BROWN, "one")
        messaging(app).push(BROWN, "two")
    assert line_platform.platform.calls("/oauth2/v3/token") == 2


# Push -------------------------------------------------------------------------------------------------------------


def test_a_member_who_adds_the_account_at_sign_in_is_pushed_to(app, client, oa, line_platform):
    with captured(messaging_followed) as followed:
        start = client.get("/line/login")
        assert "bot_prompt=aggressive" in start.location
        back = line_platform.consent(start.location, user="Brown", add_friend=True)
        client.get(back.path)
    assert [signal["user_id"] for signal in followed] == [BROWN]
    answer = client.post("/notify")
    assert answer.status_code == 200, answer.data
    assert answer.json["user_id"] == BROWN and len(answer.json["ids"]) == 1
    assert oa.messages_to(BROWN) == [{"type": "text", "text": "Your order shipped."}]


def test_a_push_to_someone_who_is_not_a_friend_says_so(app, oa, line_platform):
    with app.app_context(), captured(messaging_push_refused) as refused, pytest.raises(NotAFriend) as raised:
        messaging(app).push(SALLY, "hello")
    assert raised.value.user_id == SALLY
    assert [type(signal["error"]) for signal in refused] == [NotAFriend]
    assert oa.messages_to(SALLY) == []


def test_a_blocked_account_is_not_a_friend_any_more(app, oa):
    oa.befriend(BROWN)
    with captured(messaging_unfollowed) as unfollowed:
        oa.block(BROWN)
    assert [signal["user_id"] for signal in unfollowed] == [BROWN]
    with app.app_context(), pytest.raises(NotAFriend):
        messaging(app).push(BROWN, "hello")


def test_a_push_across_providers_is_refused_before_any_call(make_app, line_platform):
    app = make_app(**{**MESSAGING, "LINE_LOGIN_PROVIDER": "another-provider"})
    client = app.test_client()
    follow_login(client, line_platform, user="Cony")
    with captured(messaging_push_refused) as refused, client:
        client.get("/")
        user = current_line_user._get_current_object()
        with pytest.raises(LineProviderMismatch):
            messaging(app).push(user, "hello")
    assert [type(signal["error"]) for signal in refused] == [LineProviderMismatch]
    assert line_platform.platform.calls("/oauth2/v3/token") == 0
    assert line_platform.platform.calls("/v2/bot/message/push") == 0


def test_a_site_user_is_pushed_to_through_the_link_made_under_the_provider(app, oa):
    links(app).link("line", CONY, "42", scope=f"provider:{DEMO_PROVIDER}")
    links(app).link("line", BROWN, "43", scope="provider:another-provider")
    with app.app_context():
        assert messaging(app).push(Member("42"), {"type": "text", "text": "hi"}).user_id == CONY
        assert messaging(app).push(42, "again").user_id == CONY
        with pytest.raises(LineProviderMismatch):
            messaging(app).push("43", "hello")
        with pytest.raises(NotLinkedToLine):
            messaging(app).push("44", "hello")
    assert [message["text"] for message in oa.messages_to(CONY)] == ["hi", "again"]


def test_messages_are_checked_before_any_call(app, line_platform):
    with app.app_context():
        with pytest.raises(ValueError, match="1 to 5"):
            messaging(app).push(CONY, ["a", "b", "c", "d", "e", "f"])
        with pytest.raises(ValueError, match="type"):
            messaging(app).push(CONY, {"text": "no type"})
        with pytest.raises(TypeError):
            messaging(app).push(CONY, [3.14])
    assert line_platform.platform.calls("/v2/bot/message/push") == 0


def test_line_bot_sdk_models_are_sent_as_their_json(app, oa):
    class TextMessage:  # the shape of linebot.v3.messaging.TextMessage: it serialises itself
        def to_dict(self) -> dict[str, Any]:
            return {"type": "text", "text": "from the SDK", "quoteToken": None}

    with app.app_context():
        messaging(app).push(CONY, TextMessage())
    assert oa.messages_to(CONY) == [{"type": "text", "text": "from the SDK", "quoteToken": None}]


def test_a_retried_push_with_the_same_retry_key_is_sent_once(app, oa):
    key = "123e4567-e89b-12d3-a456-426614174000"
    with app.app_context():
        messaging(app).push(CONY, "once", retry_key=key)
        messaging(app).push(CONY, "once", retry_key=key)
    assert oa.messages_to(CONY) == [{"type": "text", "text": "once"}]


def test_multicast_sends_in_batches_of_500_and_reports_refused_members(app, oa, line_platform):
    friends = [f"U{index:032x}" for index in range(1001)]
    oa.account().friends.update(friends)
    with app.app_context(), captured(messaging_push_refused) as refused:
        result = messaging(app).multicast([*friends, "no-such-member"], "Sale starts now")
    assert line_platform.platform.calls("/v2/bot/message/multicast") == 3
    assert len(result.sent_to) == 1001 and len(result.request_ids) == 3
    assert [recipient for recipient, _ in result.refused] == ["no-such-member"]
    assert len(refused) == 1
    assert oa.messages_to(friends[1000]) == [{"type": "text", "text": "Sale starts now"}]


# Webhook ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signature", [None, "", "漢字", sign("wrong-secret", b"{}")], ids=["none", "empty", "cjk", "other"]
)
def test_a_webhook_with_a_bad_signature_is_a_400_and_fires_nothing(app, client, signature):
    body = json.dumps({"destination": "U0", "events": [event("follow", BROWN)]}).encode()
    headers = {} if signature is None else {"X-Line-Signature": signature}
    with captured(messaging_followed) as followed:
        answer = client.post("/line/messaging/webhook", data=body, headers=headers)
    assert answer.status_code == 400
    assert answer.status_code == InvalidWebhookSignature.status_code
    assert followed == []


def test_a_signed_body_of_another_shape_is_a_400(app, client):
    body = b'{"events": 5}'
    answer = client.post(
        "/line/messaging/webhook", data=body, headers={"X-Line-Signature": sign(DEMO_MESSAGING_CHANNEL_SECRET, body)}
    )
    assert answer.status_code == 400


def test_lines_verification_request_with_no_events_is_a_200(app, client):
    body = b'{"destination": "U0", "events": []}'
    answer = client.post(
        "/line/messaging/webhook", data=body, headers={"X-Line-Signature": sign(DEMO_MESSAGING_CHANNEL_SECRET, body)}
    )
    assert answer.status_code == 200


def test_a_redelivered_event_fires_its_signal_once(app, oa):
    with captured(messaging_message) as messages:
        assert oa.say(CONY, "hello") == "200"
        assert oa.redeliver_last() == "200"
    assert [signal["message"]["text"] for signal in messages] == ["hello"]
    assert [signal["user_id"] for signal in messages] == [CONY]


def test_postback_and_follow_events_fire_their_signals(app, oa):
    with captured(messaging_postback) as postbacks, captured(messaging_followed) as followed:
        oa.tap_postback(CONY, "action=subscribe")
        oa.befriend(SALLY)
    assert [signal["data"] for signal in postbacks] == ["action=subscribe"]
    assert [signal["event"]["follow"]["isUnblocked"] for signal in followed] == [False]


def test_the_webhook_url_is_addressed_to_line_without_the_shops_values(app):
    with app.test_request_context():
        from flask import url_for

        assert url_for("line.messaging_webhook") == "/line/messaging/webhook"


# The bot's account link -------------------------------------------------------------------------------------------


def start_bot_link(app, client, line_platform, line_user: str, site_user: str) -> str:
    """The member ``site_user`` opens the bot's link for ``line_user``; returns LINE's dialog URL."""
    with app.app_context():
        token = messaging(app).issue_link_token(line_user)
    client.get(f"/site-login/{site_user}")
    answer = client.get(f"/line/bot-link?linkToken={token}")
    assert answer.status_code == 302, answer.data
    assert answer.location.startswith(f"{line_platform.url}/dialog/bot/accountLink?linkToken={token}&nonce=")
    return answer.location


def test_the_bots_account_link_ends_with_one_link(app, client, line_platform, oa):
    dialog = start_bot_link(app, client, line_platform, CONY, "7")
    with captured(messaging_account_link) as reported:
        assert line_platform.browser.get(dialog, timeout=10).status_code == 200
    link = links(app).find("line", CONY)
    assert link is not None and link.user_id == "7" and link.scope == f"provider:{DEMO_PROVIDER}"
    assert [(signal["link"], signal["error"]) for signal in reported] == [(link, None)]
    with app.app_context():
        assert messaging(app).push("7", "linked").user_id == CONY


def test_a_replayed_nonce_is_refused(app, client, line_platform, oa):
    dialog = start_bot_link(app, client, line_platform, CONY, "7")
    nonce = dialog.split("nonce=")[1]
    line_platform.browser.get(dialog, timeout=10)
    links(app).unlink("line", "7")
    with captured(messaging_account_link) as reported:
        oa.deliver(DEMO_MESSAGING_CHANNEL_ID, event("accountLink", BROWN, link={"result": "ok", "nonce": nonce}))
    assert reported[0]["link"] is None and reported[0]["error"].code == "account_link_refused"
    assert links(app).find("line", BROWN) is None


def test_a_used_link_token_cannot_open_the_dialog_again(app, client, line_platform):
    dialog = start_bot_link(app, client, line_platform, CONY, "7")
    assert line_platform.browser.get(dialog, timeout=10).status_code == 200
    assert line_platform.browser.get(dialog, timeout=10).status_code == 400


def test_a_line_account_linked_to_another_member_is_refused_and_signalled(app, client, line_platform):
    links(app).link("line", CONY, "8", scope=f"provider:{DEMO_PROVIDER}")
    dialog = start_bot_link(app, client, line_platform, CONY, "7")
    with captured(messaging_account_link) as reported:
        line_platform.browser.get(dialog, timeout=10)
    assert isinstance(reported[0]["error"], AccountLinkConflict)
    assert links(app).find("line", CONY).user_id == "8"


def test_a_failed_link_writes_nothing(app, client, line_platform, oa):
    dialog = start_bot_link(app, client, line_platform, CONY, "7")
    nonce = dialog.split("nonce=")[1]
    with captured(messaging_account_link) as reported:
        oa.deliver(DEMO_MESSAGING_CHANNEL_ID, event("accountLink", CONY, link={"result": "failed", "nonce": nonce}))
    assert reported[0]["error"] is not None
    assert links(app).find("line", CONY) is None


@pytest.mark.parametrize(
    "odd", ["U" + "0" * 15 + "\x00" + "0" * 16, "U" + "0" * 64, "U" + "0" * 31 + "\N{RICE BALL}", "U" + "A" * 32]
)
def test_an_account_link_naming_an_odd_line_user_id_writes_nothing(app, client, line_platform, oa, odd):
    """Ids from LINE are checked on the way in (issue 33), the bot's account link too: nothing is stored."""
    dialog = start_bot_link(app, client, line_platform, CONY, "7")
    nonce = dialog.split("nonce=")[1]
    with captured(messaging_account_link) as reported:
        oa.deliver(DEMO_MESSAGING_CHANNEL_ID, event("accountLink", odd, link={"result": "ok", "nonce": nonce}))
    assert reported and reported[0]["error"] is not None
    assert links(app).for_user("line", "7") is None


def test_the_bot_link_page_asks_a_visitor_to_sign_in_first(app, client):
    answer = client.get("/line/bot-link?linkToken=abc")
    assert answer.status_code == 302
    assert "/line/login" in answer.location and "next=" in answer.location


def test_the_bot_link_page_refuses_a_missing_or_odd_link_token(app, client):
    client.get("/site-login/7")
    assert client.get("/line/bot-link").status_code == 400
    assert client.get("/line/bot-link?linkToken=%3Cscript%3E").status_code == 400


def test_init_app_makes_no_nonce_table(make_app, tmp_path):
    make_app(**MESSAGING)
    database = tmp_path / "instance" / "flask_line.sqlite3"
    if database.exists():
        with sqlite3.connect(database) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "line_bot_link_nonces" not in tables


def test_a_site_without_the_channel_has_no_messaging_pages(make_app):
    client = make_app().test_client()
    assert client.post("/line/messaging/webhook", data=b"{}").status_code == 404
    assert client.get("/line/bot-link?linkToken=abc").status_code == 404
