"""The emulated Messaging API endpoints: push, multicast, link tokens, and LINE's account-link dialog with its
``accountLink`` event (Messaging API reference; "User account linking")."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request

from .endpoints import Endpoints, bearer_token
from .official_accounts import (
    MESSAGES_PER_REQUEST,
    MULTICAST_LIMIT,
    USER_ID,
    MessagingAccounts,
    Pushed,
    event,
)


class MessagingEndpoints(Endpoints):
    """Push, multicast and link tokens for Messaging API channels, and LINE's account-link dialog.

    Calls whose token is not a Messaging API channel's (a module's) go on to ``others`` unchanged.
    """

    routes = (
        ("POST", "/v2/bot/message/push", "push"),
        ("POST", "/v2/bot/message/multicast", "multicast"),
        ("POST", "/v2/bot/user/<user_id>/linkToken", "link_token"),
        ("GET", "/dialog/bot/accountLink", "account_link_dialog"),
    )

    def __init__(self, data: Any, accounts: MessagingAccounts, others: Callable[[str], Any]) -> None:
        super().__init__(data)
        self.accounts = accounts
        self._others = others

    def _channel(self) -> str | None:
        """The Messaging API channel of the request's channel access token, or None."""
        with self.data.lock:
            issued = self.data.channel_tokens.get(bearer_token())
        if issued is None or issued[1] <= time.time() or issued[0] not in self.accounts.accounts:
            return None
        return str(issued[0])

    def push(self) -> Any:
        channel = self._channel()
        if channel is None:
            return self._others("message/push")
        body = request.get_json(silent=True)
        messages = _messages(body)
        if isinstance(messages, Response):
            return messages
        to = body.get("to") if isinstance(body, dict) else None
        if not isinstance(to, str) or not USER_ID.fullmatch(to):
            message = "The property, 'to', in the request body is invalid (line: -, column: -)"
            return jsonify(message=message, details=[{"message": "Invalid ID", "property": "to"}]), 400
        retry = self._retried(channel)
        if retry is not None:
            return retry
        if to not in self.accounts.account(channel).friends:
            # LINE does not deliver to a user who has not added the account or blocked it.
            return jsonify(message="Failed to send messages"), 400
        with self.accounts.lock:
            self.accounts.sent.extend(Pushed(channel, to, "push", message) for message in messages)
        return jsonify(sentMessages=[{"id": str(secrets.randbelow(10**18)), "quoteToken": "q"} for _ in messages])

    def multicast(self) -> Any:
        channel = self._channel()
        if channel is None:
            return self._others("message/multicast")
        body = request.get_json(silent=True)
        messages = _messages(body)
        if isinstance(messages, Response):
            return messages
        to = body.get("to") if isinstance(body, dict) else None
        if not isinstance(to, list) or not 1 <= len(to) <= MULTICAST_LIMIT:
            return jsonify(message=f"Size must be between 1 and {MULTICAST_LIMIT}", details=[{"property": "to"}]), 400
        if not all(isinstance(user, str) and USER_ID.fullmatch(user) for user in to):
            return jsonify(message="The property, 'to', in the request body is invalid"), 400
        friends = self.accounts.account(channel).friends
        with self.accounts.lock:  # non-friends receive nothing, and LINE does not say who they were
            for user in to:
                if user in friends:
                    self.accounts.sent.extend(Pushed(channel, user, "multicast", message) for message in messages)
        return jsonify({})

    def link_token(self, user_id: str) -> Any:
        channel = self._channel()
        if channel is None:
            return self._others(f"user/{user_id}/linkToken")
        if not USER_ID.fullmatch(user_id):
            return jsonify(message="The value for the 'userId' parameter is invalid"), 400
        return jsonify(linkToken=self.accounts.issue_link_token(channel, user_id))

    def account_link_dialog(self) -> Any:
        """LINE's account-link screen: checks the link token, then reports the result to the bot's webhook."""
        nonce = request.args.get("nonce", "")
        record = self.accounts.use_link_token(request.args.get("linkToken", ""))
        if record is None or not nonce:
            return Response("This link has expired or was already used.", status=400, mimetype="text/plain")
        link = {"result": "ok", "nonce": nonce}
        self.accounts.deliver(record.channel_id, event("accountLink", record.user_id, link=link))
        return Response("Your accounts are linked. You can close this screen.", mimetype="text/plain")

    def _retried(self, channel: str) -> Any:
        """LINE's 409 to an ``X-Line-Retry-Key`` it already accepted (with the first request's id)."""
        key = request.headers.get("X-Line-Retry-Key")
        if key is None:
            return None
        with self.accounts.lock:
            accepted = self.accounts.retry_keys.get(f"{channel}:{key}")
            if accepted is None:
                self.accounts.retry_keys[f"{channel}:{key}"] = secrets.token_hex(16)
                return None
        response = jsonify(message="The retry key is already accepted")
        response.headers["x-line-accepted-request-id"] = accepted
        return response, 409


def _messages(body: object) -> list[dict[str, Any]] | Response:
    """The request's 1 to 5 message objects, or LINE's 400."""
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not 1 <= len(messages) <= MESSAGES_PER_REQUEST:
        response = jsonify(
            message=f"Size must be between 1 and {MESSAGES_PER_REQUEST}", details=[{"property": "messages"}]
        )
        response.status_code = 400
        return response
    if not all(isinstance(message, dict) and isinstance(message.get("type"), str) for message in messages):
        response = jsonify(message="A message object is invalid", details=[{"property": "messages"}])
        response.status_code = 400
        return response
    return messages
