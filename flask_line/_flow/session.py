"""Server-side sessions: Flask-Session setup, the signed-in state we keep in the session, and id rotation."""

from __future__ import annotations

import logging
import os
from typing import Any

from cachelib.file import FileSystemCache
from flask import Flask, current_app, g, session
from flask_session import Session
from flask_session.base import ServerSideSessionInterface

log = logging.getLogger("flask_line")

#: Sessions kept by the embedded default live this many files at most before cachelib prunes old ones.
_DEFAULT_SESSION_FILES = 100_000


def setup_server_side_sessions(app: Flask) -> None:
    """Make sure tokens are stored server-side, never in the cookie.

    An app that already runs Flask-Session keeps its interface; one that set ``SESSION_TYPE`` gets Flask-Session
    initialised with it; any other app gets a file-system cache in its instance folder, and a log line says so.
    """
    if isinstance(app.session_interface, ServerSideSessionInterface):
        return
    if not app.config.get("SESSION_TYPE"):
        directory = os.path.join(app.instance_path, "flask_line_sessions")
        lifetime = int(app.permanent_session_lifetime.total_seconds())
        app.config["SESSION_TYPE"] = "cachelib"
        app.config["SESSION_CACHELIB"] = FileSystemCache(
            directory, threshold=_DEFAULT_SESSION_FILES, default_timeout=lifetime
        )
        log.info(
            "flask-line: no server-side session store configured; keeping sessions in %s. "
            "Set SESSION_TYPE (e.g. 'redis') for production, or LINE_SESSION_SETUP=False to opt out.",
            directory,
        )
    Session(app)


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
