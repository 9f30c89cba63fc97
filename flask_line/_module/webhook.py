"""The module channel's webhook: keeps the store in step with LINE's module events (reference §3.8).

Anyone can post here, so nothing is trusted before the signature verifies, and no body can make it fail:
a bad signature is a 403 with nothing touched, a signed body that is not LINE's shape is a 400 and a log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Protocol

from flask import current_app

from .. import signals
from .._log import log
from .._store.attachments import AttachmentStore, ModuleAttachment, utc_now
from .._wire.untrusted_json import UntrustedJsonError, parse
from ..errors import CallbackError, WebhookSignatureError
from .settings import ModuleSettings


class ModuleRecords(Protocol):
    """What a delivery changes: the module service (:class:`~flask_line.ModuleService`) hands it here."""

    settings: ModuleSettings
    store: AttachmentStore

    def first_delivery(self, event_id: object) -> bool: ...

    def record_suspension(
        self, bot_id: str, *, suspended: bool, at: datetime | None = None
    ) -> ModuleAttachment | None: ...

    def forget(self, bot_id: str) -> None: ...


def verify_signature(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """Whether ``signature`` is LINE's ``X-Line-Signature`` for ``body``: base64(HMAC-SHA256(secret, body))."""
    if not signature or not signature.isascii():
        return False
    expected = base64.b64encode(hmac.new(channel_secret.encode(), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.encode("ascii"))


def parse_delivery(body: bytes) -> tuple[str | None, list[dict[str, Any]]]:
    """The ``destination`` (the bot) and the ``events`` of a verified delivery; :class:`CallbackError` when the
    body is not LINE's shape (its size was bounded by ``LINE_MAX_BODY_SIZE`` when it was read)."""
    try:
        payload = parse(body, max_bytes=len(body))
    except UntrustedJsonError:
        raise CallbackError("The webhook body is not JSON of LINE's shape (size, depth).") from None
    events = payload.get("events") if isinstance(payload, dict) else None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        raise CallbackError("The webhook body has no list of event objects.")
    destination = payload.get("destination")
    return (destination if isinstance(destination, str) else None), events


def handle_webhook(service: ModuleRecords, body: bytes, signature: str | None) -> int:
    """Verify and apply one delivery (read to ``LINE_MAX_BODY_SIZE`` at most); return how many events changed
    the store."""
    if not verify_signature(service.settings.channel_secret, body, signature):
        log.warning("Module webhook with a bad X-Line-Signature refused")
        raise WebhookSignatureError("The webhook signature does not verify.")
    try:
        destination, events = parse_delivery(body)
    except CallbackError as error:
        log.warning("Signed module webhook refused: %s", error.message)
        raise
    return sum(1 for event in events if apply_event(service, destination, event))


def apply_event(service: ModuleRecords, destination: str | None, event: dict[str, Any]) -> bool:
    """Apply one event (reference §3.8); whether it changed the store. Unknown or odd events are skipped.

    Each event is applied once (LINE redelivers: ``webhookEventId``), and never against a newer state: an event
    older than the attachment or its last change (its ``timestamp``) changes nothing.
    """
    if not service.first_delivery(event.get("webhookEventId")):
        log.debug("Module webhook event %s already applied", event.get("webhookEventId"))
        return False
    kind = event.get("type")
    at = _event_time(event.get("timestamp"))
    if kind == "module":
        module = event.get("module")
        if not isinstance(module, dict) or not isinstance(module.get("botId"), str) or not module["botId"]:
            return False
        if module.get("type") == "detached":
            return _detached(service, module["botId"], at)
        if module.get("type") == "attached":
            return _attached(service, module["botId"], module.get("scopes"))
        return False
    if destination is None:
        return False
    if kind in ("activated", "deactivated"):
        # Chat control is per chat (the event's source): the attachment itself stays as it is.
        chat_id = _chat_id(event.get("source"))
        if kind == "activated":
            control = event.get("chatControl")
            expire_at = control.get("expireAt") if isinstance(control, dict) else None
            signal_args: dict[str, Any] = {"expire_at": expire_at if isinstance(expire_at, int) else None}
            signals.module_activated.send(_app(), bot_id=destination, chat_id=chat_id, **signal_args)
        else:
            signals.module_deactivated.send(_app(), bot_id=destination, chat_id=chat_id)
        return False
    if kind in ("botSuspended", "botResumed"):
        suspended = kind == "botSuspended"
        if service.record_suspension(destination, suspended=suspended, at=at) is None:
            return False
        log.info("LINE %s bot %s", "suspended" if suspended else "resumed", destination)
        (signals.module_suspended if suspended else signals.module_resumed).send(_app(), bot_id=destination)
        return True
    return False


def _detached(service: ModuleRecords, bot_id: str, at: datetime | None) -> bool:
    attachment = service.store.get(bot_id)
    if attachment is None:
        return False
    if at is not None and at < attachment.attached_at:
        log.info("Ignored a detached event of bot %s older than its attachment (attached again since)", bot_id)
        return False
    service.forget(bot_id)
    return True


def _event_time(timestamp: object) -> datetime | None:
    """An event's ``timestamp`` (milliseconds since the epoch) as a time, when it is one."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp <= 0:
        return None
    return datetime.fromtimestamp(timestamp / 1000, tz=timezone.utc)


def _attached(service: ModuleRecords, bot_id: str, scopes: object) -> bool:
    granted = frozenset(str(scope) for scope in scopes) if isinstance(scopes, list) else None
    known = service.store.get(bot_id)
    if known is not None and (granted is None or granted == known.scopes):
        signals.module_webhook_attached.send(_app(), attachment=known, known=True)
        return False
    if known is not None:
        attachment = replace(known, scopes=granted or known.scopes)
    else:
        # Attached from somewhere we did not see (another site, LINE's console): stored without an owner.
        attachment = ModuleAttachment(bot_id=bot_id, scopes=granted or frozenset(), attached_at=utc_now())
    service.store.save(attachment)
    log.info("Module webhook: attached to bot %s with scopes %s", bot_id, " ".join(sorted(attachment.scopes)))
    signals.module_webhook_attached.send(_app(), attachment=attachment, known=known is not None)
    return True


def _chat_id(source: object) -> str | None:
    if not isinstance(source, dict):
        return None
    for key in ("groupId", "roomId", "userId"):
        if isinstance(source.get(key), str):
            return str(source[key])
    return None


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]
