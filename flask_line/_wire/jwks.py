"""A cached JSON Web Key Set: fetched once, reused until stale, refetched once when a token names a new ``kid``."""

from __future__ import annotations

import logging
import threading
import time

from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from ..errors import IdTokenError, LineError, UpstreamUnavailable
from .http import LineHttp

log = logging.getLogger("flask_line")


class JwksCache:
    """The keys published at ``url``, shared by every request of the app.

    :param http: the app's LINE HTTP client.
    :param url: the JWKS URL.
    :param ttl: seconds before the cached set is considered stale and fetched again.
    """

    def __init__(self, http: LineHttp, url: str, ttl: float) -> None:
        self._http = http
        self._url = url
        self._ttl = ttl
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> Key:
        """The key named ``kid``; an unknown ``kid`` triggers one refetch (LINE rotated its keys)."""
        keys = self._keys
        if keys is None or time.monotonic() - self._fetched_at > self._ttl:
            keys = self._refresh(stale=keys)
        found = _find(keys, kid)
        if found is None:
            keys = self._refresh(stale=None)
            found = _find(keys, kid)
        if found is None:
            raise IdTokenError(f"The ID token's key id {kid!r} is not in LINE's published keys.")
        return found

    def _refresh(self, stale: KeySet | None) -> KeySet:
        with self._lock:
            try:
                body = self._http.json("GET", self._url)
                keys: KeySet = KeySet.import_key_set(body)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError):
                raise UpstreamUnavailable("LINE's key set (JWKS) is not valid JSON Web Keys") from None
            except LineError:
                if stale is not None:
                    # LINE's key endpoint is down: the keys we have still verify tokens signed with them.
                    log.warning("Could not refresh the JWKS at %s; using the cached keys", self._url)
                    return stale
                raise
            self._keys = keys
            self._fetched_at = time.monotonic()
            return keys


def _find(keys: KeySet, kid: str | None) -> Key | None:
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    return next((key for key in keys.keys if key.kid == kid), None)
