"""One SQLite file shared by threads and processes: WAL journaling, short transactions, clear failures."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ..errors import StoreUnavailable


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
