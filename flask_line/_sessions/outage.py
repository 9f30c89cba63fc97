"""A session store that is away (Redis stopped, a locked SQLite file, a database restart) is a 503, not a 500.

:class:`OutageTolerantSessions` wraps the app's session interface. When the store cannot be reached, the request
gets an :class:`UnavailableSession`: a page that never touches the session still works, and the first use of it
raises :class:`~flask_line.errors.SessionStoreUnavailable`, which the error handler answers with the styled
"try again shortly" page (JSON for API clients) and ``Retry-After``. One ERROR line is logged per outage, not
per request, and the next request that reaches the store ends it: no restart needed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, Request, Response, after_this_request
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin

from .._log import Episodes
from ..errors import SessionStoreUnavailable, StoreUnavailable
from . import rotation
from .abilities import RegeneratingSessions, offers
from .setup import DeferredSessions
from .touch import remember_as_read, touch_if_unchanged


@functools.cache
def outage_errors() -> tuple[type[BaseException], ...]:
    """What the session stores raise when their server or file cannot be reached (for the clients installed).

    Asked when a store raised, so a site whose sessions live elsewhere never imports ``sqlite3`` for it.
    """
    found: list[type[BaseException]] = [OSError, StoreUnavailable]
    for module, names in (
        ("sqlite3", ("OperationalError",)),
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


def _until_answered(name: str) -> Any:
    """The dict method ``name`` of a session that refuses (a 503) until its request's answer is decided."""
    method = getattr(SecureCookieSession, name)

    @functools.wraps(method)
    def until_answered(self: UnavailableSession, *args: Any, **kwargs: Any) -> Any:
        if not self.answered:
            self.answered = True  # the request fails from here: whatever runs later meets an empty session
            raise SessionStoreUnavailable("The session store cannot be reached.")
        return method(self, *args, **kwargs)

    return until_answered


class UnavailableSession(SecureCookieSession):
    """The session of a request whose store could not be reached.

    Until the request's answer is decided, reading or writing it raises :class:`SessionStoreUnavailable` (a
    503). From then on (the 503 raised, or the view's page made) it reads as empty, so what runs afterwards
    (Flask-Login's after-request hook, the site's own hooks and error handler) cannot turn the answer into a 500.
    """

    def __init__(self) -> None:
        super().__init__()
        #: Whether the answer is decided: the session then reads as empty instead of refusing.
        self.answered = False

    __getitem__ = _until_answered("__getitem__")
    __setitem__ = _until_answered("__setitem__")
    __delitem__ = _until_answered("__delitem__")
    __contains__ = _until_answered("__contains__")
    __iter__ = _until_answered("__iter__")
    __len__ = _until_answered("__len__")
    get = _until_answered("get")
    pop = _until_answered("pop")
    setdefault = _until_answered("setdefault")
    update = _until_answered("update")
    clear = _until_answered("clear")
    keys = _until_answered("keys")
    values = _until_answered("values")
    items = _until_answered("items")


class OutageTolerantSessions(SessionInterface):
    """The app's session interface, with its store's outages answered as 503s (see the module's docstring).

    Its refusals go through the app's own error handler for :class:`~flask_line.errors.LineError` (flask-line's
    unless the site registered one). Whether the store is down or back is decided only by calls that reached it:
    a request without a session cookie that stores nothing never tells.
    """

    def __init__(self, inner: SessionInterface) -> None:
        #: The app's own interface (Flask-Session's, or flask-line's embedded store).
        self.inner = inner
        self._episodes = Episodes("The session store", "visitors get 503 until it works again")

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        reaches_store = bool(request.cookies.get(self.inner.get_cookie_name(app)))
        try:
            opened = self.inner.open_session(app, request)
        except outage_errors() as error:
            self._went_down(error)
            unavailable = UnavailableSession()
            after_this_request(_mark_answered(unavailable))
            return unavailable
        if reaches_store:
            self._came_back()
        if opened is not None:
            remember_as_read(self._store_of(opened), opened)
        return opened

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if isinstance(session, UnavailableSession):
            if session.modified and response.status_code < 400:
                # A hook wrote to the session after the page was made: what it wrote cannot be kept.
                self._answer_unavailable(app, response)
            return
        reaches_store = session.modified or (bool(session) and app.config.get("SESSION_REFRESH_EACH_REQUEST", True))
        try:
            if not touch_if_unchanged(self._store_of(session), app, session, response):
                rotation.save(self.inner, app, session, response)
        except outage_errors() as error:
            # The view ran, but what it stored is lost: the visitor must not be told it worked.
            self._went_down(error)
            self._answer_unavailable(app, response)
            return
        if reaches_store:
            self._came_back()

    def make_null_session(self, app: Flask) -> Any:
        return self.inner.make_null_session(app)

    def is_null_session(self, obj: object) -> bool:
        return self.inner.is_null_session(obj)

    def get_cookie_name(self, app: Flask) -> str:
        return self.inner.get_cookie_name(app)

    def regenerate(self, session: SessionMixin) -> None:
        """Give ``session`` a new id in the store (a no-op for an interface that keeps no ids)."""
        if not offers(self.inner, RegeneratingSessions):
            return
        try:
            rotation.regenerate(self.inner, session)
        except outage_errors() as error:  # a new session id at login writes to the store too
            self._went_down(error)
            raise SessionStoreUnavailable("The session store cannot be reached.") from None

    def _store_of(self, session: SessionMixin) -> Any:
        """The server-side store behind ``session`` (None for the embedded store's fresh, unread session)."""
        if isinstance(self.inner, DeferredSessions):
            return self.inner.store_of(session)
        return self.inner

    def _answer_unavailable(self, app: Flask, response: Response) -> None:
        """Turn ``response`` into the app's answer to :class:`SessionStoreUnavailable` (its handler's page)."""
        replacement = app.make_response(app.handle_user_exception(SessionStoreUnavailable("The session was lost.")))
        response.status_code = replacement.status_code
        response.set_data(replacement.get_data())
        for header in ("Content-Type", "Retry-After"):
            if header in replacement.headers:
                response.headers[header] = replacement.headers[header]
        response.headers.pop("Location", None)

    def _went_down(self, error: BaseException) -> None:
        self._episodes.failed(type(error).__name__)

    def _came_back(self) -> None:
        self._episodes.worked()


def _mark_answered(session: UnavailableSession) -> Callable[[Response], Response]:
    """The request's first after-request step: the page is made, so the session now reads as empty."""

    def mark(response: Response) -> Response:
        session.answered = True
        return response

    return mark
