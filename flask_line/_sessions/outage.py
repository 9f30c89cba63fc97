"""A session store that is away (Redis stopped, a locked SQLite file, a database restart) is a 503, not a 500.

:class:`OutageTolerantSessions` wraps the app's session interface. When the store cannot be reached, the request
gets an :class:`UnavailableSession`: a page that never touches the session still works, and the first use of it
raises :class:`~flask_line.errors.SessionStoreUnavailable`, which the error handler answers with the styled
"try again shortly" page (JSON for API clients) and ``Retry-After``. One ERROR line is logged per outage, not
per request, and the next request that reaches the store ends it: no restart needed.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin

from .._log import log
from ..errors import LineError, SessionStoreUnavailable, StoreUnavailable


@functools.cache
def outage_errors() -> tuple[type[BaseException], ...]:
    """What the session stores raise when their server or file cannot be reached (for the clients installed)."""
    found: list[type[BaseException]] = [OSError, sqlite3.OperationalError, StoreUnavailable]
    for module, names in (
        ("redis.exceptions", ("ConnectionError", "TimeoutError")),
        ("sqlalchemy.exc", ("OperationalError", "InterfaceError")),
        ("pymongo.errors", ("ConnectionFailure",)),
    ):
        try:
            imported = __import__(module, fromlist=list(names))
        except ImportError:
            continue
        found += [getattr(imported, name) for name in names]
    return tuple(found)


class UnavailableSession(SecureCookieSession):
    """The session of a request whose store could not be reached: reading or writing it is a 503."""

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise SessionStoreUnavailable("The session store cannot be reached.")

    __getitem__ = __setitem__ = __delitem__ = __contains__ = __iter__ = __len__ = _refuse
    get = pop = setdefault = update = clear = keys = values = items = _refuse


class OutageTolerantSessions(SessionInterface):
    """The app's session interface, with its store's outages answered as 503s (see the module's docstring)."""

    def __init__(self, inner: SessionInterface, unavailable: Callable[[LineError], Response]) -> None:
        self.inner = inner
        self._unavailable = unavailable
        self._down_since: float | None = None
        self._lock = threading.Lock()

    #: The wrapper's own attributes; any other is the wrapped interface's (``path``, ``sweep_interval``...).
    _OWN = frozenset({"inner", "_unavailable", "_down_since", "_lock"})

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.inner, name, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self.inner, name)
        if name == "regenerate":  # a new session id at login writes to the store too
            return self._guarded(value)
        return value

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        try:
            opened = self.inner.open_session(app, request)
        except outage_errors() as error:
            self._went_down(error)
            return UnavailableSession()
        self._came_back()
        return opened

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, UnavailableSession):
            return
        try:
            self.inner.save_session(app, session, response)
        except outage_errors() as error:
            # The view ran, but what it stored is lost: the visitor must not be told it worked.
            self._went_down(error)
            self._answer_unavailable(response)
            return
        self._came_back()

    def make_null_session(self, app: Flask) -> Any:
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)

    def _answer_unavailable(self, response: Response) -> None:
        """Turn ``response`` into the 503 answer of :class:`SessionStoreUnavailable`."""
        replacement = self._unavailable(SessionStoreUnavailable("The session could not be saved."))
        response.status_code = replacement.status_code
        response.set_data(replacement.get_data())
        for header in ("Content-Type", "Retry-After"):
            if header in replacement.headers:
                response.headers[header] = replacement.headers[header]
        response.headers.pop("Location", None)

    def _guarded(self, call: Any) -> Any:
        @functools.wraps(call)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return call(*args, **kwargs)
            except outage_errors() as error:
                self._went_down(error)
                raise SessionStoreUnavailable("The session store cannot be reached.") from None

        return guarded

    def _went_down(self, error: BaseException) -> None:
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = time.monotonic()
        if first:
            log.error(
                "The session store cannot be reached (%s); visitors get 503 until it is back", type(error).__name__
            )
        else:
            log.debug("The session store is still unreachable (%s)", type(error).__name__)

    def _came_back(self) -> None:
        if self._down_since is None:  # the usual case: no lock, no clock
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            log.warning("The session store is back after %.1f s", time.monotonic() - since)
