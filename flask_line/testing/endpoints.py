"""What every group of emulated endpoints shares: route registration and LINE's error and URL shapes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Response, jsonify, request

from .data import PlatformData


class Endpoints:
    """A group of LINE endpoints whose methods are the views; ``routes`` lists ``(METHOD, rule, method name)``.

    Each route's Flask endpoint name is ``"METHOD rule"``, the same words faults and request logs use.
    """

    routes: ClassVar[tuple[tuple[str, str, str], ...]] = ()

    def __init__(self, data: PlatformData) -> None:
        self.data = data

    def views(self) -> dict[str, Callable[..., Any]]:
        """Each route's view, by its Flask endpoint name."""
        return {f"{method} {rule}": getattr(self, name) for method, rule, name in self.routes}


def oauth_error(error: str, description: str, status: int = 400) -> tuple[Response, int]:
    """An OAuth 2.0 error body, as LINE's token endpoints answer."""
    return jsonify(error=error, error_description=description), status


#: The ``iss`` of LINE Login's ID tokens, JWT responses and discovery document: LINE's own, as LINE signs them,
#: so an app pointed at the emulator expects exactly what it expects in production.
LOGIN_ISSUER = "https://access.line.me"
#: The ``issuer`` of LINE WORKS' discovery document and ID tokens (the prefix of its discovery URL).
WORKS_ISSUER = "https://auth.worksmobile.com"


def base_url() -> str:
    """The emulator's own base URL, where it serves every endpoint."""
    return request.url_root.rstrip("/")


#: LINE's profile picture variants (Messaging API "Get profile": ``/large`` 200x200, ``/small`` 51x51), in pixels;
#: the URL without a suffix is the original, drawn here at 300x300.
PICTURE_SIZES = {"": 300, "large": 200, "small": 51}


def picture_url(account_id: str, own: str | None = None) -> str:
    """An account's picture: its own (HTTPS) URL, or the one the emulator draws and serves in LINE's stead, which
    like LINE's takes ``/large`` and ``/small`` after it."""
    return own or f"{base_url()}/_emulator/picture/{account_id}"


def bearer_token() -> str:
    """The token of the request's ``Authorization: Bearer`` header, or ''."""
    header = request.headers.get("Authorization", "")
    return header[len("Bearer ") :] if header.startswith("Bearer ") else ""


def with_query(url: str, params: dict[str, Any]) -> str:
    """``url`` with ``params`` added to its query."""
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


def with_fragment(url: str, params: dict[str, Any]) -> str:
    """``url`` with ``params`` as its fragment: how tokens reach an implicit client (OIDC Core 3.2.2.5)."""
    return urlunsplit(urlsplit(url)._replace(fragment=urlencode(params)))
