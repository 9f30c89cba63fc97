"""An unchanged session is touched in the store, never written back over what another request wrote.

Flask-Session writes the whole session on every request that carries one (``SESSION_REFRESH_EACH_REQUEST``), so
a request that read the session before another request changed it writes its old copy over the change: a
favicon, a LIFF page's XHR or a second tab in flight undoes a sign-in start (the callback then finds no state), a
sign-out (the visitor is signed in again, with the revoked token) or a login's new session id (the browser gets
the old id back). A session whose content is as it was read only has its life extended in the store and its
cookie renewed; a session that another request deleted meanwhile is not brought back. A request that changed the
session, even a value changed in place without ``session.modified``, is saved as before.

The embedded SQLite store and Flask-Session's Redis extend a stored session's life without writing its data. Any
other Flask-Session store writes the session back only if it is still stored as it was read, so the window left is
that of one read and one write, not that of the whole request. An interface that is not Flask-Session's is saved
as it saves itself.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, Response
from flask.sessions import SessionMixin

from .abilities import ExtendingSessions, offers

if TYPE_CHECKING:
    from flask_session.base import ServerSideSession

#: The attribute that keeps, on the session object, its content as read from the store (serialised).
_AS_READ = "_flask_line_as_read"


def remember_as_read(store: Any, session: SessionMixin) -> None:
    """Keep ``session``'s content as read from ``store``, to tell at save time whether the request changed it."""
    if session and _is_server_side(store):
        setattr(session, _AS_READ, store.serializer.encode(session))


def touch_if_unchanged(store: Any, app: Flask, session: SessionMixin, response: Response) -> bool:
    """Extend the life of ``session`` (and its cookie) if the request left it as read; True when that was all
    saving needed, False when it must be saved as usual."""
    as_read = getattr(session, _AS_READ, None)
    if as_read is None or store is None or session.modified or store.serializer.encode(session) != as_read:
        return False
    server_side = cast("ServerSideSession", session)  # only Flask-Session's sessions were remembered as read
    if not store.should_set_storage(app, session):
        return True
    store_id = store._get_store_id(server_side.sid)
    if not _extend(store, store_id, app, session, as_read):
        return True  # deleted by another request meanwhile (a sign-out, a new id): it stays gone
    if store.should_set_cookie(app, session):
        _renew_cookie(store, app, server_side, response)
    return True


def _extend(store: Any, store_id: str, app: Flask, session: SessionMixin, as_read: bytes) -> bool:
    """Extend the stored session's life; False when it is no longer stored as it was read."""
    lifetime = app.permanent_session_lifetime
    if offers(store, ExtendingSessions):
        return bool(store.extend(store_id, lifetime.total_seconds(), session))
    if is_redis_store(store):
        return bool(store.client.expire(store_id, lifetime))
    stored = store._retrieve_session_data(store_id)
    if stored is None or store.serializer.encode(stored) != as_read:
        return False  # changed or deleted by another request since this one read it: that request's copy stands
    store._upsert_session(lifetime, session, store_id)
    return True


def _renew_cookie(store: Any, app: Flask, session: ServerSideSession, response: Response) -> None:
    """Set the session cookie again with a new expiry, as Flask-Session does after writing the session."""
    response.set_cookie(
        key=store.get_cookie_name(app),
        value=store._sign(app, session.sid) if store.use_signer else session.sid,
        expires=store.get_expiration_time(app, session),
        httponly=store.get_cookie_httponly(app),
        domain=store.get_cookie_domain(app),
        path=store.get_cookie_path(app),
        secure=store.get_cookie_secure(app),
        samesite=store.get_cookie_samesite(app),
    )
    response.vary.add("Cookie")


def _is_server_side(store: object) -> bool:
    # Only an app whose sessions are Flask-Session's has imported it (the embedded store loads it on first use).
    base = sys.modules.get("flask_session.base")
    return base is not None and isinstance(store, base.ServerSideSessionInterface)


def is_redis_store(store: object) -> bool:
    """Whether ``store`` is Flask-Session's Redis interface."""
    # Only a site that configured SESSION_TYPE="redis" has imported Flask-Session's Redis interface.
    redis_sessions = sys.modules.get("flask_session.redis")
    return redis_sessions is not None and isinstance(store, redis_sessions.RedisSessionInterface)
