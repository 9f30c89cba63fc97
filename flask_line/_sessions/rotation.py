"""A login's new session id, in as few round trips to the store as it can.

Flask-Session's ``regenerate`` deletes the old id from the store at once, and the session is written under its new
id when the request ends: two round trips on every login. With Redis, the old id's deletion waits for that write
and goes with it, in one pipeline. Either way the old id is gone before the response leaves, so an id planted
before the login is worthless (session fixation).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, Response
from flask.sessions import SessionMixin

from .touch import is_redis_store

if TYPE_CHECKING:
    from flask_session.base import ServerSideSession

#: The attribute that keeps, on a session given a new id, the store key of the id it had (to delete at save).
_REPLACED = "_flask_line_replaced_store_id"


def regenerate(store: Any, session: SessionMixin) -> None:
    """Give ``session`` a new id in ``store``; with Redis its old id is deleted when it is saved (:func:`save`)."""
    if not (session and is_redis_store(store)):
        store.regenerate(session)
        return
    stored = cast("ServerSideSession", session)  # a Redis store's sessions are Flask-Session's
    if getattr(stored, _REPLACED, None) is None:  # a second rotation in one request: the stored id is the first
        setattr(stored, _REPLACED, store._get_store_id(stored.sid))
    stored.sid = store._generate_sid(store.sid_length)
    stored.modified = True


def save(store: Any, app: Flask, session: SessionMixin, response: Response) -> None:
    """Save ``session`` as ``store`` does; one given a new id by :func:`regenerate` drops its old id in the same
    round trip."""
    replaced = getattr(session, _REPLACED, None)
    if replaced is None:
        store.save_session(app, session, response)
        return
    pipeline = store.client.pipeline(transaction=False)
    pipeline.delete(replaced)
    # Flask-Session's own save (its cookie, expiry and empty-session rules), its Redis calls queued on the pipeline.
    queued = copy.copy(store)
    queued.client = pipeline
    queued.save_session(app, session, response)
    pipeline.execute()
