"""Server-side sessions: Flask-Session setup, the signed-in state we keep in the session, and id rotation."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, current_app, g, session

log = logging.getLogger("flask_line")

#: The embedded default store's file, in the app's instance folder.
DEFAULT_SESSION_FILE = "flask_line_sessions.sqlite3"


def setup_server_side_sessions(app: Flask, *, pending_ttl: float) -> None:
    """Make sure tokens are stored server-side, never in the cookie.

    An app that already runs Flask-Session keeps its interface; one that set ``SESSION_TYPE`` gets Flask-Session
    initialised with it; any other app gets the embedded SQLite store in its instance folder (created on first
    use), and one log line says so: a WARNING in debug mode, where a developer reads it.
    """
    from flask_session import Session
    from flask_session.base import ServerSideSessionInterface
    from flask_session.defaults import Defaults

    from .sqlite_sessions import SQLiteSessionInterface

    if isinstance(app.session_interface, ServerSideSessionInterface):
        return
    if app.config.get("SESSION_TYPE"):
        Session(app)
        return
    path = os.path.join(app.instance_path, DEFAULT_SESSION_FILE)
    config = app.config
    app.session_interface = SQLiteSessionInterface(
        app,
        path,
        pending_ttl=pending_ttl,
        key_prefix=config.get("SESSION_KEY_PREFIX", Defaults.SESSION_KEY_PREFIX),
        permanent=config.get("SESSION_PERMANENT", Defaults.SESSION_PERMANENT),
        sid_length=config.get("SESSION_ID_LENGTH", Defaults.SESSION_ID_LENGTH),
        serialization_format=config.get("SESSION_SERIALIZATION_FORMAT", Defaults.SESSION_SERIALIZATION_FORMAT),
    )
    log.log(
        logging.WARNING if app.debug else logging.INFO,
        "flask-line keeps sessions server-side (tokens never go into the cookie) in %s. For several machines set "
        "SESSION_TYPE='redis' (Flask-Session); LINE_SESSION_SETUP=False opts out.",
        path,
    )


def rotate_session_id() -> None:
    """Give the session a new id at login, so an id planted before login is worthless (session fixation)."""
    interface = current_app.session_interface
    regenerate = getattr(interface, "regenerate", None)
    if regenerate is not None and getattr(session, "sid", None):
        regenerate(session)


class SignedInSlot:
    """One signed-in identity in the session (LINE Login, LINE WORKS), kept apart from any other.

    :param key: the session key; a per-request cache in ``g`` uses the same name.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def load(self) -> dict[str, Any] | None:
        """The saved record, cached for the rest of the request."""
        cached = g.get(self.key, _MISSING)
        if cached is _MISSING:
            cached = session.get(self.key)
            setattr(g, self.key, cached)
        return cached  # type: ignore[no-any-return]

    def save(self, record: dict[str, Any], *, new_login: bool) -> None:
        """Store ``record``; a new login also rotates the session id."""
        if new_login:
            rotate_session_id()
        session[self.key] = record
        setattr(g, self.key, record)

    def clear(self) -> None:
        """Forget this identity, leaving other identities and pending flows alone."""
        session.pop(self.key, None)
        setattr(g, self.key, None)


_MISSING = object()
