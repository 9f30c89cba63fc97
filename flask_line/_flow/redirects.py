"""Where a user may be sent after login: same-site relative paths only (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit

_MAX_LENGTH = 2048


def safe_next(target: object, default: str) -> str:
    """``target`` when it is a same-site path such as ``/profile?tab=1``, else ``default``.

    Rejects absolute and scheme-relative URLs (``https://evil``, ``//evil``), backslash tricks (``/\\evil``,
    which browsers read as ``//evil``), control characters (browsers drop tabs and newlines, turning
    ``/\\t/evil`` into ``//evil``) and schemes such as ``javascript:``.
    """
    if not isinstance(target, str) or not target or len(target) > _MAX_LENGTH:
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
