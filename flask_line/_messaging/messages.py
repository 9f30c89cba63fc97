"""Message objects as the Messaging API takes them: plain dicts, text, or line-bot-sdk v3 models.

line-bot-sdk is never imported here: its v3 models (``TextMessage(text=...)``) are recognised by their
``to_dict()``, so ``import flask_line`` costs nothing without the ``messaging`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from .settings import MAX_MESSAGES


@runtime_checkable
class SdkModel(Protocol):
    """A line-bot-sdk v3 model (``linebot.v3.messaging.TextMessage``...): it serialises itself for the wire."""

    def to_dict(self) -> dict[str, Any]: ...


#: One message: a dict in LINE's JSON shape, a text, or a line-bot-sdk v3 message model.
Message = Mapping[str, Any] | str | SdkModel


def wire_messages(messages: Message | Iterable[Message]) -> list[dict[str, Any]]:
    """``messages`` as LINE's JSON ``messages`` array: 1 to 5 objects, each with a ``type``.

    :raises ValueError: none, more than five, or one without a ``type`` (checked before any call).
    :raises TypeError: a message that is neither a dict, a text nor an SDK model.
    """
    single = isinstance(messages, (Mapping, str, SdkModel))
    listed = [messages] if single else list(messages)  # type: ignore[arg-type]
    if not 1 <= len(listed) <= MAX_MESSAGES:
        raise ValueError(f"LINE sends 1 to {MAX_MESSAGES} messages per request, not {len(listed)}")
    return [_wire(message) for message in listed]


def _wire(message: object) -> dict[str, Any]:
    if isinstance(message, str):
        if not message:
            raise ValueError("A text message cannot be empty")
        return {"type": "text", "text": message}
    if isinstance(message, Mapping):
        body = dict(message)
    elif isinstance(message, SdkModel):
        body = message.to_dict()
    else:
        raise TypeError(f"A message is a dict, a str or a line-bot-sdk model, not {type(message).__name__}")
    if not isinstance(body.get("type"), str):
        raise ValueError("Every message object needs a 'type' (text, image, flex...)")
    return body
