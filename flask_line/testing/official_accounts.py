"""What the emulated Messaging API channels remember: their Official Accounts, friends, what they sent, link
tokens, and the webhook deliveries they made (signed as LINE signs them).

Written from LINE's Messaging API reference and "User account linking", apart from flask-line's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from ..demo import DEMO_MESSAGING_CHANNEL_ID, DEMO_PROVIDER

#: The demo Messaging API channel's Official Account.
DEMO_BOT_ID = "Ud0b0a1b2c3d4e5f60718293a4b5c6d7e"
#: Messaging API reference: 1 to 5 messages per push or multicast, at most 500 users per multicast.
MESSAGES_PER_REQUEST = 5
MULTICAST_LIMIT = 500
#: "Issue link token": a link token is valid for 10 minutes and can be used once.
LINK_TOKEN_TTL = 600
USER_ID = re.compile(r"U[0-9a-f]{32}")


@dataclass
class OfficialAccount:
    """A Messaging API channel and its LINE Official Account."""

    channel_id: str
    secret: str
    bot_id: str
    provider: str
    #: LINE user ids who added the account as a friend and have not blocked it.
    friends: set[str] = field(default_factory=set)
    #: The LINE Login channels linked to this account (their ``bot_prompt`` offers it).
    login_channels: set[str] = field(default_factory=set)
    webhook_url: str | None = None


@dataclass(frozen=True)
class Pushed:
    """One message the account sent: to whom, how (``push`` or ``multicast``), and the message object."""

    channel_id: str
    to: str
    how: str
    message: dict[str, Any]


@dataclass
class _LinkToken:
    channel_id: str
    user_id: str
    expires_at: float
    used: bool = False


class MessagingAccounts:
    """The Official Accounts of Messaging API channels, what they sent, and what they delivered to webhooks."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.accounts: dict[str, OfficialAccount] = {}
        #: Every message sent by push or multicast, oldest first.
        self.sent: list[Pushed] = []
        #: Every webhook delivery: ``(channel id, body, HTTP status or error name)``.
        self.deliveries: list[tuple[str, bytes, str]] = []
        self.link_tokens: dict[str, _LinkToken] = {}
        #: Accepted ``X-Line-Retry-Key`` values and their request ids.
        self.retry_keys: dict[str, str] = {}

    # Setup -----------------------------------------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        secret: str,
        *,
        provider: str = DEMO_PROVIDER,
        bot_id: str | None = None,
        login_channels: tuple[str, ...] = (),
        webhook_url: str | None = None,
    ) -> OfficialAccount:
        """Accept a Messaging API channel; ``login_channels`` are the LINE Login channels linked to its account."""
        account = OfficialAccount(
            channel_id,
            secret,
            bot_id or "U" + secrets.token_hex(16),
            provider,
            login_channels=set(login_channels),
            webhook_url=webhook_url,
        )
        with self.lock:
            self.accounts[channel_id] = account
        return account

    def secret_of(self, channel_id: str) -> str | None:
        """The channel secret of a Messaging API channel (its token requests authenticate with it)."""
        account = self.accounts.get(channel_id)
        return account.secret if account is not None else None

    def account(self, channel_id: str = DEMO_MESSAGING_CHANNEL_ID) -> OfficialAccount:
        """The Official Account of ``channel_id``."""
        return self.accounts[channel_id]

    # What people do in LINE ------------------------------------------------------------------------------------

    def befriend(self, user_id: str, channel_id: str = DEMO_MESSAGING_CHANNEL_ID) -> str | None:
        """``user_id`` adds the account as a friend (or unblocks it): a ``follow`` event; the delivery's status."""
        account = self.account(channel_id)
        with self.lock:
            unblocked = user_id in account.friends
            account.friends.add(user_id)
        return self.deliver(channel_id, event("follow", user_id, follow={"isUnblocked": unblocked}))

    def block(self, user_id: str, channel_id: str = DEMO_MESSAGING_CHANNEL_ID) -> str | None:
        """``user_id`` blocks the account: an ``unfollow`` event."""
        with self.lock:
            self.account(channel_id).friends.discard(user_id)
        return self.deliver(channel_id, event("unfollow", user_id))

    def say(self, user_id: str, text: str, channel_id: str = DEMO_MESSAGING_CHANNEL_ID) -> str | None:
        """``user_id`` sends the account a text message: a ``message`` event."""
        message = {"id": str(secrets.randbelow(10**18)), "type": "text", "text": text, "quoteToken": "q"}
        return self.deliver(channel_id, event("message", user_id, message=message, replyToken=secrets.token_hex(16)))

    def tap_postback(self, user_id: str, data: str, channel_id: str = DEMO_MESSAGING_CHANNEL_ID) -> str | None:
        """``user_id`` taps a postback action: a ``postback`` event."""
        return self.deliver(channel_id, event("postback", user_id, postback={"data": data}))

    def befriend_through_login(self, login_channel_id: str, user_id: str) -> None:
        """The consent screen's "add friend" option: the accounts linked to that LINE Login channel gain a friend."""
        for account in list(self.accounts.values()):
            if login_channel_id in account.login_channels and user_id not in account.friends:
                self.befriend(user_id, account.channel_id)

    def is_friend_through_login(self, login_channel_id: str, user_id: str) -> bool | None:
        """Whether ``user_id`` is a friend of the account linked to the LINE Login channel (None: none is linked)."""
        linked = [account for account in self.accounts.values() if login_channel_id in account.login_channels]
        return any(user_id in account.friends for account in linked) if linked else None

    def messages_to(self, user_id: str, channel_id: str = DEMO_MESSAGING_CHANNEL_ID) -> list[dict[str, Any]]:
        """The message objects the account sent ``user_id``, oldest first."""
        with self.lock:
            return [sent.message for sent in self.sent if sent.to == user_id and sent.channel_id == channel_id]

    # Webhook deliveries ----------------------------------------------------------------------------------------

    def deliver(self, channel_id: str, event: dict[str, Any], *, redelivery: bool = False) -> str | None:
        """POST one event to the channel's webhook URL, signed with its secret; the HTTP status (None: no URL)."""
        account = self.account(channel_id)
        if account.webhook_url is None:
            return None
        event = {**event, "deliveryContext": {"isRedelivery": redelivery}}
        body = json.dumps({"destination": account.bot_id, "events": [event]}).encode()
        return self.post(channel_id, body)

    def redeliver_last(self, channel_id: str = DEMO_MESSAGING_CHANNEL_ID) -> str | None:
        """Deliver the channel's latest event again, as LINE's redelivery does (same ``webhookEventId``)."""
        with self.lock:
            body = next(body for channel, body, _ in reversed(self.deliveries) if channel == channel_id)
        payload = json.loads(body)
        for event in payload["events"]:
            event["deliveryContext"] = {"isRedelivery": True}
        return self.post(channel_id, json.dumps(payload).encode())

    def post(self, channel_id: str, body: bytes, *, signature: str | None = None) -> str:
        """POST ``body`` to the channel's webhook with LINE's ``X-Line-Signature`` (or the one given)."""
        account = self.account(channel_id)
        signed = signature if signature is not None else sign(account.secret, body)
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Line-Signature": signed}
        try:
            status = str(requests.post(str(account.webhook_url), data=body, headers=headers, timeout=10).status_code)
        except requests.RequestException as error:
            status = type(error).__name__
        with self.lock:
            self.deliveries.append((channel_id, body, status))
        return status

    # Link tokens ----------------------------------------------------------------------------------------------

    def issue_link_token(self, channel_id: str, user_id: str) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.link_tokens[token] = _LinkToken(channel_id, user_id, time.time() + LINK_TOKEN_TTL)
        return token

    def use_link_token(self, token: str) -> _LinkToken | None:
        """The link token's record, now used; None when unknown, used or expired."""
        with self.lock:
            record = self.link_tokens.get(token)
            if record is None or record.used or record.expires_at < time.time():
                return None
            record.used = True
            return record


def sign(secret: str, body: bytes) -> str:
    """LINE's webhook signature: base64 of the HMAC-SHA256 of the body with the channel secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def event(kind: str, user_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": "01" + secrets.token_hex(12).upper(),
        **fields,
    }
