"""The module channel's webhook: keeps the store true when an admin detaches in LINE Official Account Manager."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

from ..errors import CallbackError
from .service import ModuleService

log = logging.getLogger("flask_line")


def verify_signature(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is LINE's ``X-Line-Signature`` for ``body``: base64(HMAC-SHA256(secret, body))."""
    if not signature:
        return False
    expected = base64.b64encode(hmac.new(channel_secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


def handle_webhook(service: ModuleService, body: bytes, signature: str | None) -> int:
    """Verify and apply one delivery; return how many attachments it removed."""
    if not verify_signature(service.settings.channel_secret, body, signature):
        log.warning("Module webhook with a bad X-Line-Signature refused")
        raise CallbackError("The webhook signature does not verify.")
    try:
        events: list[dict[str, Any]] = json.loads(body).get("events") or []
    except (ValueError, AttributeError):
        raise CallbackError("The webhook body is not LINE's JSON.") from None
    removed = 0
    for event in events:
        module = event.get("module") if isinstance(event, dict) else None
        if event.get("type") == "module" and isinstance(module, dict) and module.get("type") == "detached":
            bot_id = module.get("botId")
            if isinstance(bot_id, str) and service.store.get(bot_id) is not None:
                service.forget(bot_id)
                removed += 1
    return removed
