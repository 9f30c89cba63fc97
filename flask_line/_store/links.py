"""Account links: which site user a LINE user id (or LINE WORKS member id) belongs to."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..errors import AccountLinkConflict
from .attachments import utc_now
from .sqlite import SQLiteFile

#: ``provider`` of a LINE Login identity (its ``subject`` is the LINE user id).
LINE = "line"
#: ``provider`` of a LINE WORKS identity (its ``subject`` is the member id).
WORKS = "works"


@dataclass(frozen=True)
class AccountLink:
    """One LINE or LINE WORKS account linked to one site user."""

    #: ``"line"`` or ``"works"``.
    provider: str
    #: The LINE user id, or the LINE WORKS member id.
    subject: str
    #: The site user's id, as text (``get_id()`` of a Flask-Login user).
    user_id: str
    created_at: datetime
    #: When the link was last made or confirmed (linking the same account to the same user again).
    updated_at: datetime
    #: The LINE Login channel the account was first linked through (None: LINE WORKS, or a link made before
    #: flask-line recorded it). LINE user ids are per provider, so channels of one provider share them.
    channel_id: str | None = None
    #: Which channels may use the link: ``"provider:<id>"`` (every channel of a LINE provider),
    #: ``"channel:<id>"`` (one channel that declared no provider), or None (LINE WORKS, or made before scopes).
    scope: str | None = None


@runtime_checkable
class AccountLinkStore(Protocol):
    """The storage interface of account links: one account per provider per site user, one user per account."""

    def find(self, provider: str, subject: str) -> AccountLink | None:
        """The link of this LINE account, or None."""

    def for_user(self, provider: str, user_id: str) -> AccountLink | None:
        """The site user's link for ``provider``, or None."""

    def link(
        self,
        provider: str,
        subject: str,
        user_id: str,
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> AccountLink:
        """Link the account to the user in one transaction, replacing the user's previous account of ``provider``.

        ``channel_id`` (the LINE Login channel of the sign-in) and ``scope`` (which channels may use the link) are
        recorded with a new link; a store whose ``link`` takes neither is still accepted, and keeps neither (its
        links then read as made before scopes: usable at the channel of a single-channel app).

        :raises ~flask_line.errors.AccountLinkConflict: the account is linked to another user.
        """

    def unlink(self, provider: str, user_id: str) -> AccountLink | None:
        """Remove the user's link for ``provider``; return what was removed."""


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


def check_same_user(existing: AccountLink, user_id: str) -> None:
    """Raise :class:`AccountLinkConflict` when ``existing`` belongs to a user other than ``user_id``."""
    if existing.user_id != user_id:
        raise AccountLinkConflict(
            f"The {existing.provider} account {existing.subject} is linked to another site user; refusing to move it."
        )


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
