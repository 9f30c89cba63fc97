"""The Messaging API channel's webhook: LINE's signature on the raw body, each event once, a signal per event.

Anyone can post here, so nothing is read before the signature verifies: a bad or missing signature is a 400 with
nothing done, a signed body that is not LINE's shape is a 400 and a log line. LINE redelivers an event it could
not deliver (same ``webhookEventId``): each worker remembers the latest ids and fires a redelivery's signal never.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections import OrderedDict
from typing import Any

from flask import current_app, request

from .. import signals
from .._log import log
from .._wire.untrusted_json import UntrustedJsonError, parse
from ..errors import CallbackError, InvalidWebhookSignature
from .account_link import REFUSALS, BotAccountLink

#: Largest webhook body read (LINE's deliveries carry a few events of a few hundred bytes each).
MAX_WEBHOOK_BYTES = 1024 * 1024

#: The events that fire a signal of their own (``accountLink`` also writes the link).
EVENT_SIGNALS = {
    "follow": signals.messaging_followed,
    "unfollow": signals.messaging_unfollowed,
    "message": signals.messaging_message,
    "postback": signals.messaging_postback,
}


def verify_signature(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is LINE's ``X-Line-Signature`` for ``body``: base64(HMAC-SHA256(secret, body))."""
    if not signature or not signature.isascii():
        return False
    expected = base64.b64encode(hmac.new(channel_secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode("ascii"))


class SeenEvents:
    """The latest ``webhookEventId`` values of this worker (at most ``size``), to handle each event once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: object) -> bool:
        """Whether ``event_id`` is new here (an event without an id always is)."""
        if not isinstance(event_id, str) or not event_id:
            return True
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            while len(self._ids) > self.size:
                self._ids.popitem(last=False)
        return True


class MessagingWebhook:
    """Verifies and dispatches the deliveries of one Messaging API channel, with that channel's secret only."""

    def __init__(self, channel_id: str, channel_secret: str, seen: SeenEvents, account_link: BotAccountLink) -> None:
        #: The channel whose deliveries these are: every signal names it (``channel_id``).
        self.channel_id = channel_id
        self._secret = channel_secret
        self.seen = seen
        self.account_link = account_link

    def handle_request(self) -> int:
        """Handle this request's delivery: at most the body cap is read (an oversized body is refused unread)."""
        length = request.content_length
        limit = MAX_WEBHOOK_BYTES + 1 if length is None or length > MAX_WEBHOOK_BYTES else length
        return self.handle(request.stream.read(limit), request.headers.get("X-Line-Signature"))

    def handle(self, body: bytes, signature: str | None) -> int:
        """Verify one delivery and handle its events; return how many were new."""
        if len(body) > MAX_WEBHOOK_BYTES:
            log.warning("Messaging webhook body of %d bytes refused (limit %d)", len(body), MAX_WEBHOOK_BYTES)
            raise CallbackError("The webhook body is too large.")
        if not verify_signature(self._secret, body, signature):
            log.warning("Messaging webhook of channel %s with a bad X-Line-Signature refused", self.channel_id)
            raise InvalidWebhookSignature("The webhook signature does not verify.")
        events = _events(body)
        handled = 0
        for event in events:
            if not self.seen.first_time(event.get("webhookEventId")):
                log.info("Messaging webhook event %s was already handled (a redelivery)", event.get("webhookEventId"))
                continue
            handled += 1
            self._dispatch(event)
        return handled

    def _dispatch(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        user_id = _user_id(event.get("source"))
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if kind == "accountLink":
            self._account_link(app, event, user_id)
            return
        signal = EVENT_SIGNALS.get(str(kind))
        if signal is None:
            return
        extra: dict[str, Any] = {}
        if kind == "message":
            extra["message"] = event.get("message") if isinstance(event.get("message"), dict) else {}
        elif kind == "postback":
            postback = event.get("postback")
            extra["data"] = str(postback.get("data", "")) if isinstance(postback, dict) else ""
        signal.send(app, event=event, user_id=user_id, channel_id=self.channel_id, **extra)

    def _account_link(self, app: Any, event: dict[str, Any], user_id: str | None) -> None:
        try:
            link = self.account_link.complete(user_id, event.get("link"))
        except REFUSALS as error:
            log.warning("Bot account link of LINE user %s refused: %s", user_id, error.message)
            signals.messaging_account_link.send(
                app, event=event, user_id=user_id, link=None, error=error, channel_id=self.channel_id
            )
            return
        signals.messaging_account_link.send(
            app, event=event, user_id=user_id, link=link, error=None, channel_id=self.channel_id
        )


def _events(body: bytes) -> list[dict[str, Any]]:
    try:
        payload = parse(body, max_bytes=MAX_WEBHOOK_BYTES)
    except UntrustedJsonError:
        log.warning("Signed messaging webhook refused: not JSON of LINE's shape")
        raise CallbackError("The webhook body is not JSON of LINE's shape (size, depth).") from None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        log.warning("Signed messaging webhook refused: no list of event objects")
        raise CallbackError("The webhook body has no list of event objects.")
    return events


def _user_id(source: object) -> str | None:
    user_id = source.get("userId") if isinstance(source, dict) else None
    return user_id if isinstance(user_id, str) and user_id else None
