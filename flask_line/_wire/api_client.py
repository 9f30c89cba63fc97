"""A small ``requests``-style client for LINE APIs that authenticate with a shared service token."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import requests

from .http import LineHttp
from .shared_token import SharedToken


class ApiClient:
    """Sends requests to ``base_url`` with the service token and fixed headers; retries once on a 401.

    Responses are returned as they are (``requests.Response``), so the caller reads LINE's own answer; only a
    timeout or an unreachable LINE raises (:class:`~flask_line.errors.UpstreamUnavailable`).

    :param before_send: called with ``(method, path)`` before any HTTP; raise there to refuse a call locally.
    """

    def __init__(
        self,
        http: LineHttp,
        base_url: str,
        token: SharedToken,
        headers: Mapping[str, str] | None = None,
        before_send: Callable[[str, str], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self._http = http
        self._token = token
        self._before_send = before_send

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send ``method path``: a path relative to the base URL (``/v2/bot/message/push``) or a full URL."""
        method = method.upper()
        if self._before_send is not None:
            self._before_send(method, path)
        url = path if path.startswith(("https://", "http://")) else self.base_url + "/" + path.lstrip("/")
        extra_headers = kwargs.pop("headers", None) or {}
        token = self._token.get()
        response = self._send(method, url, token.access_token, extra_headers, kwargs)
        if response.status_code == 401:
            # The token was revoked or expired early: get a new one and try once more.
            self._token.invalidate(token)
            response = self._send(method, url, self._token.get().access_token, extra_headers, kwargs)
        return response

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
