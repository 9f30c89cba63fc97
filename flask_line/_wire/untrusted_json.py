"""The one way flask-line reads JSON it did not write: bounded in size and depth, never a 500.

Tokens' payloads, webhook bodies, LIFF request bodies and LINE's answers all come through :func:`parse`. Python's
decoder would raise ``RecursionError`` deep inside a nested payload; here a payload over :data:`MAX_DEPTH` levels
or :data:`MAX_BYTES` bytes is simply not JSON we accept (:class:`UntrustedJsonError`, a ``ValueError``).
"""

from __future__ import annotations

import base64
import json
from typing import Any

#: Deepest nesting accepted: LINE's documents nest at most a handful of levels (a webhook event's message).
MAX_DEPTH = 32
#: Largest JSON text accepted by default (LINE's answers, token payloads); webhook bodies pass their own bound.
MAX_BYTES = 1_000_000
_CONTAINERS = (dict, list)


class UntrustedJsonError(ValueError):
    """The text is not JSON, or is bigger or deeper than flask-line accepts."""


def parse(text: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> Any:
    """``text`` decoded, or :class:`UntrustedJsonError`."""
    if len(text) > max_bytes:
        raise UntrustedJsonError(f"JSON over {max_bytes} bytes")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested beyond the interpreter's own limit
        raise UntrustedJsonError("not JSON") from None
    # Each level opens a bracket: a text with no more brackets than levels allowed (most of LINE's answers) is
    # not walked.
    if _brackets(text) > max_depth and depth_exceeds(value, max_depth):
        raise UntrustedJsonError(f"JSON nested deeper than {max_depth} levels")
    return value


def _brackets(text: str | bytes) -> int:
    """How many ``{`` and ``[`` ``text`` holds (inside strings too): at least its nesting depth."""
    if isinstance(text, str):
        return text.count("{") + text.count("[")
    return text.count(b"{") + text.count(b"[")


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers more than ``limit`` levels deep (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children: Any = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        for child in children:  # a loop and a tuple: a generator and ``dict | list`` cost twice as much per check
            if isinstance(child, _CONTAINERS):
                stack.append((child, depth + 1))
    return False


def unverified_jwt_claims(token: object, *, max_bytes: int) -> dict[str, Any] | None:
    """The claims of a JWT *before* any verification, or None: only to choose who verifies it (its ``aud``, or the
    ``state`` a signed callback answer belongs to), never to trust what it says."""
    if not isinstance(token, str) or len(token) > max_bytes:
        return None
    try:
        payload = token.split(".")[1]
        claims = parse(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)), max_bytes=max_bytes)
    except (IndexError, ValueError):  # UntrustedJsonError and bad base64 are ValueErrors
        return None
    return claims if isinstance(claims, dict) else None
