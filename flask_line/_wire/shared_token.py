"""A service access token shared by every thread of an app: issued once, reused until shortly before it expires.

Used for the module channel access token and the LINE WORKS service-account token. One refresh runs at a time;
concurrent callers wait for it instead of each asking LINE (no stampede).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .tokens import LineToken

#: Reissue a token this many seconds before LINE says it expires.
EXPIRY_MARGIN = 60.0


class SharedToken:
    """A lazily issued, cached token.

    :param issue: asks LINE for a new token (called with the lock held).
    :param margin: seconds before expiry at which the token counts as expired.
    """

    def __init__(self, issue: Callable[[], LineToken], margin: float = EXPIRY_MARGIN) -> None:
        self._issue = issue
        self._margin = margin
        self._token: LineToken | None = None
        self._lock = threading.Lock()

    def get(self) -> LineToken:
        """A token that is valid for at least ``margin`` more seconds."""
        token = self._token
        if token is not None and not token.is_expired(self._margin, time.time()):
            return token
        with self._lock:
            token = self._token  # another thread may have refreshed it while we waited
            if token is None or token.is_expired(self._margin, time.time()):
                token = self._issue()
                self._token = token
            return token

    def invalidate(self, rejected: LineToken) -> None:
        """Forget ``rejected`` (LINE answered 401 to it), unless another thread already replaced it."""
        with self._lock:
            if self._token is rejected:
                self._token = None
