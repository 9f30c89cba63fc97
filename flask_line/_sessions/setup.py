"""The Flask session kept server-side: Flask-Session setup, the embedded default store, and id rotation."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any, cast

from flask import Flask, Request, Response, current_app, session
from flask.sessions import SecureCookieSession, SessionInterface, SessionMixin

from .._log import log
from .abilities import RegeneratingSessions, offers

#: The embedded default store's file, in the app's instance folder.
DEFAULT_SESSION_FILE = "flask_line_sessions.sqlite3"


def setup_server_side_sessions(app: Flask, *, pending_ttl: float) -> None:
    """Make sure tokens are stored server-side, never in the cookie.

    An app that already runs Flask-Session keeps its interface; one that set ``SESSION_TYPE`` gets Flask-Session
    initialised with it; any other app gets the embedded SQLite store in its instance folder (created on first
    use), and one log line says so: a WARNING in debug mode, where a developer reads it.
    """
    if isinstance(getattr(app.session_interface, "inner", app.session_interface), DeferredSessions):
        return
    if "flask_session" in sys.modules:  # only then can the app already run a Flask-Session interface
        from flask_session.base import ServerSideSessionInterface

        if isinstance(getattr(app.session_interface, "inner", app.session_interface), ServerSideSessionInterface):
            return
    if app.config.get("SESSION_TYPE"):
        from flask_session import Session

        Session(app)
        return
    path = os.path.join(app.instance_path, DEFAULT_SESSION_FILE)
    app.session_interface = DeferredSessions(app, path, pending_ttl=pending_ttl)
    log.log(
        logging.WARNING if app.debug else logging.INFO,
        "flask-line keeps sessions server-side (tokens never go into the cookie) in %s. For several machines set "
        "SESSION_TYPE='redis' (Flask-Session); LINE_SESSION_SETUP=False opts out.",
        path,
    )


class FreshSession(SecureCookieSession):
    """The session of a request that brought no session cookie, kept in memory until something is stored."""


class DeferredSessions(SessionInterface):
    """The embedded store (:class:`~.sqlite.SQLiteSessionInterface`), made on first need.

    A request without a session cookie gets a :class:`FreshSession`; the SQLite interface (Flask-Session, and
    its serializer) is built only when such a session must be stored, or a session cookie arrives. So a page that
    stores nothing loads neither, and nothing is created on disk.
    """

    def __init__(self, app: Flask, path: str, *, pending_ttl: float) -> None:
        self._app = app
        self.path = path
        self.pending_ttl = pending_ttl
        #: Seconds between background sweeps of expired sessions (see the SQLite interface).
        self.sweep_interval: float | None = 3600.0
        self._real: Any = None
        self._lock = threading.Lock()

    @property
    def real(self) -> Any:
        """The SQLite interface, built on first use."""
        if self._real is None:
            with self._lock:
                if self._real is None:
                    self._real = self._build()
        return self._real

    def _build(self) -> Any:
        from flask_session.defaults import Defaults

        from .sqlite import SQLiteSessionInterface

        config = self._app.config
        return SQLiteSessionInterface(
            self._app,
            self.path,
            pending_ttl=self.pending_ttl,
            sweep_interval=self.sweep_interval,
            key_prefix=config.get("SESSION_KEY_PREFIX", Defaults.SESSION_KEY_PREFIX),
            permanent=config.get("SESSION_PERMANENT", Defaults.SESSION_PERMANENT),
            sid_length=config.get("SESSION_ID_LENGTH", Defaults.SESSION_ID_LENGTH),
            serialization_format=config.get("SESSION_SERIALIZATION_FORMAT", Defaults.SESSION_SERIALIZATION_FORMAT),
        )

    def open_session(self, app: Flask, request: Request) -> SessionMixin:
        if self._real is None and not request.cookies.get(self.get_cookie_name(app)):
            return FreshSession()
        session_: SessionMixin = self.real.open_session(app, request)
        return session_

    def store_of(self, session_: SessionMixin) -> Any:
        """The SQLite interface that read ``session_``; None for a fresh session (nothing was read)."""
        return None if isinstance(session_, FreshSession) else self.real

    def save_session(self, app: Flask, session_: SessionMixin, response: Response) -> None:
        if not isinstance(session_, FreshSession):
            self.real.save_session(app, session_, response)
            return
        if not session_:
            return  # nothing stored: no row, no cookie
        real = self.real
        stored = real.session_class(dict(session_), sid=real._generate_sid(real.sid_length), permanent=real.permanent)
        stored.modified = True
        real.save_session(app, stored, response)

    def regenerate(self, session_: SessionMixin) -> None:
        """Give a stored session a new id (a fresh one has none yet: nothing to fixate)."""
        if not isinstance(session_, FreshSession):
            self.real.regenerate(session_)

    def sweep(self) -> int:
        """Delete expired sessions; return how many."""
        return int(self.real.sweep())


def rotate_session_id() -> None:
    """Give the session a new id at login, so an id planted before login is worthless (session fixation)."""
    interface = current_app.session_interface
    if offers(interface, RegeneratingSessions) and getattr(session, "sid", None):
        cast(RegeneratingSessions, interface).regenerate(session)
