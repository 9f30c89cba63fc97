"""The embedded default session store: one SQLite file, through Flask-Session's server-side interface.

Chosen over cachelib's file cache, which scans every file once it holds 100,000 sessions (seconds per request)
and then evicts the session closest to expiry, signing a live user out. Here a request reads or writes one row
by its key and never lists the store; nothing is evicted to make room; a session that only holds pending
authorizations (an anonymous ``/line/login``) lives ``LINE_PENDING_TTL`` seconds, not the 31 days of a signed-in
one; expired rows are swept outside the request path (a background thread, and ``flask line sweep-sessions``).
The file is created on first use, so ``flask --help`` creates nothing.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask
from flask.sessions import SessionMixin
from flask_session.base import ServerSideSession, ServerSideSessionInterface

from .._log import log
from .._store.sqlite import create_private_file
from .keys import PENDING_KEY

#: Session keys that do not make a session worth keeping beyond a pending sign-in.
_TRANSIENT_KEYS = frozenset({PENDING_KEY, "_permanent"})
#: Rows deleted per sweep statement, so a sweep never holds the write lock for long.
_SWEEP_BATCH = 5000


class SQLiteSessionInterface(ServerSideSessionInterface):  # type: ignore[misc]
    """Server-side sessions in an SQLite file, safe for several threads and worker processes.

    :param path: the database file (created with its folder on first use).
    :param pending_ttl: seconds a session holding only pending authorizations lives (``LINE_PENDING_TTL``).
    :param sweep_interval: seconds between background sweeps of expired sessions (None: no thread).
    """

    # Not a TTL database: Flask-Session then registers ``flask session_cleanup`` for sweeping.
    ttl = False

    def __init__(
        self,
        app: Flask,
        path: str | Path,
        *,
        pending_ttl: float,
        sweep_interval: float | None = 3600.0,
        **options: Any,
    ) -> None:
        super().__init__(app, **options)
        self.path = Path(path)
        self.pending_ttl = pending_ttl
        self.sweep_interval = sweep_interval
        self._local = threading.local()
        self._schema_lock = threading.Lock()
        self._schema_ready_in: int | None = None
        self._sweeper_started_in: int | None = None

    # Storage -------------------------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (made again after a fork: gunicorn workers share nothing)."""
        pid = os.getpid()
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != pid:
            self._ensure_schema(pid)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, no fsync per write
            self._local.connection, self._local.pid = connection, pid
            self._start_sweeper(pid)
        return connection

    def _ensure_schema(self, pid: int) -> None:
        with self._schema_lock:
            if self._schema_ready_in == pid:
                return
            create_private_file(self.path)  # every user's tokens: readable by the app's account only
            with sqlite3.connect(self.path, timeout=30) as connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS flask_line_sessions"
                    " (id TEXT PRIMARY KEY, data BLOB NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID"
                )
                connection.execute(
                    "CREATE INDEX IF NOT EXISTS flask_line_sessions_expiry ON flask_line_sessions (expires_at)"
                )
            self._schema_ready_in = pid

    def _retrieve_session_data(self, store_id: str) -> dict[str, Any] | None:
        row = (
            self._connection()
            .execute("SELECT data FROM flask_line_sessions WHERE id = ? AND expires_at > ?", (store_id, time.time()))
            .fetchone()
        )
        return self.serializer.decode(row[0]) if row else None

    def _delete_session(self, store_id: str) -> None:
        self._connection().execute("DELETE FROM flask_line_sessions WHERE id = ?", (store_id,))

    def _upsert_session(self, session_lifetime: Any, session: ServerSideSession, store_id: str) -> None:
        data = self.serializer.encode(session)
        self._connection().execute(
            "INSERT INTO flask_line_sessions (id, data, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
            (store_id, data, time.time() + self._lifetime(session_lifetime.total_seconds(), session)),
        )

    def extend(self, store_id: str, lifetime: float, session: SessionMixin) -> bool:
        """Make a stored, unexpired session live ``lifetime`` more seconds, its data untouched; False when it is
        no longer stored (see :mod:`.touch`)."""
        now = time.time()
        cursor = self._connection().execute(
            "UPDATE flask_line_sessions SET expires_at = ? WHERE id = ? AND expires_at > ?",
            (now + self._lifetime(lifetime, session), store_id, now),
        )
        return cursor.rowcount == 1

    def _lifetime(self, lifetime: float, session: SessionMixin) -> float:
        if set(session.keys()) <= _TRANSIENT_KEYS:
            return min(lifetime, self.pending_ttl)  # an anonymous sign-in start is not worth 31 days
        return lifetime

    def _delete_expired_sessions(self) -> None:
        self.sweep()

    # Sweeping ------------------------------------------------------------------------------------------------

    def sweep(self) -> int:
        """Delete expired sessions in small batches; return how many."""
        connection = self._connection()
        removed = 0
        while True:
            cursor = connection.execute(
                "DELETE FROM flask_line_sessions WHERE id IN"
                " (SELECT id FROM flask_line_sessions WHERE expires_at <= ? LIMIT ?)",
                (time.time(), _SWEEP_BATCH),
            )
            removed += cursor.rowcount
            if cursor.rowcount < _SWEEP_BATCH:
                return removed

    def _start_sweeper(self, pid: int) -> None:
        if self.sweep_interval is None or self._sweeper_started_in == pid:
            return
        self._sweeper_started_in = pid
        interval = self.sweep_interval

        def sweep_forever() -> None:
            while True:
                time.sleep(interval)
                try:
                    removed = self.sweep()
                except sqlite3.Error as error:  # a busy or moved file: try again next time
                    log.warning("Session sweep failed: %s", error)
                else:
                    log.debug("Session sweep removed %d expired sessions", removed)

        threading.Thread(target=sweep_forever, name="flask-line-session-sweeper", daemon=True).start()
