"""The keys of flask-line's tables as the database has them: primary keys and unique constraints.

A table made by hand or by a migration may have every column and still lack its keys: then two racing first
sign-ins can link one LINE account twice, or one site user to two LINE accounts, where the keys would refuse the
second write. ``flask line db check`` names each missing key; ``flask line db upgrade`` adds a missing unique key
as a unique index (what every database can add to a table with rows, when they hold no duplicates), and names a
missing primary key (that is the site's migration to write).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Index, Table, UniqueConstraint, inspect


def add_unique_keys(connection: Connection, tables: Sequence[Table]) -> list[str]:
    """Add each unique key ``tables`` declare and the database lacks, as a unique index; what was done."""
    inspector = inspect(connection)
    done = []
    for table in tables:
        if not inspector.has_table(table.name):
            continue
        present = _present_unique(connection, table)
        for name, columns in _declared_unique(table):
            if frozenset(columns) not in present:
                Index(name, *(table.c[column] for column in columns), unique=True).create(connection)
                done.append(f"added unique index {name} on {table.name} ({', '.join(columns)})")
    return done


def key_problems(connection: Connection, tables: Sequence[Table]) -> list[str]:
    """The primary keys and unique constraints of ``tables`` that the database lacks (empty: none).

    A missing table is not named here (the column check names it).
    """
    inspector = inspect(connection)
    problems = []
    for table in tables:
        if not inspector.has_table(table.name):
            continue
        needed_key = [column.name for column in table.primary_key.columns]
        present_key = inspector.get_pk_constraint(table.name).get("constrained_columns") or []
        if set(present_key) != set(needed_key):
            problems.append(
                f"table {table.name} has primary key ({', '.join(present_key) or 'none'}), "
                f"not ({', '.join(needed_key)})"
            )
        present = _present_unique(connection, table)
        for _, columns in _declared_unique(table):
            if frozenset(columns) not in present:
                problems.append(f"table {table.name} has no unique constraint on ({', '.join(columns)})")
    return problems


def _present_unique(connection: Connection, table: Table) -> set[frozenset[str]]:
    """The column sets the database keeps unique in ``table``: its primary key, unique constraints and indexes."""
    inspector = inspect(connection)
    unique = {frozenset(inspector.get_pk_constraint(table.name).get("constrained_columns") or [])}
    unique |= {frozenset(found["column_names"]) for found in inspector.get_unique_constraints(table.name)}
    unique |= {
        frozenset(name for name in found["column_names"] if name is not None)
        for found in inspector.get_indexes(table.name)
        if found.get("unique")
    }
    return unique


def _declared_unique(table: Table) -> list[tuple[str, list[str]]]:
    """The unique keys ``table`` declares (constraints and unique indexes): their names and columns."""
    found = [
        (
            str(constraint.name or f"uq_{table.name}_{'_'.join(column.name for column in constraint.columns)}"),
            [column.name for column in constraint.columns],
        )
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    found += [(str(index.name), [column.name for column in index.columns]) for index in table.indexes if index.unique]
    return found
