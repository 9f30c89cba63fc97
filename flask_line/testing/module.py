"""The emulated module channel endpoints: attach, channel access tokens, detach, and the Messaging API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from typing import Any, NoReturn

import requests
from flask import abort, jsonify, request

from .bot_api import CHAT_ID, MODULE_USER_ID, MessagingApi
from .consent import ConsentScreen
from .data import Grant, PlatformData
from .endpoints import Endpoints, bearer_token, oauth_error, picture_url

MODULE_TOKEN_TTL = 900  # stateless channel access tokens live 15 minutes
#: Reference §3.7: another channel's acquire within "a few seconds" answers 423.
CHAT_CONTROL_LOCK_SECONDS = 5

#: The emulator's own copy of the scope table of LINE's "Attach module channel" (Scopes), kept apart from
#: flask_line's so that a mistake in one is caught by the other. Paths not listed are served without a check.
SCOPE_TABLE: tuple[tuple[re.Pattern[str], str | None], ...] = tuple(
    (re.compile(pattern), scope)
    for pattern, scope in (
        # "Specification not required": issue link token.
        (r"^/v2/bot/user/[^/]+/linkToken$", None),
        # message:send
        (r"^/v2/bot/message/(reply|push|multicast|broadcast|narrowcast)$", "message:send"),
        (r"^/v2/bot/message/progress/narrowcast$", "message:send"),
        (r"^/v2/bot/audienceGroup(/.*)?$", "message:send"),
        (r"^/v2/bot/message/quota(/consumption)?$", "message:send"),
        (r"^/v2/bot/chat/loading/start$", "message:send"),
        # account:manage
        (r"^/v2/bot/user/all/richmenu/[^/]+$", "account:manage"),
        (r"^/v2/bot/insight/message/delivery$", "account:manage"),
        (r"^/v2/bot/insight/followers$", "account:manage"),
        (r"^/v2/bot/insight/demographic$", "account:manage"),
        (r"^/v2/bot/insight/message/event(/aggregation)?$", "account:manage"),
        # message:mark_as_read
        (r"^/v2/bot/message/markAsRead$", "message:mark_as_read"),
        # message:templated_pnp
        (r"^/v2/bot/message/pnp/templated/push$", "message:templated_pnp"),
        (r"^/v2/bot/message/delivery/pnp/templated$", "message:templated_pnp"),
        # profile:read
        (r"^/v2/bot/profile/[^/]+$", "profile:read"),
        (r"^/v2/bot/group/[^/]+/summary$", "profile:read"),
        (r"^/v2/bot/(group|room)/[^/]+/member/[^/]+$", "profile:read"),
        (r"^/v2/bot/(group|room)/[^/]+/members/count$", "profile:read"),
        # coupon:manage
        (r"^/v2/bot/coupon(/[^/]+(/close)?)?$", "coupon:manage"),
        # message:receive: chat control
        (r"^/v2/bot/chat/[^/]+/control/(acquire|release)$", "message:receive"),
    )
)


def required_scope(path: str) -> str | None:
    """The scope LINE's "Attach module channel" names for ``path``, or None."""
    for pattern, scope in SCOPE_TABLE:
        if pattern.match(path):
            return scope
    return None


class ModuleEndpoints(Endpoints):
    """Module attach (LINE Official Account Manager), channel tokens, detach and the Messaging API."""

    routes = (
        ("GET", "/module/auth/v1/authorize", "authorize"),
        ("POST", "/module/auth/v1/token", "attach"),
        ("POST", "/oauth2/v3/token", "channel_token"),
        ("POST", "/v2/bot/channel/detach", "detach"),
        ("POST", "/v2/bot/chat/<chat_id>/control/acquire", "acquire_chat_control"),
        ("POST", "/v2/bot/chat/<chat_id>/control/release", "release_chat_control"),
        ("GET", "/v2/bot/<path:rest>", "messaging_api"),
        ("POST", "/v2/bot/<path:rest>", "messaging_api"),
        ("PUT", "/v2/bot/<path:rest>", "messaging_api"),
        ("DELETE", "/v2/bot/<path:rest>", "messaging_api"),
    )

    def __init__(self, data: PlatformData, consent: ConsentScreen) -> None:
        super().__init__(data)
        self.consent = consent
        self.messaging = MessagingApi(data)

    def _module_client(self, *, login_channels: bool = False) -> str | None:
        """The channel authenticated by HTTP Basic or by client_id/client_secret in the body (reference §3.3)."""
        auth = request.authorization
        client_id = auth.username if auth else request.form.get("client_id", "")
        secret = auth.password if auth else request.form.get("client_secret", "")
        known: str | None = self.data.module_channels.get(client_id or "")
        if known is None and login_channels and client_id in self.data.channels:
            known = self.data.channels[client_id].secret  # a LINE Login channel's token, for deauthorize
        if known is None and login_channels:
            known = self.data.messaging.secret_of(client_id or "")  # a Messaging API channel's token
        return client_id if known is not None and secrets.compare_digest(known, secret or "") else None

    def _channel_of_bearer(self) -> str | None:
        with self.data.lock:
            issued = self.data.channel_tokens.get(bearer_token())
        return issued[0] if issued and issued[1] > time.time() else None

    def authorize(self) -> Any:
        params = {
            "scopes": tuple(request.args.get("scope", "").split()),
            "code_challenge": request.args.get("code_challenge"),
            "extra": {
                key: request.args[key] for key in ("region", "basic_search_id", "brand_type") if key in request.args
            },
        }
        pending = self.consent.authorization("module", params)
        error = _attach_request_error(request.args)
        if error:
            return self.consent.respond(pending, {"error": error[0], "error_description": error[1]})
        return self.consent.begin("module", params)

    def attach(self) -> Any:
        client_id = self._module_client()
        if client_id is None:
            return oauth_error("invalid_client", "invalid client_id or client_secret", 400)
        grant = self.consent.redeem(request.form, "module", client_id)
        if not isinstance(grant, Grant):
            return oauth_error("invalid_grant", grant)
        for key, value in grant.extra.items():
            if request.form.get(key) != value:
                return oauth_error("invalid_request", f"{key} differs from the authorization request")
        with self.data.lock:
            self.data.attachments[(client_id, grant.user_id)] = frozenset(grant.scopes)
        event = {"type": "module", "module": {"type": "attached", "botId": grant.user_id, "scopes": list(grant.scopes)}}
        self.send_webhook(client_id, grant.user_id, event)
        return jsonify(bot_id=grant.user_id, scopes=list(grant.scopes))

    def channel_token(self) -> Any:
        client_id = self._module_client(login_channels=True)
        if client_id is None:
            return oauth_error("invalid_client", "invalid client_id or client_secret")
        if request.form.get("grant_type") != "client_credentials":
            return oauth_error("unsupported_grant_type", "grant_type must be client_credentials")
        token = secrets.token_urlsafe(24)
        with self.data.lock:
            self.data.channel_tokens[token] = (client_id, time.time() + MODULE_TOKEN_TTL)
        return jsonify(token_type="Bearer", access_token=token, expires_in=MODULE_TOKEN_TTL)

    def detach(self) -> Any:
        channel = self._channel_of_bearer()
        if channel is None:
            return jsonify(message="Authentication failed"), 401
        bot_id = str((request.get_json(silent=True) or {}).get("botId"))
        with self.data.lock:
            granted = self.data.attachments.pop((channel, bot_id), None)
        if granted is None:
            return jsonify(message="user/group/room Id is not available."), 400
        event = {"type": "module", "module": {"type": "detached", "botId": bot_id, "reason": "bot_deleted"}}
        self.send_webhook(channel, bot_id, event, granted=granted)
        return jsonify({})

    def _caller(self, path: str) -> tuple[str, str]:
        """``(channel, bot id)`` of an authorised Messaging API call to ``path``; otherwise LINE's error answer."""
        channel = self._channel_of_bearer()
        if channel is None:
            _refuse(401, "Authentication failed. Confirm that the access token is valid.")
        bot_id = request.headers.get(self.data.bot_id_header, "")
        granted = self.data.attachments.get((str(channel), bot_id))
        if granted is None:
            _refuse(403, "The module is not attached to this bot.")
        scope = required_scope(path)
        if scope is not None and scope not in granted:
            _refuse(403, f"This call needs the {scope} scope.")
        return str(channel), bot_id

    def acquire_chat_control(self, chat_id: str) -> Any:
        """Reference §3.7: 400 for a bad chat id or ttl, 404 for a chat the bot is not in, 423 if just taken."""
        channel, bot_id = self._caller(f"/v2/bot/chat/{chat_id}/control/acquire")
        body = request.get_json(silent=True) or {}
        ttl = body.get("ttl", 3600)
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= 31_536_000:
            return jsonify(message="The value for the 'ttl' property is invalid."), 400
        refusal = self._chat_refusal(bot_id, chat_id)
        if refusal is not None:
            return refusal
        now = time.time()
        with self.data.lock:
            holder = self.data.chat_controls.get((bot_id, chat_id))
            if holder is not None and holder[0] != channel and now - holder[1] < CHAT_CONTROL_LOCK_SECONDS:
                return jsonify(message="Another channel acquired chat control moments ago."), 423
            self.data.chat_controls[(bot_id, chat_id)] = (channel, now)
        if holder is not None and holder[0] != channel:
            # The channel that held the chat is switched to Standby: it is told so (webhook "Deactivated event").
            self.send_webhook(holder[0], bot_id, {"type": "deactivated", "source": _source(chat_id)})
        # webhook OpenAPI: ``chatControl.expireAt`` is a required integer (milliseconds), so an acquire with
        # ``expired: false`` (no expiry) still names one: the end of its ttl (docs/testing.rst).
        event = {"type": "activated", "source": _source(chat_id), "chatControl": {"expireAt": int((now + ttl) * 1000)}}
        self.send_webhook(channel, bot_id, event)
        return jsonify({})

    def release_chat_control(self, chat_id: str) -> Any:
        channel, bot_id = self._caller(f"/v2/bot/chat/{chat_id}/control/release")
        refusal = self._chat_refusal(bot_id, chat_id)
        if refusal is not None:
            return refusal
        with self.data.lock:
            self.data.chat_controls.pop((bot_id, chat_id), None)
        self.send_webhook(channel, bot_id, {"type": "deactivated", "source": _source(chat_id)})
        return jsonify({})

    def _bot_list(self, channel: str) -> Any:
        """Reference 3.6: the bots this module channel is attached to, ``limit`` (1-100) at a time."""
        start, limit = request.args.get("start"), request.args.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 100:
            return jsonify(message="Invalid limit param"), 400
        if start is not None and not start.isdigit():
            return jsonify(message="Invalid start param"), 400
        with self.data.lock:
            attached = sorted(bot for (owner, bot) in self.data.attachments if owner == channel)
        bots = [
            {
                "userId": bot_id,
                "basicId": self.data.bots[bot_id].basic_id,
                "displayName": self.data.bots[bot_id].display_name,
                "pictureUrl": picture_url(bot_id),
            }
            for bot_id in attached
            if bot_id in self.data.bots
        ]
        page, following = _page(bots, start, int(limit))
        return jsonify(bots=page, **({"next": following} if following else {}))

    def send_webhook(
        self, channel_id: str, bot_id: str, event: dict[str, Any], granted: frozenset[str] | None = None
    ) -> None:
        """POST one module event to the channel's webhook URL, signed as LINE signs it, from another thread.

        Only an account that granted ``message:receive`` sends webhooks (the scope table of "Attach module channel");
        ``granted`` is its scopes when the attachment is already gone (a detach).
        """
        url = self.data.webhook_urls.get(channel_id)
        scopes = granted if granted is not None else self.data.attachments.get((channel_id, bot_id), frozenset())
        if url is None or "message:receive" not in scopes:
            return
        now = int(time.time() * 1000)
        full_event = {
            **event,
            "mode": "active",
            "timestamp": now,
            "webhookEventId": secrets.token_hex(13).upper(),
            "deliveryContext": {"isRedelivery": False},
        }
        body = json.dumps({"destination": bot_id, "events": [full_event]}).encode()
        secret = self.data.module_channels[channel_id]
        signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
        headers = {"Content-Type": "application/json", "X-Line-Signature": signature}

        def deliver() -> None:
            try:
                status = str(requests.post(url, data=body, headers=headers, timeout=10).status_code)
            except requests.RequestException as error:
                status = type(error).__name__
            with self.data.lock:
                self.data.webhook_deliveries.append((url, str(event["type"]), status))

        threading.Thread(target=deliver, name="line-emulator-webhook", daemon=True).start()

    def _chat_refusal(self, bot_id: str, chat_id: str) -> tuple[Any, int] | None:
        """Reference 3.7: 400 for a malformed chat id, 404 for a user who is not a friend of the account."""
        if not CHAT_ID.match(chat_id) and not MODULE_USER_ID.match(chat_id):
            return jsonify(message="The value for the 'chatId' parameter is invalid."), 400
        user_id = chat_id[-33:] if chat_id.startswith("L") else chat_id
        if user_id.startswith("U") and not self.data.is_friend(user_id, bot_id):
            return jsonify(message="Not found: the user is not a friend of this LINE Official Account."), 404
        return None

    def messaging_api(self, rest: str) -> Any:
        path = f"/v2/bot/{rest}"
        if path == "/v2/bot/list":  # channel-level: no bot id header
            channel_of_token = self._channel_of_bearer()
            if channel_of_token is None:
                _refuse(401, "Authentication failed. Confirm that the access token is valid.")
            return self._bot_list(str(channel_of_token))
        channel, bot_id = self._caller(path)
        body = request.get_json(silent=True)
        if _sends_coupon(path, body) and "coupon:manage" not in self.data.attachments.get((channel, bot_id), ()):
            _refuse(403, "Coupon messages need the coupon:manage scope.")
        with self.data.lock:
            self.data.messages.append((bot_id, path, body))
        return self.messaging.answer(request.method, path, bot_id, body)


def _page(items: list[Any], start: str | None, limit: int) -> tuple[list[Any], str | None]:
    """One page of ``items`` from the continuation token ``start`` (an index here); the next token or None."""
    first = int(start) if start else 0
    return items[first : first + limit], str(first + limit) if first + limit < len(items) else None


def _sends_coupon(path: str, body: object) -> bool:
    """Whether a message-sending call carries a coupon message (which needs ``coupon:manage``)."""
    if not path.startswith("/v2/bot/message/") or not isinstance(body, dict):
        return False
    messages = body.get("messages")
    return isinstance(messages, list) and any(isinstance(m, dict) and m.get("type") == "coupon" for m in messages)


def _refuse(status: int, message: str) -> NoReturn:
    """Answer with LINE's Messaging API error shape."""
    response = jsonify(message=message)
    response.status_code = status
    abort(response)


#: Seed 003's scopes, regions and brand types: what the attach URL may name.
MODULE_SCOPES = frozenset(scope for _, scope in SCOPE_TABLE if scope) | {"crm:manage"}
REGIONS = ("JP", "TW")
BRAND_TYPES = frozenset({"premium", "verified", "unverified"})


def _attach_request_error(args: Any) -> tuple[str, str] | None:
    """Why LINE Official Account Manager would refuse this attach request (LINE's "Attach module channel"), or None."""
    if args.get("response_type") != "code":
        return ("unsupported_response_type", "response_type must be code")
    if not args.get("state"):
        return ("invalid_request", "state is required")
    scopes = args.get("scope", "").split()
    if not scopes or not set(scopes) <= MODULE_SCOPES:
        return ("invalid_scope", "scope must name module scopes")
    if "region" in args and args["region"] not in REGIONS:
        return ("invalid_request", "region must be JP or TW")
    if "brand_type" in args and not set(args["brand_type"].split()) <= BRAND_TYPES:
        return ("invalid_request", "brand_type must be premium, verified or unverified")
    if args.get("code_challenge") and args.get("code_challenge_method") != "S256":
        return ("invalid_request", "code_challenge_method must be S256")
    return None


def _source(chat_id: str) -> dict[str, str]:
    """A webhook event's ``source`` for a user, group or room id."""
    if chat_id.startswith("C"):
        return {"type": "group", "groupId": chat_id}
    if chat_id.startswith("R"):
        return {"type": "room", "roomId": chat_id}
    return {"type": "user", "userId": chat_id}
