"""flask-line's tables as the database has them: what differs from what this version needs, and the fix.

Used at a store's first use (a schema that does not match is one clear error naming the table, the column and
the command, never a 500 per request) and by ``flask line db check|create|upgrade``. Creating is safe when
several workers or hosts start at once: on PostgreSQL it holds an advisory lock, elsewhere a concurrent creator's
tables are accepted. Columns are added with SQLAlchemy's own DDL (``CreateColumn``), never hand-written SQL.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy import exc as sa_errors
from sqlalchemy.schema import CreateColumn

#: The PostgreSQL advisory lock key flask-line's DDL holds (any constant of the app's choosing would do).
ADVISORY_LOCK_KEY = 0x11E1_F1A5

#: The command that brings flask-line's tables up to date (without Alembic).
UPGRADE_COMMAND = "flask line db upgrade"


def schema_problems(connection: Connection, tables: Sequence[Table]) -> list[str]:
    """What stops this version from using ``tables`` as the database has them (empty: nothing)."""
    inspector = inspect(connection)
    problems = []
    for table in tables:
        if not inspector.has_table(table.name):
            problems.append(f"table {table.name} is missing")
            continue
        present = {column["name"]: column for column in inspector.get_columns(table.name)}
        needed = [column.name for column in table.columns]
        problems += [f"column {table.name}.{name} is missing" for name in needed if name not in present]
        problems += [
            f"column {table.name}.{name} is NOT NULL without a default, so flask-line cannot insert rows"
            for name, column in present.items()
            if name not in table.columns
            and not column["nullable"]
            and column.get("default") is None
            and not column.get("autoincrement", False)
        ]
    return problems


def create_tables(engine: Engine, metadata: MetaData, tables: Sequence[Table]) -> None:
    """Create whichever of ``tables`` are missing; safe when several processes do it at once."""
    for attempt in range(CREATE_ATTEMPTS):
        try:
            with engine.begin() as connection:
                _hold_ddl_lock(connection)
                metadata.create_all(connection, tables=list(tables), checkfirst=True)
            return
        except (sa_errors.IntegrityError, sa_errors.ProgrammingError, sa_errors.OperationalError):
            # Without the lock (not PostgreSQL), another process created a table between our check and our
            # CREATE, or holds the file's lock: look again, and the tables it made are accepted.
            if attempt == CREATE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


#: How often a creator racing others looks again before giving up.
CREATE_ATTEMPTS = 5


def upgrade(engine: Engine, metadata: MetaData, tables: Sequence[Table]) -> list[str]:
    """Create missing tables and add missing columns; return what was done (empty: it was up to date)."""
    done: list[str] = []
    with engine.begin() as connection:
        _hold_ddl_lock(connection)
        inspector = inspect(connection)
        missing_tables = [table for table in tables if not inspector.has_table(table.name)]
        metadata.create_all(connection, tables=missing_tables, checkfirst=True)
        done += [f"created table {table.name}" for table in missing_tables]
        for table in tables:
            if table in missing_tables:
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    definition = CreateColumn(column).compile(dialect=connection.dialect)
                    quoted = connection.dialect.identifier_preparer.format_table(table)
                    connection.execute(text(f"ALTER TABLE {quoted} ADD COLUMN {definition}"))
                    done.append(f"added column {table.name}.{column.name}")
    return done


def _hold_ddl_lock(connection: Connection) -> None:
    """On PostgreSQL, wait for any other process's DDL on flask-line's tables (released at commit)."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
