"""The embedded store: attachments and account links in one SQLite file shared by threads and processes (WAL
journaling, short transactions, clear failures).

Only an app whose stores are SQLite files imports this module (and ``sqlite3``): ``_runtime.Stores`` does, when
such a store is first used.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from ..errors import AccountLinkConflict, StoreUnavailable
from .abilities import may_replace
from .attachments import ModuleAttachment, decode_scopes, encode_scopes, utc_now
from .links import AccountLink, check_same_user


def create_private_file(path: Path) -> None:
    """Create ``path`` readable by its owner only (0600) unless it exists: it will hold tokens or account links.

    SQLite gives its -wal and -shm files the database file's permissions, so they are private too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


class SQLiteFile:
    """An SQLite database file whose tables ``schema`` creates (each statement must be idempotent).

    WAL journaling lets readers run beside a writer. A write takes the write lock at its start (``BEGIN
    IMMEDIATE``), so two processes never deadlock upgrading a read; a busy file is waited for (``timeout``).
    A file that cannot be opened or stays locked raises :class:`~flask_line.errors.StoreUnavailable`.
    """

    def __init__(self, path: str | Path, schema: Iterable[str], timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        create_private_file(self.path)
        with self.write() as connection:
            for statement in schema:
                connection.execute(statement)
        with self._open() as connection:
            connection.execute("PRAGMA journal_mode=WAL")

    @contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"Cannot open {self.path}: {error}") from error
        try:
            yield connection
        except sqlite3.OperationalError as error:
            raise StoreUnavailable(f"{self.path}: {error}") from error
        finally:
            connection.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (each statement sees committed data)."""
        with self._open() as connection:
            yield connection

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._open() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")


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


class SQLiteAccountLinks:
    """Account links in an SQLite file (standard library): the default, beside the attachments."""

    def __init__(self, path: str | Path, timeout: float = 30.0) -> None:
        self.file = SQLiteFile(path, LINK_SCHEMA, timeout)
        with self.file.write() as connection:
            columns = {row[1] for row in connection.execute("PRAGMA table_info(line_account_links)")}
            for column in ("channel_id", "scope"):  # a store made before links recorded their channel and scope
                if column not in columns:
                    connection.execute(f"ALTER TABLE line_account_links ADD COLUMN {column} TEXT")

    def find(self, provider: str, subject: str) -> AccountLink | None:
        return self._one("provider = ? AND subject = ?", (provider, subject))

    def for_user(self, provider: str, user_id: str) -> AccountLink | None:
        return self._one("provider = ? AND user_id = ?", (provider, user_id))

    def _one(self, where: str, values: tuple[str, str]) -> AccountLink | None:
        with self.file.read() as connection:
            row = connection.execute(f"SELECT {_LINK_COLUMNS} FROM line_account_links WHERE {where}", values).fetchone()
        return _link(row) if row else None

    def link(
        self,
        provider: str,
        subject: str,
        user_id: str,
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> AccountLink:
        now = utc_now().isoformat()
        with self.file.write() as connection:
            row = connection.execute(
                f"SELECT {_LINK_COLUMNS} FROM line_account_links WHERE provider = ? AND subject = ?",
                (provider, subject),
            ).fetchone()
            if row is not None:
                check_same_user(_link(row), user_id)
                connection.execute(
                    "UPDATE line_account_links SET updated_at = ? WHERE provider = ? AND subject = ?",
                    (now, provider, subject),
                )
                return _link((*row[:4], now, *row[5:]))
            connection.execute("DELETE FROM line_account_links WHERE provider = ? AND user_id = ?", (provider, user_id))
            try:
                connection.execute(
                    f"INSERT INTO line_account_links ({_LINK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (provider, subject, user_id, now, now, channel_id, scope),
                )
            except sqlite3.IntegrityError:
                raise AccountLinkConflict(f"The {provider} account {subject} is already linked.") from None
        return _link((provider, subject, user_id, now, now, channel_id, scope))

    def unlink(self, provider: str, user_id: str) -> AccountLink | None:
        with self.file.write() as connection:
            row = connection.execute(
                f"DELETE FROM line_account_links WHERE provider = ? AND user_id = ? RETURNING {_LINK_COLUMNS}",
                (provider, user_id),
            ).fetchone()
        return _link(row) if row else None


LINK_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS line_account_links ("
    " provider TEXT NOT NULL, subject TEXT NOT NULL, user_id TEXT NOT NULL,"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, channel_id TEXT, scope TEXT,"
    " PRIMARY KEY (provider, subject), UNIQUE (provider, user_id))",
)

_LINK_COLUMNS = "provider, subject, user_id, created_at, updated_at, channel_id, scope"


def _link(row: tuple[str, str, str, str, str, str | None, str | None]) -> AccountLink:
    provider, subject, user_id, created_at, updated_at, channel_id, scope = row
    return AccountLink(
        provider=provider,
        subject=subject,
        user_id=user_id,
        created_at=datetime.fromisoformat(created_at),
        updated_at=datetime.fromisoformat(updated_at),
        channel_id=channel_id,
        scope=scope,
    )
