"""What a database error means, in one table: every failure a store meets, classified once.

A lost connection, a read-only standby after a failover, a revoked permission, a trigger that raises, a
constraint that is not flask-line's own key: each is a 503 with ``Retry-After`` and one ERROR line naming the
cause. A missing table or column is drift (the schema is checked again). Only a duplicate of flask-line's own key
is left to the caller: a 409 for a link, another look for an attach. PostgreSQL says what happened in its
SQLSTATE; SQLite in its message.
"""

from __future__ import annotations

import enum

from sqlalchemy import exc as sa_errors


class Cause(enum.Enum):
    """Why a statement failed, as the operator should read it in the log."""

    CONNECTION = "the connection was refused, lost or timed out"
    READ_ONLY = "the database is read-only (a standby after a failover?)"
    PERMISSION = "the database user lacks a permission"
    TRIGGER = "a trigger or rule raised an error"
    CONSTRAINT = "a constraint that is not flask-line's own key refused the row"
    MISSING_SCHEMA = "a table or column is missing"
    DUPLICATE_KEY = "the row's key is already taken"
    REFUSED = "the database refused the statement"


#: SQLSTATE classes and codes (PostgreSQL's appendix A), most specific first.
_SQLSTATES: tuple[tuple[str, Cause], ...] = (
    ("25006", Cause.READ_ONLY),
    ("42501", Cause.PERMISSION),
    ("42P01", Cause.MISSING_SCHEMA),
    ("42703", Cause.MISSING_SCHEMA),
    ("23505", Cause.DUPLICATE_KEY),
    ("23", Cause.CONSTRAINT),
    ("P0", Cause.TRIGGER),
    ("08", Cause.CONNECTION),
    ("57P", Cause.CONNECTION),  # the server shut down or restarted
    ("53", Cause.CONNECTION),  # out of connections, memory or disk
    ("40", Cause.CONNECTION),  # a deadlock or serialization failure: try again
)

#: Fragments of SQLite's messages, lower-cased.
_SQLITE_MESSAGES: tuple[tuple[str, Cause], ...] = (
    ("no such table", Cause.MISSING_SCHEMA),
    ("no such column", Cause.MISSING_SCHEMA),
    ("has no column named", Cause.MISSING_SCHEMA),
    ("readonly database", Cause.READ_ONLY),
    ("unique constraint failed", Cause.DUPLICATE_KEY),
    ("constraint failed", Cause.CONSTRAINT),
    ("database is locked", Cause.CONNECTION),
    ("unable to open", Cause.CONNECTION),
    ("disk i/o error", Cause.CONNECTION),
)


def cause_of(error: BaseException, own_tables: frozenset[str]) -> Cause:
    """Why ``error`` (an SQLAlchemy error) happened; a duplicate key counts only on one of ``own_tables``."""
    if isinstance(error, sa_errors.TimeoutError):  # the pool had no connection to give
        return Cause.CONNECTION
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    cause = _by_sqlstate(sqlstate) if sqlstate else _by_message(str(original or error).lower())
    if cause is None:
        invalidated = isinstance(error, sa_errors.DBAPIError) and error.connection_invalidated
        connection_class = isinstance(error, (sa_errors.OperationalError, sa_errors.InterfaceError))
        cause = Cause.CONNECTION if invalidated or connection_class else Cause.REFUSED
    if cause is Cause.DUPLICATE_KEY and _table_of(original, str(original or error)) not in own_tables:
        return Cause.CONSTRAINT  # a site's own unique column (an email taken), not flask-line's key
    return cause


def _by_sqlstate(sqlstate: str) -> Cause | None:
    return next((cause for prefix, cause in _SQLSTATES if sqlstate.startswith(prefix)), None)


def _by_message(message: str) -> Cause | None:
    return next((cause for fragment, cause in _SQLITE_MESSAGES if fragment in message), None)


def _table_of(original: object, message: str) -> str | None:
    """The table a duplicate key is on: PostgreSQL's diagnostics, or SQLite's ``UNIQUE constraint failed: t.c``."""
    diagnostics = getattr(original, "diag", None)
    table = getattr(diagnostics, "table_name", None)
    if table:
        return str(table)
    _, found, columns = message.partition("unique constraint failed: ")
    if not found:
        _, found, columns = message.partition("UNIQUE constraint failed: ")
    return columns.split(".", 1)[0].strip() if found else None
