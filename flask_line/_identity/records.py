"""One provider's sign-in records in a browser: one record per channel, all of them of one person.

A site of many shops gives each shop its own LINE Login channel, and a visitor may be signed in at several shops
at once. Their records live together under one session key, ``{channel: {"channel", "user", "token"}}``, so the
rule "one person per browser" is one look at one value: writing a record for another person drops the others.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from .storage import IdentityStorage, MappingStorage, Record, SessionStorage


class ChannelRecords:
    """Every channel's record of one provider's identity in this browser.

    It is the provider's member of the app's :class:`~flask_line._identity.household.Identities`: the provider's
    sign-out clears it (every channel), and with it go the pending authorizations of ``pending_kinds``.

    :param provider: ``"line"`` or ``"works"``.
    :param key: the session key of the records (:mod:`flask_line._sessions.keys`).
    :param pending_family: the family of the pending authorizations its sign-ins start (``"login"``).
    """

    def __init__(self, provider: str, key: str, pending_family: str, storage: IdentityStorage | None = None) -> None:
        self.provider = self.owner = provider
        self.key = key
        self.pending_kinds = frozenset({pending_family})
        self.pending_family = pending_family
        #: Where the records live (the Flask session unless given).
        self.storage: IdentityStorage = storage or SessionStorage()

    def __repr__(self) -> str:
        return f"<ChannelRecords {self.provider}>"

    def all(self, session: MutableMapping[str, Any] | None = None) -> dict[str, Record]:
        """Every channel's record, by channel (``session``: read this mapping instead of the request's)."""
        value = self._storage(session).get(self.key)
        if not isinstance(value, dict):
            return {}
        if "user" in value:  # one record, as flask-line wrote it before channels shared a key
            return {str(value.get("channel")): value}
        return {channel: record for channel, record in value.items() if isinstance(record, dict)}

    def get(self, channel: str, session: MutableMapping[str, Any] | None = None) -> Record | None:
        """The record of ``channel``, or None."""
        return self.all(session).get(channel)

    def put(
        self, channel: str, record: Record, *, new_login: bool, session: MutableMapping[str, Any] | None = None
    ) -> None:
        """Store ``record`` as ``channel``'s; the records of anybody else are dropped (one person per browser)."""
        user_id = record["user"].get("user_id")
        kept = {
            other: existing
            for other, existing in self.all(session).items()
            if other != channel and existing["user"].get("user_id") == user_id
        }
        self._storage(session).set(self.key, {**kept, channel: record}, new_login=new_login)

    def others(self, channel: str) -> dict[str, Record]:
        """The records of every channel but ``channel``."""
        return {other: record for other, record in self.all().items() if other != channel}

    def drop(self, channel: str) -> dict[str, Record]:
        """Forget ``channel``'s record; return the records that stay."""
        remaining = self.others(channel)
        if remaining:
            self.storage.set(self.key, remaining, new_login=False)
        else:
            self.storage.delete(self.key)
        return remaining

    def clear(self) -> None:
        """Forget the person at every channel."""
        self.storage.delete(self.key)

    def _storage(self, session: MutableMapping[str, Any] | None) -> IdentityStorage:
        return self.storage if session is None else MappingStorage(session)
