"""Where attachments live: they outlive the admin's browser session (the module keeps serving the bot)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class ModuleAttachment:
    """A module attached to one LINE Official Account (bot)."""

    bot_id: str
    #: The scopes LINE granted (never the ones merely asked for).
    scopes: frozenset[str]
    attached_at: datetime
    #: The LINE Login user id of the admin who attached, when they were signed in with LINE Login.
    attached_by: str | None = None
    region: str | None = None
    basic_search_id: str | None = None
    #: False while LINE has the Official Account suspended (``botSuspended`` until ``botResumed``).
    active: bool = True
    #: When LINE last changed ``active`` (its webhook event's time): an older event does not undo it.
    state_changed_at: datetime | None = None

    def holds(self, *scopes: str) -> bool:
        """Whether every one of ``scopes`` was granted."""
        return set(scopes) <= self.scopes


@runtime_checkable
class AttachmentStore(Protocol):
    """The storage interface: implement these four methods to keep attachments in your own database."""

    def save(self, attachment: ModuleAttachment) -> None:
        """Insert the attachment, or replace the one with the same ``bot_id`` (a re-attach)."""

    def get(self, bot_id: str) -> ModuleAttachment | None:
        """The attachment of ``bot_id``, or None."""

    def delete(self, bot_id: str) -> bool:
        """Remove the attachment of ``bot_id``; whether there was one."""

    def list(self) -> list[ModuleAttachment]:
        """Every attachment, oldest first."""


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(timezone.utc)


def encode_scopes(scopes: frozenset[str]) -> str:
    """Scopes as stored: a sorted JSON list."""
    return json.dumps(sorted(scopes))


def decode_scopes(stored: str) -> frozenset[str]:
    """Scopes from their stored form."""
    return frozenset(json.loads(stored))
