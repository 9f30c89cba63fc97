"""A small ``requests``-style client for LINE APIs that authenticate with a shared service token.

Tokens go only to the configured API base URLs: a path is normalised exactly as it will be sent (dot
segments resolved, unreserved percent escapes decoded, repeated slashes folded) and checked there, so a local
scope check cannot be dodged by spelling, and an absolute URL to any other host is refused before any network call.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import ApiTargetRefused
from .http import LineHttp
from .shared_token import SharedToken

if TYPE_CHECKING:
    import requests

#: Percent escapes of RFC 3986 unreserved characters, which a server reads as the characters themselves.
_UNRESERVED_ESCAPE = re.compile(r"%(2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])")
#: What no API path of LINE contains, and what servers disagree on: encoded slashes and backslashes, controls.
_UNSAFE = re.compile(r"%(2[fF]|5[cC]|[01][0-9a-fA-F]|7[fF])|[\\\x00-\x20\x7f]")


class ApiClient:
    """Sends requests to ``base_url`` with the service token and fixed headers; retries once on a 401.

    Responses are returned as they are (``requests.Response``), so the caller reads LINE's own answer; only a
    timeout or an unreachable LINE raises (:class:`~flask_line.errors.UpstreamUnavailable`), and a target
    outside the API URLs raises :class:`~flask_line.errors.ApiTargetRefused`.

    :param base_url: where relative paths go.
    :param other_bases: further URLs absolute targets may lie under (LINE's data API host, the detach URL).
    :param before_send: called with ``(method, path)`` before any HTTP, the path normalised and relative to its
        base; raise there to refuse a call locally.
    """

    def __init__(
        self,
        http: LineHttp,
        base_url: str,
        token: SharedToken,
        headers: Mapping[str, str] | None = None,
        before_send: Callable[[str, str], None] | None = None,
        other_bases: Sequence[str] = (),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self._bases = [self.base_url, *(base.rstrip("/") for base in other_bases)]
        self._http = http
        self._token = token
        self._before_send = before_send

    def __repr__(self) -> str:
        return f"<ApiClient {self.base_url}>"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send ``method path``: a path relative to the base URL (``/v2/bot/message/push``) or a full URL under it."""
        method = method.upper()
        url, relative_path = self.target(path)
        if self._before_send is not None:
            self._before_send(method, relative_path)
        extra_headers = kwargs.pop("headers", None) or {}
        token = self._token.get()
        response = self._send(method, url, token.access_token, extra_headers, kwargs)
        if response.status_code == 401:
            # The token was revoked or expired early: get a new one and try once more.
            self._token.invalidate(token)
            response = self._send(method, url, self._token.get().access_token, extra_headers, kwargs)
        return response

    def target(self, path: str) -> tuple[str, str]:
        """The URL that will be sent for ``path``, and its path relative to the matching base URL."""
        absolute = urlsplit(path).scheme != "" or path.startswith("//")
        url = path if absolute else self.base_url + "/" + path.lstrip("/")
        parts = urlsplit(url)
        if parts.fragment or parts.username or parts.password:
            raise ApiTargetRefused("API URLs carry no fragment or credentials.")
        if _UNSAFE.search(parts.path):
            raise ApiTargetRefused("The API path has an encoded slash, a backslash or a control character.")
        sent_path = _normalise_path(parts.path)
        sent = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), sent_path, parts.query, ""))
        for base in self._bases:
            base_parts = urlsplit(base)
            base_path = base_parts.path.rstrip("/")
            same_origin = (parts.scheme.lower(), parts.netloc.lower()) == (base_parts.scheme, base_parts.netloc)
            if same_origin and (sent_path == base_path or sent_path.startswith(base_path + "/")):
                return sent, sent_path[len(base_path) :] or "/"
        raise ApiTargetRefused("The API target is not under LINE's configured API URLs; the token was not sent.")

    def _send(
        self, method: str, url: str, access_token: str, extra: Mapping[str, str], kwargs: dict[str, Any]
    ) -> requests.Response:
        headers = {**self.headers, **extra, "Authorization": f"Bearer {access_token}"}
        return self._http.transport(method, url, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """``GET path``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """``POST path``."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        """``PUT path``."""
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        """``DELETE path``."""
        return self.request("DELETE", path, **kwargs)


def _normalise_path(path: str) -> str:
    """``path`` as a server reads it: unreserved escapes decoded, dot segments resolved, slashes folded."""
    decoded = _UNRESERVED_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), path)
    folded = re.sub(r"/{2,}", "/", decoded or "/")
    resolved = posixpath.normpath(folded)
    if resolved.startswith("//"):  # normpath keeps a leading double slash; a server folds it
        resolved = "/" + resolved.lstrip("/")
    if folded.endswith("/") and resolved != "/":
        resolved += "/"
    return resolved
