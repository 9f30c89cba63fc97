"""What a session interface may do beyond Flask's, as protocols checked once, never probed per request."""

from __future__ import annotations

import functools
from collections.abc import Hashable
from typing import Any, Protocol, cast, runtime_checkable

from flask.sessions import SessionMixin


def offers(interface: object, ability: Any) -> bool:
    """Whether ``interface`` has ``ability``'s methods, decided once per class: ``isinstance`` on a runtime protocol
    walks the protocol's attributes at every call (5-10 µs, on every login and signed-in request)."""
    return _class_offers(cast(Hashable, type(interface)), ability)


@functools.cache
def _class_offers(cls: Any, ability: Any) -> bool:
    return issubclass(cls, ability)


@runtime_checkable
class RegeneratingSessions(Protocol):
    """An interface that can give a session a new id (Flask-Session's, the embedded store)."""

    def regenerate(self, session: SessionMixin) -> None:
        """Give ``session`` a new id, dropping the old one from the store."""


@runtime_checkable
class SweepingSessions(Protocol):
    """An interface whose expired sessions are deleted by a sweep (the embedded SQLite store)."""

    def sweep(self) -> int:
        """Delete expired sessions; return how many."""


@runtime_checkable
class ExtendingSessions(Protocol):
    """A store that can extend a stored session's life without writing its data (the embedded SQLite store)."""

    def extend(self, store_id: str, lifetime: float, session: SessionMixin) -> bool:
        """Make the stored session live ``lifetime`` more seconds; False when it is no longer stored."""
