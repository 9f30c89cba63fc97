"""A cached JSON Web Key Set: fetched once, reused until stale, refetched when a token names a new ``kid``.

A new ``kid`` triggers at most one refetch per ``min_refetch_interval``, and callers that waited for the lock
use the keys the first one fetched, so a burst of tokens naming unknown keys cannot make us hammer LINE.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._log import log
from ..errors import IdTokenError, LineError, UpstreamUnavailable
from .http import LineHttp

if TYPE_CHECKING:
    from joserfc.jwk import Key, KeySet


class JwksCache:
    """The keys published at ``url``, shared by every request of the app.

    :param http: the app's LINE HTTP client.
    :param url: the JWKS URL, or a function that finds it (in a discovery document) on first use.
    :param ttl: seconds before the cached set is considered stale and fetched again.
    :param min_refetch_interval: seconds between two refetches caused by unknown ``kid`` values.
    """

    def __init__(
        self, http: LineHttp, url: str | Callable[[], str], ttl: float, min_refetch_interval: float = 10.0
    ) -> None:
        self._http = http
        self._url = url
        self._ttl = ttl
        self._min_refetch_interval = min_refetch_interval
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        #: Counts fetches, so a caller that waited for the lock can tell another thread already fetched.
        self._generation = 0
        self._last_unknown_kid_fetch = -float("inf")
        self._lock = threading.Lock()

    def key(self, kid: str | None) -> Key:
        """The key named ``kid``; an unknown ``kid`` may trigger one refetch (LINE rotated its keys)."""
        keys, generation = self._keys, self._generation
        if keys is None or time.monotonic() - self._fetched_at > self._ttl:
            keys = self._refresh(generation, unknown_kid=False)
            generation = self._generation
        found = _find(keys, kid)
        if found is None:
            keys = self._refresh(generation, unknown_kid=True)
            found = _find(keys, kid)
        if found is None:
            raise IdTokenError(f"The ID token's key id {kid!r} is not in LINE's published keys.")
        return found

    def _refresh(self, seen_generation: int, *, unknown_kid: bool) -> KeySet:
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        with self._lock:
            stale = self._keys
            if stale is not None and self._generation != seen_generation:
                return stale  # another thread fetched while this one waited
            now = time.monotonic()
            if unknown_kid and stale is not None:
                if now - self._last_unknown_kid_fetch < self._min_refetch_interval:
                    return stale  # refetched moments ago: the kid is unknown, not new
                self._last_unknown_kid_fetch = now
            try:
                url = self._url if isinstance(self._url, str) else self._url()
                body = self._http.json("GET", url)
                keys: KeySet = KeySet.import_key_set(body)  # type: ignore[arg-type]
            except (JoseError, ValueError, TypeError, KeyError):
                raise UpstreamUnavailable("LINE's key set (JWKS) is not valid JSON Web Keys") from None
            except LineError:
                if stale is not None and not unknown_kid:
                    # LINE's key endpoint is down: the keys we have still verify tokens signed with them.
                    log.warning("Could not refresh LINE's key set; using the cached keys")
                    self._fetched_at = now  # try again after another TTL, not on every request
                    return stale
                raise
            self._keys = keys
            self._fetched_at = now
            self._generation += 1
            return keys


def _find(keys: KeySet, kid: str | None) -> Key | None:
    if kid is None:
        return keys.keys[0] if len(keys.keys) == 1 else None
    return next((key for key in keys.keys if key.kid == kid), None)
