"""Where attachments live: they outlive the admin's browser session (the module keeps serving the bot)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol, runtime_checkable

from .sqlite import SQLiteFile


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


def may_replace(stored: ModuleAttachment, new: ModuleAttachment) -> bool:
    """Whether ``new`` may replace ``stored``: nobody owns it yet, or the same admin attached again."""
    return stored.attached_by is None or stored.attached_by == new.attached_by


class SQLiteAttachmentStore:
    """Attachments in an SQLite file (standard library), safe for several threads and processes.

    WAL journaling lets readers run beside a writer; every write is one transaction, and a busy file is waited
    for (``timeout``) instead of failing.
    """

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.file = SQLiteFile(path, ATTACHMENT_SCHEMA, timeout)
        with self.file.write() as connection:
            columns = {row[1] for row in connection.execute("PRAGMA table_info(line_module_attachments)")}
            if "active" not in columns:  # a store made by flask-line 0.1
                connection.execute("ALTER TABLE line_module_attachments ADD COLUMN active INTEGER NOT NULL DEFAULT 1")
            if "state_changed_at" not in columns:  # a store made before webhook events were ordered
                connection.execute("ALTER TABLE line_module_attachments ADD COLUMN state_changed_at TEXT")

    @classmethod
    def from_uri(cls, uri: str) -> SQLiteAttachmentStore:
        """A store for ``sqlite:///<path>``."""
        return cls(uri.removeprefix("sqlite:///"))

    def save(self, attachment: ModuleAttachment) -> None:
        with self.file.write() as connection:
            _upsert(connection, attachment)

    def claim(self, attachment: ModuleAttachment) -> ModuleAttachment:
        """Save ``attachment`` unless another admin owns its bot; return what is stored (one transaction)."""
        with self.file.write() as connection:  # BEGIN IMMEDIATE: concurrent claims are one after the other
            row = connection.execute(
                f"SELECT {_ATTACHMENT_COLUMNS} FROM line_module_attachments WHERE bot_id = ?", (attachment.bot_id,)
            ).fetchone()
            owner = _attachment(row) if row else None
            if owner is not None and not may_replace(owner, attachment):
                return owner
            _upsert(connection, attachment)
        return attachment

    def get(self, bot_id: str) -> ModuleAttachment | None:
        with self.file.read() as connection:
            row = connection.execute(
                f"SELECT {_ATTACHMENT_COLUMNS} FROM line_module_attachments WHERE bot_id = ?", (bot_id,)
            ).fetchone()
        return _attachment(row) if row else None

    def delete(self, bot_id: str) -> bool:
        with self.file.write() as connection:
            cursor = connection.execute("DELETE FROM line_module_attachments WHERE bot_id = ?", (bot_id,))
        return cursor.rowcount > 0

    def list(self) -> list[ModuleAttachment]:
        with self.file.read() as connection:
            query = f"SELECT {_ATTACHMENT_COLUMNS} FROM line_module_attachments ORDER BY attached_at"
            rows = connection.execute(query).fetchall()
        return [_attachment(row) for row in rows]


ATTACHMENT_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS line_module_attachments ("
    " bot_id TEXT PRIMARY KEY, scopes TEXT NOT NULL, attached_at TEXT NOT NULL,"
    " attached_by TEXT, region TEXT, basic_search_id TEXT, active INTEGER NOT NULL DEFAULT 1,"
    " state_changed_at TEXT)",
)
_ATTACHMENT_COLUMNS = "bot_id, scopes, attached_at, attached_by, region, basic_search_id, active, state_changed_at"


def _attachment(row: tuple[str, str, str, str | None, str | None, str | None, int, str | None]) -> ModuleAttachment:
    bot_id, scopes, attached_at, attached_by, region, basic_search_id, active, state_changed_at = row
    return ModuleAttachment(
        bot_id=bot_id,
        scopes=decode_scopes(scopes),
        attached_at=datetime.fromisoformat(attached_at),
        attached_by=attached_by,
        region=region,
        basic_search_id=basic_search_id,
        active=bool(active),
        state_changed_at=datetime.fromisoformat(state_changed_at) if state_changed_at else None,
    )


def utc_now() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(timezone.utc)


def encode_scopes(scopes: frozenset[str]) -> str:
    """Scopes as stored: a sorted JSON list."""
    return json.dumps(sorted(scopes))


def decode_scopes(stored: str) -> frozenset[str]:
    """Scopes from their stored form."""
    return frozenset(json.loads(stored))


def _upsert(connection: sqlite3.Connection, attachment: ModuleAttachment) -> None:
    connection.execute(
        "INSERT INTO line_module_attachments"
        " (bot_id, scopes, attached_at, attached_by, region, basic_search_id, active, state_changed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(bot_id) DO UPDATE SET"
        " scopes=excluded.scopes, attached_at=excluded.attached_at, attached_by=excluded.attached_by,"
        " region=excluded.region, basic_search_id=excluded.basic_search_id, active=excluded.active,"
        " state_changed_at=excluded.state_changed_at",
        (
            attachment.bot_id,
            encode_scopes(attachment.scopes),
            attachment.attached_at.isoformat(),
            attachment.attached_by,
            attachment.region,
            attachment.basic_search_id,
            int(attachment.active),
            attachment.state_changed_at.isoformat() if attachment.state_changed_at else None,
        ),
    )
