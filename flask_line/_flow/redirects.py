"""Where a user may be sent after login: same-site relative paths only (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request

from .._log import log

_MAX_LENGTH = 2048
#: Set in ``app.extensions`` once the proxy warning was logged.
PROXY_WARNED_KEY = "line.proxy_warned"


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


def warn_if_proxy_headers_are_ignored() -> None:
    """Log once per app (per process) when a proxy says the visitor used HTTPS but the app reads the request as
    plain HTTP.

    Then every callback URL flask-line builds would be ``http://``: LINE refuses it (it is not the registered
    one), or the visitor's session cookie is sent over the wrong scheme. Once is enough to fix the setup, and
    nothing is kept per host: forged ``Host`` headers cannot flood the log or grow memory.
    """
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    if forwarded == "https" and request.scheme == "http" and not current_app.extensions.get(PROXY_WARNED_KEY):
        current_app.extensions[PROXY_WARNED_KEY] = True
        log.warning(
            "Requests to %s arrive through a proxy that sends X-Forwarded-Proto: https, but the app reads them as "
            "http, so the callback URL sent to LINE is http://. Wrap the app: from werkzeug.middleware.proxy_fix "
            "import ProxyFix; app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1) (or set "
            "LINE_LOGIN_CALLBACK_URL).",
            request.host,
        )
