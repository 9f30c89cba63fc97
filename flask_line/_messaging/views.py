"""What the blueprint's Messaging API views read from a request: the webhook's bounded body, the link token."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import request

from ..errors import BadRequestOption
from .service import MessagingService
from .webhook import MAX_WEBHOOK_BYTES

#: A link token as LINE issues it: an opaque URL-safe string (checked before it goes into LINE's URL).
LINK_TOKEN = re.compile(r"[A-Za-z0-9_\-.~]{1,512}")


def webhook(messaging: MessagingService) -> tuple[str, int]:
    """Read at most the body cap (an oversized body is refused unread) and hand it to the channel's webhook."""
    length = request.content_length
    limit = MAX_WEBHOOK_BYTES + 1 if length is None or length > MAX_WEBHOOK_BYTES else length
    messaging.webhook.handle(request.stream.read(limit), request.headers.get("X-Line-Signature"))
    return "", 200


def link_token(args: Mapping[str, str]) -> str:
    """The ``linkToken`` of a ``/line/bot-link`` visit; a 400 when it is missing or not a token."""
    token = args.get("linkToken", "")
    if not LINK_TOKEN.fullmatch(token):
        raise BadRequestOption("linkToken", "is missing or is not a LINE link token")
    return token
