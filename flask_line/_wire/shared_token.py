"""A service access token shared by every thread of an app, and by every worker of a fleet that shares a cache:
issued once, reused until shortly before it expires.

Used for the module channel access token, the LINE Login channel's token and the LINE WORKS service-account
token. One refresh runs at a time: concurrent threads wait for it, and with a shared cache the workers of a fleet
take a short lock so that N workers starting at once cause one issue, not N. A token LINE refuses is dropped for
everyone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .shared_cache import NOT_SHARED, SharedCache, wait_for
from .tokens import LineToken

#: Reissue a token this many seconds before LINE says it expires.
EXPIRY_MARGIN = 60.0
#: How long a worker issuing the fleet's token holds its lock (LINE answers well within it).
ISSUE_LOCK_SECONDS = 10.0


class SharedToken:
    """A lazily issued, cached token.

    :param issue: asks LINE for a new token (called with the lock held).
    :param margin: seconds before expiry at which the token counts as expired.
    :param shared: the fleet's cache, and ``name``, what identifies this token in it (a service and its id).
    """

    def __init__(
        self,
        issue: Callable[[], LineToken],
        margin: float = EXPIRY_MARGIN,
        *,
        shared: SharedCache = NOT_SHARED,
        name: str = "",
    ) -> None:
        self._issue = issue
        self._margin = margin
        self._token: LineToken | None = None
        self._lock = threading.Lock()
        self._shared = shared
        self._key = shared.key("service-token", name)
        self._issuing_key = shared.key("issuing", name)

    def get(self) -> LineToken:
        """A token that is valid for at least ``margin`` more seconds."""
        token = self._token
        if token is not None and not token.is_expired(self._margin, time.time()):
            return token
        with self._lock:
            token = self._token  # another thread may have refreshed it while we waited
            if token is None or token.is_expired(self._margin, time.time()):
                token = self._from_fleet()
                self._token = token
            return token

    def invalidate(self, rejected: LineToken) -> None:
        """Forget ``rejected`` (LINE answered 401 to it), here and in the fleet, unless it was already replaced."""
        with self._lock:
            if self._token is rejected:
                self._token = None
        shared = self._shared.get(self._key)
        if shared is not None and shared.get("access_token") == rejected.access_token:
            self._shared.delete(self._key)

    def _from_fleet(self) -> LineToken:
        """The fleet's valid token, or one this worker issues (holding the fleet's lock) and shares."""
        token = self._usable(self._shared.get(self._key))
        if token is not None:
            return token
        if not self._shared.claim(self._issuing_key, ISSUE_LOCK_SECONDS):
            token = self._usable(wait_for(self._shared, self._key, ISSUE_LOCK_SECONDS))
            if token is not None:
                return token
        else:
            # The lock may be free because another worker just issued and shared the token: look once more.
            token = self._usable(self._shared.get(self._key))
            if token is not None:
                self._shared.delete(self._issuing_key)
                return token
        try:
            token = self._issue()
            if token.expires_at is not None:
                value = {
                    "access_token": token.access_token,
                    "expires_at": token.expires_at,
                    "scopes": list(token.scopes),
                }
                self._shared.put(self._key, value, token.expires_at - time.time())
        finally:  # shared before the lock goes; a failed issue frees the lock at once for the next worker
            self._shared.delete(self._issuing_key)
        return token

    def _usable(self, value: dict[str, object] | None) -> LineToken | None:
        if value is None:
            return None
        access_token, expires_at, scopes = value.get("access_token"), value.get("expires_at"), value.get("scopes")
        if not isinstance(access_token, str) or not isinstance(expires_at, int | float):
            return None
        token = LineToken(
            access_token=access_token,
            expires_at=float(expires_at),
            scopes=tuple(str(scope) for scope in scopes) if isinstance(scopes, list) else (),
        )
        return None if token.is_expired(self._margin, time.time()) else token
