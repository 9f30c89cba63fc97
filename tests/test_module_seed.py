"""Module channels as seed 003 and the API reference (§3) document them: the scope table row by row, chat
control, the module webhook events, the attach URL and answer, and how parameters are encoded."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest

from flask_line import errors, signals
from flask_line.testing import sign_in_line_user
from tests.conftest import captured
from tests.test_module import BROWN_CAFE, attach, stored
from tests.test_webhook import sign

# Seed 003, "Scopes": every API the table lists, with the scope it names.
SEED_TABLE = [
    ("POST", "/v2/bot/user/U4af4980629a1b2c3d4e5f60718293a4b/linkToken", None),
    ("POST", "/v2/bot/message/reply", "message:send"),
    ("POST", "/v2/bot/message/push", "message:send"),
    ("POST", "/v2/bot/message/multicast", "message:send"),
    ("POST", "/v2/bot/message/broadcast", "message:send"),
    ("POST", "/v2/bot/message/narrowcast", "message:send"),
    ("GET", "/v2/bot/message/progress/narrowcast?requestId=1", "message:send"),
    ("POST", "/v2/bot/audienceGroup/upload", "message:send"),
    ("GET", "/v2/bot/audienceGroup/list", "message:send"),
    ("GET", "/v2/bot/message/quota", "message:send"),
    ("GET", "/v2/bot/message/quota/consumption", "message:send"),
    ("POST", "/v2/bot/chat/loading/start", "message:send"),
    ("POST", "/v2/bot/user/all/richmenu/richmenu-1", "account:manage"),
    ("GET", "/v2/bot/insight/message/delivery?date=20260101", "account:manage"),
    ("GET", "/v2/bot/insight/followers?date=20260101", "account:manage"),
    ("GET", "/v2/bot/insight/demographic", "account:manage"),
    ("GET", "/v2/bot/insight/message/event?requestId=1", "account:manage"),
    ("GET", "/v2/bot/insight/message/event/aggregation?customAggregationUnit=x&from=1&to=2", "account:manage"),
    ("POST", "/v2/bot/message/markAsRead", "message:mark_as_read"),
    ("POST", "/v2/bot/message/pnp/templated/push", "message:templated_pnp"),
    ("GET", "/v2/bot/message/delivery/pnp/templated?date=20260101", "message:templated_pnp"),
    ("GET", "/v2/bot/profile/U5b0f2e3c4d5e6f708192a3b4c5d6e7f8", "profile:read"),
    ("GET", "/v2/bot/group/C0123/summary", "profile:read"),
    ("GET", "/v2/bot/group/C0123/member/U4af4980629a1b2c3d4e5f60718293a4b", "profile:read"),
    ("GET", "/v2/bot/room/R0123/member/U4af4980629a1b2c3d4e5f60718293a4b", "profile:read"),
    ("GET", "/v2/bot/group/C0123/members/count", "profile:read"),
    ("GET", "/v2/bot/room/R0123/members/count", "profile:read"),
    ("POST", "/v2/bot/coupon", "coupon:manage"),
    ("GET", "/v2/bot/coupon", "coupon:manage"),
    ("GET", "/v2/bot/coupon/coupon-1", "coupon:manage"),
    ("PUT", "/v2/bot/coupon/coupon-1/close", "coupon:manage"),
]
OTHER_SCOPE = {"message:send": "profile:read"}

_TEXT = [{"type": "text", "text": "hi"}]
_FRIEND = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"  # Cony, a friend of every Official Account
#: The operations the emulator emulates: a body LINE accepts, and the status messaging-api's OpenAPI document gives.
EMULATED = {
    "/v2/bot/user/U4af4980629a1b2c3d4e5f60718293a4b/linkToken": ({}, 200),
    "/v2/bot/message/reply": ({"replyToken": "r" * 32, "messages": _TEXT}, 200),
    "/v2/bot/message/push": ({"to": _FRIEND, "messages": _TEXT}, 200),
    "/v2/bot/message/multicast": ({"to": [_FRIEND], "messages": _TEXT}, 200),
    "/v2/bot/message/broadcast": ({"messages": _TEXT}, 200),
    "/v2/bot/message/narrowcast": ({"messages": _TEXT}, 202),
    "/v2/bot/message/validate/push": ({"messages": _TEXT}, 200),
    "/v2/bot/message/quota": ({}, 200),
    "/v2/bot/message/quota/consumption": ({}, 200),
    "/v2/bot/chat/loading/start": ({"chatId": _FRIEND}, 202),
    "/v2/bot/message/markAsRead": ({"chat": {"userId": _FRIEND}}, 200),
    f"/v2/bot/profile/{_FRIEND}": ({}, 200),
    "/v2/bot/info": ({}, 200),
}


def documented_call(path: str) -> tuple[dict, int]:
    """A body for ``path`` and the emulator's status: the document's where it emulates the operation, else 501."""
    return EMULATED.get(path.split("?")[0], ({}, 501))


def call(app, method, path):
    with app.app_context():
        body, _ = documented_call(path)
        return app.extensions["line"].module.api(BROWN_CAFE).request(method, path, json=body)


@pytest.mark.parametrize("method,path,scope", SEED_TABLE, ids=[path.split("?")[0] for _, path, _ in SEED_TABLE])
def test_each_documented_endpoint_needs_exactly_its_scope(app, client, line_platform, method, path, scope):
    holding = scope or "message:receive"
    attach(client, line_platform, query=f"scope={holding}")
    served = len(line_platform.platform.requests)
    expected = documented_call(path)[1]
    assert call(app, method, path).status_code == expected, "the scope the seed names is enough, here and at LINE"
    assert line_platform.platform.requests[served:][-1] == f"{method} {path.split('?')[0]}"
    if scope is None:
        return
    other = OTHER_SCOPE.get(scope, "message:send")
    attach(client, line_platform, query=f"scope={other}")
    with pytest.raises(errors.MissingModuleScope) as refused:
        call(app, method, path)
    assert refused.value.missing == {scope}


@pytest.mark.parametrize("path", ["/v2/bot/info", "/v2/bot/message/validate/push", "/v2/bot/followers/ids"])
def test_an_endpoint_the_table_does_not_know_is_left_to_line(app, client, line_platform, path):
    attach(client, line_platform, query="scope=message:receive")
    method = "POST" if "validate" in path else "GET"
    assert call(app, method, path).status_code == documented_call(path)[1]
    assert line_platform.platform.messages[-1][1] == path


# Chat control (reference §3.7) ------------------------------------------------------------------------------

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"


@pytest.fixture
def chat_api(app, client, line_platform):
    attach(client, line_platform, query="scope=message:receive")
    with app.app_context():
        yield app.extensions["line"].module.api(BROWN_CAFE)


CONY = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"  # a friend of the Official Account


def test_acquire_and_release_chat_control(chat_api, line_platform):
    chat_api.acquire_chat_control(CONY, ttl=600)
    assert (BROWN_CAFE, CONY) in line_platform.platform.chat_controls
    chat_api.release_chat_control(CONY)
    assert (BROWN_CAFE, CONY) not in line_platform.platform.chat_controls


def test_chat_control_takes_the_ids_a_module_receives(chat_api, line_platform):
    module_user_id = "L" + BROWN_CAFE + "-" + CONY  # 68 characters, one per Official Account
    assert len(module_user_id) == 68
    chat_api.acquire_chat_control(module_user_id)
    assert (BROWN_CAFE, module_user_id) in line_platform.platform.chat_controls


@pytest.mark.parametrize(
    "chat_id,reason,status",
    [("not-a-chat", "invalid_chat", 400), ("U" + "0" * 32, "not_in_chat", 404), (BROWN, "not_in_chat", 404)],
    ids=["bad-id", "unknown-user", "not-a-friend"],
)
def test_chat_control_refusals_are_clear_errors(chat_api, chat_id, reason, status):
    with pytest.raises(errors.ChatControlError) as refused:
        chat_api.acquire_chat_control(chat_id)
    assert refused.value.reason == reason and refused.value.status_code == status


def test_a_chat_another_channel_just_took_is_locked(chat_api, line_platform):
    line_platform.platform.chat_controls[(BROWN_CAFE, CONY)] = ("another-module", time.time())
    with pytest.raises(errors.ChatControlError) as refused:
        chat_api.acquire_chat_control(CONY)
    assert refused.value.reason == "locked" and refused.value.status_code == 423


def test_chat_control_for_a_bot_no_longer_attached(chat_api, line_platform):
    line_platform.platform.attachments.clear()  # detached at LINE, not yet here
    with pytest.raises(errors.ChatControlError) as refused:
        chat_api.release_chat_control(CONY)
    assert refused.value.reason == "not_attached"


def test_chat_control_needs_message_receive_locally(app, client, line_platform):
    attach(client, line_platform, query="scope=message:send")
    served = len(line_platform.platform.requests)
    with app.app_context():
        api = app.extensions["line"].module.api(BROWN_CAFE)
        with pytest.raises(errors.MissingModuleScope):
            api.acquire_chat_control(BROWN)
        with pytest.raises(ValueError):
            api.acquire_chat_control(BROWN, ttl=31_536_001)
    assert line_platform.platform.requests[served:] == []


# Webhook events (reference §3.8) -----------------------------------------------------------------------------


def deliver(client, *events, destination=BROWN_CAFE):
    body = json.dumps({"destination": destination, "events": list(events)}).encode()
    return client.post("/line/module/webhook", data=body, headers={"X-Line-Signature": sign(body)})


def test_an_attached_event_for_an_unknown_bot_is_stored_without_an_owner(app, client):
    event = {
        "type": "module",
        "mode": "active",
        "module": {"type": "attached", "botId": "U" + "a" * 32, "scopes": ["message:send"]},
    }
    with captured(signals.module_webhook_attached) as attached:
        assert deliver(client, event).status_code == 200
    record = stored(app, "U" + "a" * 32)
    assert record.scopes == {"message:send"} and record.attached_by is None
    assert attached[0]["known"] is False


def test_an_attached_event_for_a_known_bot_keeps_its_owner(app, client, line_platform):
    attach(client, line_platform)
    event = {"type": "module", "module": {"type": "attached", "botId": BROWN_CAFE, "scopes": ["message:send"]}}
    with captured(signals.module_webhook_attached) as attached:
        deliver(client, event)
    assert attached[0]["known"] is True
    assert stored(app, BROWN_CAFE).attached_by is not None
    assert stored(app, BROWN_CAFE).scopes == {"message:send"}


def test_activated_and_deactivated_are_signalled_per_chat(app, client, line_platform):
    attach(client, line_platform)
    activated = {
        "type": "activated",
        "mode": "active",
        "source": {"type": "user", "userId": BROWN},
        "chatControl": {"expireAt": 1_900_000_000_000},
    }
    deactivated = {"type": "deactivated", "mode": "active", "source": {"type": "group", "groupId": "C" + "1" * 32}}
    with captured(signals.module_activated) as on, captured(signals.module_deactivated) as off:
        assert deliver(client, activated, deactivated).status_code == 200
    assert on[0]["bot_id"] == BROWN_CAFE and on[0]["chat_id"] == BROWN and on[0]["expire_at"] == 1_900_000_000_000
    assert off[0]["chat_id"] == "C" + "1" * 32
    assert stored(app, BROWN_CAFE).active, "chat control is per chat: the attachment stays usable"
    assert client.post("/send").json["status"] == 200


def test_a_suspended_bot_is_refused_with_the_reason_until_resumed(app, client, line_platform):
    attach(client, line_platform)
    with captured(signals.module_suspended) as suspended:
        deliver(client, {"type": "botSuspended", "mode": "active"})
    assert suspended[0]["bot_id"] == BROWN_CAFE
    assert stored(app, BROWN_CAFE).active is False
    page = client.post("/send")
    assert page.status_code == 403 and b"suspended" in page.data
    assert client.post("/send", headers={"Accept": "application/json"}).json["error"] == "module_suspended"
    with captured(signals.module_resumed) as resumed:
        deliver(client, {"type": "botResumed", "mode": "active"})
    assert resumed and client.post("/send").json["status"] == 200


def test_a_store_from_flask_line_0_1_is_migrated(tmp_path):
    import sqlite3

    from flask_line import SQLiteAttachmentStore

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE line_module_attachments (bot_id TEXT PRIMARY KEY, scopes TEXT NOT NULL,"
            " attached_at TEXT NOT NULL, attached_by TEXT, region TEXT, basic_search_id TEXT)"
        )
        connection.execute(
            "INSERT INTO line_module_attachments VALUES (?, ?, ?, ?, ?, ?)",
            ("Ub1", '["message:send"]', "2026-01-01T00:00:00+00:00", "U1", "JP", None),
        )
    record = SQLiteAttachmentStore(path).get("Ub1")
    assert record.active is True and record.scopes == {"message:send"} and record.region == "JP"


# The attach request and answer -------------------------------------------------------------------------------


def test_the_attach_url_always_carries_scope_encoded_as_the_seed_shows(client):
    sign_in_line_user(client, "U4af4980629a1b2c3d4e5f60718293a4b")
    location = client.get("/line/attach?brand_type=premium%20verified").location
    query = urlsplit(location).query
    assert "scope=message%3Asend%20message%3Areceive" in query
    assert "brand_type=premium%20verified" in query
    assert "+" not in query
    assert "redirect_uri=http%3A%2F%2Fapp.test%2Fline%2Fattach%2Fcallback" in query


def test_login_scope_is_sent_with_percent_20(client):
    query = urlsplit(client.get("/line/login").location).query
    assert "scope=profile%20openid" in query and "+" not in query


@pytest.mark.parametrize("scopes", ["", [], " "])
def test_no_module_scopes_is_a_configuration_error(make_app, scopes):
    with pytest.raises(errors.ConfigurationError) as raised:
        make_app(LINE_MODULE_SCOPES=scopes)
    assert raised.value.key == "LINE_MODULE_SCOPES"


def test_an_attach_answer_with_a_scope_string_is_read(app, client, line_platform):
    line_platform.platform.inject(
        "POST /module/auth/v1/token", status=200, body={"bot_id": BROWN_CAFE, "scope": "message:send message:receive"}
    )
    attach(client, line_platform)
    assert stored(app, BROWN_CAFE).scopes == {"message:send", "message:receive"}
