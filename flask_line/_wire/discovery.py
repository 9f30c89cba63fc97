"""An OpenID Connect discovery document, fetched on first use and kept for the life of the process.

LINE WORKS publishes its issuer and key-set URL only there (LINE WORKS' "Access Token" page): one fetch per
process, none per login.
A failed fetch is an :class:`~flask_line.errors.UpstreamUnavailable` and the next caller tries again.
"""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from .._log import log
from ..errors import UpstreamUnavailable
from .http import JsonObject, LineHttp


class DiscoveryDocument:
    """The discovery document at ``url``, which must name ``issuer`` (OpenID Connect Discovery 4.3) and a key set
    served from the document's own origin (so no other host chooses the keys ID tokens are checked with)."""

    def __init__(self, http: LineHttp, url: str, issuer: str) -> None:
        self._http = http
        self.url = url
        self.expected_issuer = issuer
        self._document: JsonObject | None = None
        self._lock = threading.Lock()

    def issuer(self) -> str:
        """The ``issuer`` it names."""
        return self._field("issuer")

    def jwks_uri(self) -> str:
        """The ``jwks_uri`` it names."""
        return self._field("jwks_uri")

    def end_session_endpoint(self) -> str | None:
        """Where the browser ends the session at the provider (RP-initiated logout), when the document says: an
        HTTPS URL, or one at the document's own origin (an emulator's plain-http one)."""
        value = (self._document or self._fetch()).get("end_session_endpoint")
        if not isinstance(value, str):
            return None
        return value if urlsplit(value).scheme == "https" or _origin(value) == _origin(self.url) else None

    def _field(self, name: str) -> str:
        document = self._document or self._fetch()
        return str(document[name])

    def _fetch(self) -> JsonObject:
        with self._lock:
            if self._document is None:
                document = self._http.json("GET", self.url)
                for name in ("issuer", "jwks_uri"):
                    value = document.get(name)
                    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
                        raise UpstreamUnavailable(f"The discovery document at {self.url} has no valid {name}.")
                if document["issuer"] != self.expected_issuer:
                    log.error("The discovery document at %s names the issuer %s", self.url, document["issuer"])
                    raise UpstreamUnavailable(f"The discovery document does not name {self.expected_issuer}.")
                if _origin(str(document["jwks_uri"])) != _origin(self.url):
                    log.error("The discovery document at %s names a key set on another host", self.url)
                    raise UpstreamUnavailable("The discovery document names a key set on another host.")
                self._document = document
            return self._document


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()
