"""The module channel's webhook: keeps the store true when an admin detaches in LINE Official Account Manager.

Anyone can post here, so nothing is trusted before the signature verifies, and no body can make it fail:
a bad signature is a 403 with nothing touched, a signed body that is not LINE's shape is a 400 and a log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

from ..errors import CallbackError, WebhookSignatureError
from .service import ModuleService

log = logging.getLogger("flask_line")

#: Largest webhook body read; LINE's module events are a few hundred bytes each.
MAX_BODY_BYTES = 1024 * 1024


def verify_signature(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is LINE's ``X-Line-Signature`` for ``body``: base64(HMAC-SHA256(secret, body))."""
    if not signature or not signature.isascii():
        return False
    expected = base64.b64encode(hmac.new(channel_secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode("ascii"))


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """The ``events`` of a verified delivery; :class:`CallbackError` when the body is not LINE's shape."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise CallbackError("The webhook body is not JSON.") from None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise CallbackError("The webhook body has no list of event objects.")
    return events


def handle_webhook(service: ModuleService, body: bytes, signature: str | None) -> int:
    """Verify and apply one delivery; return how many attachments it removed."""
    if len(body) > MAX_BODY_BYTES:
        log.warning("Module webhook body of %d bytes refused (limit %d)", len(body), MAX_BODY_BYTES)
        raise CallbackError("The webhook body is too large.")
    if not verify_signature(service.settings.channel_secret, body, signature):
        log.warning("Module webhook with a bad X-Line-Signature refused")
        raise WebhookSignatureError("The webhook signature does not verify.")
    try:
        events = parse_events(body)
    except CallbackError as error:
        log.warning("Signed module webhook refused: %s", error.message)
        raise
    removed = 0
    for event in events:
        module = event.get("module")
        if event.get("type") == "module" and isinstance(module, dict) and module.get("type") == "detached":
            bot_id = module.get("botId")
            if isinstance(bot_id, str) and service.store.get(bot_id) is not None:
                service.forget(bot_id)
                removed += 1
    return removed
