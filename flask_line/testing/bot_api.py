"""The Messaging API operations the emulator emulates, each answering with the status and the shape LINE's
messaging-api OpenAPI document (github line/line-openapi) gives it; any other path under ``/v2/bot/`` is a 501
that names itself, never an empty ``{}`` a correct app would misread."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, jsonify

from .data import PlatformData
from .endpoints import picture_url

#: A user, group or room id: U, C or R and 32 hex digits.
CHAT_ID = re.compile(r"^[UCR][0-9a-f]{32}$")
#: The user ids a module channel receives: 68 characters starting with ``L``, one per Official Account (the
#: Messaging API documents them as ``L<bot user id>-<user id>``-like strings that differ per account).
MODULE_USER_ID = re.compile(r"^L[0-9A-Za-z_-]{67}$")
#: What the emulated Official Accounts may send a month (messaging-api ``MessageQuotaResponse``: ``limited``).
MONTHLY_QUOTA = 200


@dataclass(frozen=True)
class MessagingCall:
    """One Messaging API request an attached module made for ``bot_id``."""

    bot_id: str
    path: str
    body: Any
    #: The groups of the operation's path pattern (a user id, for example).
    params: tuple[str, ...]

    @property
    def fields(self) -> dict[str, Any]:
        """The JSON body when it is an object, else nothing."""
        return self.body if isinstance(self.body, dict) else {}


Answer = tuple[Response, int]


def _body_error(prop: str, problem: str) -> Answer:
    """LINE's 400 for one invalid property of the request body."""
    details = [{"message": problem, "property": prop}]
    return jsonify(message="The request body has 1 error(s)", details=details), 400


def _messages_error(messages: object) -> Answer | None:
    """A 400 for ``messages`` missing, empty or longer than five (``minItems: 1``, ``maxItems: 5``), else None."""
    if isinstance(messages, list) and 1 <= len(messages) <= 5:
        return None
    return _body_error("messages", "must be specified" if messages is None else "Size must be between 1 and 5")


class MessagingApi:
    """The emulated operations, looked up by method and path; the monthly usage each Official Account has used."""

    def __init__(self, data: PlatformData) -> None:
        self.data = data
        self._lock = threading.Lock()
        #: Messages counted against each Official Account's quota (one per recipient, as LINE counts them).
        self._usage: dict[str, int] = {}
        self.operations: tuple[tuple[str, re.Pattern[str], Callable[[MessagingCall], Answer]], ...] = tuple(
            (method, re.compile(pattern), handler)
            for method, pattern, handler in (
                ("POST", r"^/v2/bot/message/push$", self.push),
                ("POST", r"^/v2/bot/message/reply$", self.reply),
                ("POST", r"^/v2/bot/message/multicast$", self.multicast),
                ("POST", r"^/v2/bot/message/broadcast$", self.broadcast),
                ("POST", r"^/v2/bot/message/narrowcast$", self.narrowcast),
                ("POST", r"^/v2/bot/message/validate/(push|reply|multicast|broadcast|narrowcast)$", self.validate),
                ("GET", r"^/v2/bot/message/quota$", self.quota),
                ("GET", r"^/v2/bot/message/quota/consumption$", self.consumption),
                ("POST", r"^/v2/bot/message/markAsRead$", self.mark_as_read),
                ("POST", r"^/v2/bot/chat/loading/start$", self.loading),
                ("POST", r"^/v2/bot/user/([^/]+)/linkToken$", self.link_token),
                ("GET", r"^/v2/bot/profile/([^/]+)$", self.profile),
                ("GET", r"^/v2/bot/info$", self.info),
            )
        )

    def answer(self, method: str, path: str, bot_id: str, body: Any) -> Answer:
        """The emulated operation's answer, or a 501 for one the emulator does not emulate."""
        for operation_method, pattern, handler in self.operations:
            found = pattern.match(path)
            if found and operation_method == method:
                return handler(MessagingCall(bot_id, path, body, found.groups()))
        message = (
            f"The LINE emulator does not emulate {method} {path}: test this call against LINE itself, or inject "
            f'the answer you expect with platform.inject("{method} {path}", status=..., body=...).'
        )
        return jsonify(message=message), 501

    def _count(self, bot_id: str, recipients: int) -> None:
        with self._lock:
            self._usage[bot_id] = self._usage.get(bot_id, 0) + recipients

    def _sent(self, messages: list[Any]) -> list[dict[str, str]]:
        """``sentMessages``: an id for each message, and a quote token for those that can be quoted."""
        sent = []
        for message in messages:
            entry = {"id": str(secrets.randbelow(10**18))}
            if isinstance(message, dict) and message.get("type") in ("text", "sticker"):
                entry["quoteToken"] = secrets.token_urlsafe(32)
            sent.append(entry)
        return sent

    # Sending --------------------------------------------------------------------------------------------------

    def push(self, call: MessagingCall) -> Answer:
        """``PushMessageResponse`` (``sentMessages``); 400 for a push to nobody, or of no or too many messages."""
        to, messages = call.fields.get("to"), call.fields.get("messages")
        refusal = _messages_error(messages) or self._recipient_error(to)
        if refusal is not None:
            return refusal
        assert isinstance(messages, list)
        self._count(call.bot_id, 1)
        return jsonify(sentMessages=self._sent(messages)), 200

    def _recipient_error(self, to: object) -> Answer | None:
        """LINE's 400 for an id that is not a user, group or room id, nor the ``L...`` user id module channels
        receive; or a user id nobody has."""
        if isinstance(to, str) and MODULE_USER_ID.match(to):
            return None
        if not isinstance(to, str) or not CHAT_ID.match(to):
            details = [{"message": "Invalid ID", "property": "to"}]
            message = "The property, 'to', in the request body is invalid (line: -, column: -)"
            return jsonify(message=message, details=details), 400
        if to.startswith("U") and to not in self.data.users:
            return jsonify(message="Failed to send messages"), 400
        return None

    def reply(self, call: MessagingCall) -> Answer:
        """``ReplyMessageResponse``; 400 without a reply token (replies are free: no quota used)."""
        token, messages = call.fields.get("replyToken"), call.fields.get("messages")
        if not isinstance(token, str) or not token:
            return _body_error("replyToken", "must be specified")
        refusal = _messages_error(messages)
        if refusal is not None:
            return refusal
        assert isinstance(messages, list)
        return jsonify(sentMessages=self._sent(messages)), 200

    def multicast(self, call: MessagingCall) -> Answer:
        """200 and an empty object; ``to`` is one to 500 user ids."""
        to = call.fields.get("to")
        if not isinstance(to, list) or not 1 <= len(to) <= 500:
            return _body_error("to", "Size must be between 1 and 500")
        refusal = _messages_error(call.fields.get("messages"))
        if refusal is not None:
            return refusal
        self._count(call.bot_id, len(to))
        return jsonify({}), 200

    def broadcast(self, call: MessagingCall) -> Answer:
        """200 and an empty object; each friend of the account is a recipient."""
        refusal = _messages_error(call.fields.get("messages"))
        if refusal is not None:
            return refusal
        friends = sum(1 for user_id in self.data.users if self.data.is_friend(user_id, call.bot_id))
        self._count(call.bot_id, friends)
        return jsonify({}), 200

    def narrowcast(self, call: MessagingCall) -> Answer:
        """202 Accepted and an empty object: LINE sends a narrowcast later (its progress is another call)."""
        refusal = _messages_error(call.fields.get("messages"))
        if refusal is not None:
            return refusal
        return jsonify({}), 202

    def validate(self, call: MessagingCall) -> Answer:
        """200 and an empty object for messages LINE would accept."""
        return _messages_error(call.fields.get("messages")) or (jsonify({}), 200)

    def mark_as_read(self, call: MessagingCall) -> Answer:
        """200 and an empty object; ``chat.userId`` names the user."""
        chat = call.fields.get("chat")
        if not isinstance(chat, dict) or not isinstance(chat.get("userId"), str):
            return _body_error("chat.userId", "must be specified")
        return jsonify({}), 200

    def loading(self, call: MessagingCall) -> Answer:
        """202 Accepted and an empty object; ``chatId`` is a user id, ``loadingSeconds`` 5 to 60 in steps of 5."""
        chat_id, seconds = call.fields.get("chatId"), call.fields.get("loadingSeconds", 20)
        if not isinstance(chat_id, str) or not (chat_id.startswith("U") and CHAT_ID.match(chat_id)):
            return _body_error("chatId", "Invalid ID")
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds not in range(5, 61, 5):
            return _body_error("loadingSeconds", "must be 5, 10, ... or 60")
        return jsonify({}), 202

    # Reading --------------------------------------------------------------------------------------------------

    def quota(self, call: MessagingCall) -> Answer:
        """``MessageQuotaResponse``: a limited plan of :data:`MONTHLY_QUOTA` messages."""
        return jsonify(type="limited", value=MONTHLY_QUOTA), 200

    def consumption(self, call: MessagingCall) -> Answer:
        """``QuotaConsumptionResponse``: the messages sent this month (one per recipient; replies are free)."""
        with self._lock:
            used = self._usage.get(call.bot_id, 0)
        return jsonify(totalUsage=used), 200

    def link_token(self, call: MessagingCall) -> Answer:
        """``IssueLinkTokenResponse``: a link token for the user (account linking)."""
        return jsonify(linkToken=secrets.token_urlsafe(24)), 200

    def profile(self, call: MessagingCall) -> Answer:
        """``UserProfileResponse`` of a friend of the account; 404 for anyone else."""
        user = self.data.users.get(call.params[0])
        if user is None or not self.data.is_friend(user.user_id, call.bot_id):
            return jsonify(message="Not found"), 404
        body: dict[str, Any] = {"displayName": user.display_name, "userId": user.user_id}
        if user.has_picture:
            body["pictureUrl"] = picture_url(user.user_id, user.picture_url)
        if user.status_message:
            body["statusMessage"] = user.status_message
        return jsonify(body), 200

    def info(self, call: MessagingCall) -> Answer:
        """``BotInfoResponse``: who the Official Account is, as its admins see it."""
        bot = self.data.bots.get(call.bot_id)
        if bot is None:
            return jsonify(message="Not found"), 404
        body = {
            "userId": bot.bot_id,
            "basicId": bot.basic_id,
            "displayName": bot.display_name,
            "pictureUrl": picture_url(bot.bot_id),
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
        return jsonify(body), 200
