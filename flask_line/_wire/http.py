"""The one keep-alive HTTP client an app uses to talk to LINE, and the mapping of failures to our errors.

Every outbound call goes through :class:`LineHttp`: one ``requests.Session`` per app (connection pooling, so a
login costs one TLS handshake only the first time), one timeout, and one place that turns timeouts, outages,
rate limits and garbage bodies into :mod:`flask_line.errors`.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .._log import log
from ..errors import EmulatorNotAnswering, TokenRequestError, UpstreamTimeout, UpstreamUnavailable
from .untrusted_json import UntrustedJsonError, parse

if TYPE_CHECKING:
    import requests


#: Environment variables that route requests through a proxy; without them, requests need not read the
#: environment on every call (it does when ``trust_env`` is on: about a millisecond per request).
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
#: Keyword arguments the direct path of :meth:`LineHttp.transport` handles; anything else goes through requests.
_PLAIN_ARGUMENTS = frozenset({"data", "json", "params", "headers", "auth"})

JsonObject = dict[str, Any]


class LineHttp:
    """A thread-safe JSON client for LINE endpoints.

    :param timeout: seconds to wait for LINE to connect and answer.
    :param pool_size: keep-alive connections kept per host.
    """

    def __init__(self, timeout: float, pool_size: int = 32, emulator_url: str | None = None) -> None:
        self.timeout = timeout
        #: A local emulator standing in for LINE: "not answering" then names it and how to start it.
        self.emulator_url = emulator_url.rstrip("/") if emulator_url else None
        self._pool_size = pool_size
        self._session: requests.Session | None = None
        self._session_lock = threading.Lock()

    @property
    def session(self) -> requests.Session:
        """The keep-alive session, made on first use (importing ``requests`` is left until a LINE call)."""
        if self._session is None:
            with self._session_lock:
                if self._session is None:
                    self._session = self._new_session()
        return self._session

    def _new_session(self) -> requests.Session:
        from http.cookiejar import DefaultCookiePolicy

        import requests
        from requests.adapters import HTTPAdapter

        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=8, pool_maxsize=self._pool_size)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers["User-Agent"] = "flask-line"
        # One session serves every user of the app: a cookie LINE set on one user's call must not ride along
        # on the next user's, so none is kept.
        session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        # A CA bundle from the environment is read once, as requests would; proxies (whose NO_PROXY rules depend
        # on each URL) keep requests' own per-call reading. Without them, nothing is read per call.
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        session.trust_env = any(name in os.environ or name.upper() in os.environ for name in _PROXY_VARIABLES)
        return session

    def request(
        self,
        method: str,
        url: str,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request; raise :class:`UpstreamTimeout` / :class:`UpstreamUnavailable` when LINE fails.

        4xx answers other than 429 are returned for the caller to read.
        """
        return _unless_unavailable(self.transport(method, url, **kwargs), method, url)

    def transport(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send one request and return any answer; only a timeout or an unreachable LINE raises.

        Keyword arguments are those of :meth:`requests.Session.request`; the timeout is the app's.
        """
        import requests

        try:
            session = self.session
            if session.trust_env or not set(kwargs) <= _PLAIN_ARGUMENTS:
                # LINE's endpoints do not redirect; a token is never carried to wherever a redirect points.
                return session.request(method, url, timeout=self.timeout, **{"allow_redirects": False, **kwargs})
            # No environment to consult and no cookies to keep: the request is prepared directly and handed to the
            # session's transport adapter, skipping the per-call merging of session settings and the cookie jar
            # (about a millisecond of every token call).
            prepared = _prepare(session, method, url, kwargs)
            adapter = session.get_adapter(str(prepared.url))
            verify = True if session.verify is None else session.verify
            response = adapter.send(prepared, timeout=self.timeout, verify=verify, cert=session.cert)
            response.content  # noqa: B018  read the body now, so the connection goes back to the pool
            return response
        except requests.Timeout:
            log.warning("LINE did not answer %s %s within %ss", method, _public(url), self.timeout)
            raise UpstreamTimeout(f"LINE did not answer within {self.timeout:g} seconds") from None
        except requests.RequestException as error:
            log.warning("LINE unreachable at %s %s: %s", method, _public(url), type(error).__name__)
            emulator = self.emulator_url
            if emulator and url.startswith(emulator) and isinstance(error, requests.ConnectionError):
                raise EmulatorNotAnswering(emulator) from None
            raise UpstreamUnavailable("LINE could not be reached") from None

    def json(self, method: str, url: str, **kwargs: Any) -> JsonObject:
        """Send a request and return LINE's JSON object; an OAuth error body raises :class:`TokenRequestError`."""
        response = _unless_unavailable(self.transport(method, url, **kwargs), method, url)
        if response.status_code >= 400:
            raise oauth_error(response)
        return json_object(response)

    def send(self, method: str, url: str, **kwargs: Any) -> None:
        """Send a request whose success has no body worth reading (revoke, detach)."""
        response = _unless_unavailable(self.transport(method, url, **kwargs), method, url)
        if response.status_code >= 400:
            raise oauth_error(response)

    def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            self._session.close()


def _unless_unavailable(response: requests.Response, method: str, url: str) -> requests.Response:
    """``response``, unless LINE said it cannot answer now (429 or 5xx): then :class:`UpstreamUnavailable`."""
    if response.status_code == 429:
        retry_after = _retry_after(response)
        log.warning(
            "LINE rate-limited %s %s (Retry-After: %s, x-line-request-id %s)",
            method,
            _public(url),
            retry_after,
            request_id(response),
        )
        raise UpstreamUnavailable("LINE is rate-limiting requests; try again shortly", retry_after)
    if response.status_code >= 500:
        log.warning(
            "LINE answered %s to %s %s (x-line-request-id %s)",
            response.status_code,
            method,
            _public(url),
            request_id(response),
        )
        raise UpstreamUnavailable(f"LINE answered with HTTP {response.status_code}")
    return response


def _prepare(session: requests.Session, method: str, url: str, kwargs: dict[str, Any]) -> requests.PreparedRequest:
    """The request, prepared as requests would: the URL of each endpoint parsed once, a form body encoded here."""
    import requests

    prepared = requests.PreparedRequest()
    prepared.method = method
    params = kwargs.get("params")
    if params or "?" in url:  # never cached: a query may carry a token
        prepared.prepare_url(url, params)
    else:
        prepared.url = _prepared_url(url)
    prepared.headers = requests.structures.CaseInsensitiveDict({**session.headers, **(kwargs.get("headers") or {})})
    data = kwargs.get("data")
    if isinstance(data, dict):
        data = urlencode(data)
        prepared.headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    prepared.prepare_body(data, None, kwargs.get("json"))
    prepared.prepare_auth(kwargs.get("auth"), prepared.url)
    return prepared


@functools.lru_cache(maxsize=256)
def _prepared_url(url: str) -> str:
    """``url`` (an endpoint without a query: nothing secret) as requests prepares it (parsed, IDNA-encoded,
    requoted), once per endpoint. LINE's answers are never cached: they carry tokens."""
    import requests

    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return str(prepared.url)


def json_object(response: requests.Response) -> JsonObject:
    """The response body as a JSON object, or :class:`UpstreamUnavailable` if it is anything else."""
    try:
        body = parse(response.content)
    except UntrustedJsonError:
        log.warning(
            "LINE sent a body that is not JSON we accept (HTTP %s, %d bytes, x-line-request-id %s)",
            response.status_code,
            len(response.content),
            request_id(response),
        )
        raise UpstreamUnavailable("LINE sent a response that is not JSON") from None
    if not isinstance(body, dict):
        raise UpstreamUnavailable("LINE sent JSON that is not an object")
    return body


def oauth_error(response: requests.Response) -> TokenRequestError | UpstreamUnavailable:
    """The error for a 4xx answer: LINE's ``error``/``error_description`` (or ``message``) when it sent them."""
    try:
        body = parse(response.content)
    except UntrustedJsonError:
        body = None
    if not isinstance(body, dict):
        log.warning(
            "LINE answered HTTP %s without a JSON error body (x-line-request-id %s)",
            response.status_code,
            request_id(response),
        )
        return UpstreamUnavailable(f"LINE answered with HTTP {response.status_code}")
    error = str(body.get("error") or f"http_{response.status_code}")
    description = body.get("error_description") or body.get("message")
    log.info(
        "LINE refused the request: HTTP %s %s (x-line-request-id %s)", response.status_code, error, request_id(response)
    )
    return TokenRequestError(error, str(description) if description else None, response.status_code)


def request_id(response: requests.Response) -> str:
    """LINE's ``x-line-request-id`` of an answer (what LINE's support asks for), or ``-``."""
    return response.headers.get("x-line-request-id") or "-"


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _public(url: str) -> str:
    """The URL without its query string, which may carry a token."""
    return url.split("?", 1)[0]
