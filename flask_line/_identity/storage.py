"""Where a signed-in identity's record lives: a three-method protocol and its two backends.

Like Flask-Dance's token storage, the object that knows who is signed in asks ``get``/``set``/``delete`` and does
not care where the record lives: the Flask session in a request (:class:`SessionStorage`), or any mapping, such
as the one ``client.session_transaction()`` yields in a test (:class:`MappingStorage`).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Protocol

from flask import g, session

from .._sessions.setup import rotate_session_id

#: A record as it is stored: plain JSON-able values.
Record = dict[str, Any]


class IdentityStorage(Protocol):
    """Keeps identity records by key."""

    def get(self, key: str) -> Record | None:
        """The record stored under ``key``, or None."""

    def set(self, key: str, record: Record, *, new_login: bool) -> None:
        """Store ``record`` under ``key``; ``new_login`` says a person just signed in (rotate what must rotate)."""

    def delete(self, key: str) -> None:
        """Forget the record under ``key`` (nothing else)."""


class SessionStorage:
    """Records in the Flask session of the current request, read once per request (cached in ``flask.g``).

    A new login rotates the session id first, so an id planted before the login is worthless.
    """

    def get(self, key: str) -> Record | None:
        cached = g.get(key, _MISSING)
        if cached is _MISSING:
            cached = session.get(key)
            setattr(g, key, cached)
        return cached  # type: ignore[no-any-return]

    def set(self, key: str, record: Record, *, new_login: bool) -> None:
        if new_login:
            rotate_session_id()
        session[key] = record
        setattr(g, key, record)

    def delete(self, key: str) -> None:
        session.pop(key, None)
        setattr(g, key, None)


class MappingStorage:
    """Records in any mutable mapping: a test client's ``session_transaction()``, or a dict in a job."""

    def __init__(self, mapping: MutableMapping[str, Any]) -> None:
        self.mapping = mapping

    def get(self, key: str) -> Record | None:
        record: Record | None = self.mapping.get(key)
        return record

    def set(self, key: str, record: Record, *, new_login: bool) -> None:
        self.mapping[key] = record

    def delete(self, key: str) -> None:
        self.mapping.pop(key, None)


_MISSING = object()
