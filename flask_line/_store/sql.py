"""The SQLAlchemy stores (``flask-line[sqlalchemy]``): PostgreSQL, or any database the app already runs.

The tables are SQLAlchemy Core tables on a ``MetaData`` of your choice, so Flask-SQLAlchemy's ``db.create_all()``
and Alembic manage them with the app's own tables. Every write is one transaction; a lost connection raises
:class:`~flask_line.errors.StoreUnavailable` (a 503), and the pool reconnects once the database is back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any, NoReturn

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    insert,
    make_url,
    select,
    true,
    update,
)
from sqlalchemy import exc as sa_errors

from .._log import Episodes, log
from ..errors import AccountLinkConflict, SchemaOutOfDate, StoreUnavailable
from .abilities import may_replace
from .attachments import ModuleAttachment, decode_scopes, encode_scopes, utc_now
from .failures import Cause, cause_of
from .links import AccountLink, check_same_user
from .schema import UPGRADE_COMMAND, create_tables, schema_problems, upgrade
from .schema_keys import add_unique_keys, key_problems

ATTACHMENTS_TABLE = "line_module_attachments"
LINKS_TABLE = "line_account_links"

#: Seconds to wait for a new database connection before answering 503 (engines built from a URI).
CONNECT_TIMEOUT = 5


def line_tables(metadata: MetaData) -> tuple[Table, Table]:
    """flask-line's two tables on ``metadata`` (defined once; calling again returns the same tables)."""
    if ATTACHMENTS_TABLE in metadata.tables:
        return metadata.tables[ATTACHMENTS_TABLE], metadata.tables[LINKS_TABLE]
    attachments = Table(
        ATTACHMENTS_TABLE,
        metadata,
        Column("bot_id", String(64), primary_key=True),
        Column("scopes", Text, nullable=False),
        Column("attached_at", DateTime(timezone=True), nullable=False),
        Column("attached_by", String(64)),
        Column("region", String(16)),
        Column("basic_search_id", String(64)),
        Column("active", Boolean, nullable=False, server_default=true()),
        Column("state_changed_at", DateTime(timezone=True)),
    )
    links = Table(
        LINKS_TABLE,
        metadata,
        Column("provider", String(16), primary_key=True),
        Column("subject", String(255), primary_key=True),
        Column("user_id", String(255), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("channel_id", String(32)),
        Column("scope", String(255)),
        UniqueConstraint("provider", "user_id", name="uq_line_account_links_user"),
    )
    return attachments, links


EngineSource = Engine | str | Callable[[], Engine]


class Database:
    """An engine (given, made from a URL on first use, or asked for each time), and the tables on it.

    :param create_tables: create (and upgrade) missing tables on first use (default: only when flask-line owns
        ``metadata``); otherwise the app's migrations or ``flask line db`` do, and a mismatch is a clear error.
    """

    def __init__(self, engine: EngineSource, metadata: MetaData | None, create_tables: bool | None) -> None:
        self._source = engine
        self._engine: Engine | None = engine if isinstance(engine, Engine) else None
        self.metadata = metadata if metadata is not None else MetaData()
        self.attachments, self.links = line_tables(self.metadata)
        self._create = create_tables if create_tables is not None else metadata is None
        self._engine_lock = threading.Lock()
        self._tables_lock = threading.Lock()
        self._schema_ok = False
        self._recheck_at = 0.0
        self._problem_text = ""
        #: The names of flask-line's own tables (a duplicate key elsewhere is the site's constraint, not ours).
        self.own_table_names = frozenset({self.attachments.name, self.links.name})
        #: One ERROR when the database starts failing, one WARNING when it works again.
        self.episodes = Episodes("flask-line's database", "sign-ins, links and attaches get 503 until it works again")

    @property
    def engine(self) -> Engine:
        """The engine; one made from a URL checks each pooled connection before use (survives restarts)."""
        if self._engine is not None:
            return self._engine
        if callable(self._source):
            return self._source()  # Flask-SQLAlchemy's db.engine belongs to the current app
        with self._engine_lock:
            if self._engine is None:
                self._engine = engine_from_url(str(self._source))
        return self._engine

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction. Its failures are classified (:mod:`~flask_line._store.failures`): a database that
        cannot be used raises :class:`StoreUnavailable`, drifted tables :class:`SchemaOutOfDate`, and only a
        duplicate of flask-line's own key is raised as it came (``IntegrityError``)."""
        with self.failures_classified():
            if not self._schema_ok:
                self._check_schema()
            with self.engine.begin() as connection:
                yield connection

    @contextmanager
    def failures_classified(self) -> Iterator[None]:
        """Classify the database errors of the block (see :meth:`transaction`); one that ends well is a call that
        reached the database and worked (the end of an outage episode)."""
        try:
            yield
        except (sa_errors.DBAPIError, sa_errors.TimeoutError) as error:
            cause = cause_of(error, self.own_table_names)
            if cause is Cause.DUPLICATE_KEY:
                raise
            if cause is Cause.MISSING_SCHEMA:
                with suppress(sa_errors.DBAPIError):  # the database failing again is the 503 below
                    self._drifted(error)
            self.episodes.failed(cause.value)
            raise StoreUnavailable(f"The database cannot be used: {cause.value}.") from error
        self.episodes.worked()

    def _drifted(self, error: BaseException) -> None:
        """A statement met a missing table or column: check the schema again now (it changed while running)."""
        with self._tables_lock:
            self._schema_ok, self._recheck_at = False, 0.0
        self._check_schema()  # raises SchemaOutOfDate naming what is missing and the fix
        missing = self.site_problems()
        if not missing:  # a table or column outside the shared MetaData: the database's own words say which
            missing = [str(getattr(error, "orig", error)).splitlines()[0]]
        self._report(f"The site's own tables do not match its code: {'; '.join(missing)}. {SITE_TABLES_ADVICE}")

    def _check_schema(self) -> None:
        """At first use: create (and, when flask-line owns them, upgrade) the tables, then compare them."""
        with self._tables_lock:
            if self._schema_ok:
                return
            if time.monotonic() < self._recheck_at:
                raise SchemaOutOfDate(self._problem_text)
            tables = [self.attachments, self.links]
            if self._create:
                create_tables(self.engine, self.metadata, tables)
                for change in upgrade(self.engine, self.metadata, tables):
                    log.warning("flask-line upgraded its tables: %s", change)
            with self.engine.connect() as connection:
                problems = schema_problems(connection, tables)
            if not problems:
                self._schema_ok = True
                return
            self._recheck_at = time.monotonic() + SCHEMA_RECHECK_SECONDS
            site = self.site_problems()
            advice = f" The site's own tables are missing too ({'; '.join(site)}): {SITE_TABLES_ADVICE}" if site else ""
            self._report(
                f"flask-line's tables do not match this version: {'; '.join(problems)}. Run `{UPGRADE_COMMAND}` "
                "(or, with Flask-Migrate or Alembic, generate and apply a migration: the tables are in your "
                f"MetaData).{advice}"
            )

    def _report(self, problem: str) -> NoReturn:
        """Log ``problem`` (once while it stays the same: drift lasts, one ERROR is enough) and refuse with it."""
        if problem != self._problem_text:
            self._problem_text = problem
            log.error("%s", problem)
        raise SchemaOutOfDate(problem)

    def site_problems(self) -> list[str]:
        """The site's own tables on the shared ``MetaData`` that the database lacks (empty: none, or not shared)."""
        site_tables = [table for table in self.metadata.sorted_tables if table.name not in self.own_table_names]
        if not site_tables:
            return []
        with self.engine.connect() as connection:
            return schema_problems(connection, site_tables)

    def problems(self) -> list[str]:
        """What differs between the database and this version's tables, their keys included (``flask line db
        check``)."""
        tables = [self.attachments, self.links]
        with unavailable_as_503(), self.engine.connect() as connection:
            return schema_problems(connection, tables) + key_problems(connection, tables)

    def create(self) -> None:
        """Create the missing tables (``flask line db create``): safe from several processes at once."""
        with unavailable_as_503():
            create_tables(self.engine, self.metadata, [self.attachments, self.links])

    def upgrade(self) -> list[str]:
        """Create missing tables, add missing columns and unique keys (``flask line db upgrade``); what was done.

        A missing primary key is not added (that is the site's migration): :meth:`problems` names it.
        """
        tables = [self.attachments, self.links]
        with unavailable_as_503():
            done = upgrade(self.engine, self.metadata, tables)
            with self.engine.begin() as connection:
                done += add_unique_keys(connection, tables)
        with self._tables_lock:
            self._schema_ok, self._recheck_at = False, 0.0  # the next use checks again at once
        return done


#: What creates the site's own tables (flask-line's command creates only flask-line's).
SITE_TABLES_ADVICE = (
    "create them with the site's migrations (`flask db upgrade` with Flask-Migrate) or `db.create_all()` in an app "
    "context; `flask line db upgrade` creates only flask-line's tables"
)

#: Seconds between checks of a schema found out of date (so fixing it needs no restart, and a broken schema costs
#: one inspection per interval, not one per request).
SCHEMA_RECHECK_SECONDS = 2.0


def engine_from_url(url: str) -> Engine:
    """An engine for ``url`` with pre-ping (a restarted database costs no failed request) and a connect timeout."""
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


@contextmanager
def unavailable_as_503() -> Iterator[None]:
    """Turn "the database is gone" (refused, dropped, timed out) into :class:`StoreUnavailable`."""
    try:
        yield
    except (sa_errors.OperationalError, sa_errors.InterfaceError, sa_errors.TimeoutError) as error:
        cause = getattr(error, "orig", None) or error
        raise StoreUnavailable(f"The database is unavailable: {type(cause).__name__}") from error
    except sa_errors.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        raise StoreUnavailable("The database connection was lost.") from error


class SQLAlchemyAttachmentStore:
    """Module attachments in an SQLAlchemy table (see :class:`~flask_line.sqlalchemy.SQLAlchemyStorage`)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = database.attachments

    def save(self, attachment: ModuleAttachment) -> None:
        values = _attachment_values(attachment)
        statement = update(self.table).where(self.table.c.bot_id == attachment.bot_id).values(values)
        try:
            self._update_or_insert(statement, {"bot_id": attachment.bot_id, **values})
        except sa_errors.IntegrityError:
            # Another worker inserted the same bot between our update and insert: now the update finds it.
            self._update_or_insert(statement, {"bot_id": attachment.bot_id, **values})

    def claim(self, attachment: ModuleAttachment) -> ModuleAttachment:
        """Save ``attachment`` unless another admin owns its bot; return what is stored (one transaction; of two
        concurrent first claims, the second finds the first's row)."""
        for last_try in (False, True):
            try:
                with self.database.transaction() as connection:
                    row = connection.execute(
                        select(self.table).where(self.table.c.bot_id == attachment.bot_id).with_for_update()
                    ).first()
                    owner = _attachment(row._mapping) if row else None
                    if owner is not None and not may_replace(owner, attachment):
                        return owner
                    values = _attachment_values(attachment)
                    if owner is None:
                        connection.execute(insert(self.table).values(bot_id=attachment.bot_id, **values))
                    else:
                        connection.execute(
                            update(self.table).where(self.table.c.bot_id == attachment.bot_id).values(values)
                        )
                return attachment
            except sa_errors.IntegrityError:
                if last_try:
                    raise
        raise AssertionError("unreachable")

    def _update_or_insert(self, statement: Any, row: dict[str, Any]) -> None:
        with self.database.transaction() as connection:
            if connection.execute(statement).rowcount == 0:
                connection.execute(insert(self.table).values(row))

    def get(self, bot_id: str) -> ModuleAttachment | None:
        with self.database.transaction() as connection:
            row = connection.execute(select(self.table).where(self.table.c.bot_id == bot_id)).first()
        return _attachment(row._mapping) if row else None

    def delete(self, bot_id: str) -> bool:
        with self.database.transaction() as connection:
            result = connection.execute(delete(self.table).where(self.table.c.bot_id == bot_id))
        return result.rowcount > 0

    def list(self) -> list[ModuleAttachment]:
        with self.database.transaction() as connection:
            rows = connection.execute(select(self.table).order_by(self.table.c.attached_at)).all()
        return [_attachment(row._mapping) for row in rows]


class SQLAlchemyAccountLinks:
    """Account links in an SQLAlchemy table (see :class:`~flask_line.sqlalchemy.SQLAlchemyStorage`)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = database.links

    def find(self, provider: str, subject: str) -> AccountLink | None:
        return self._one(self.table.c.provider == provider, self.table.c.subject == subject)

    def for_user(self, provider: str, user_id: str) -> AccountLink | None:
        return self._one(self.table.c.provider == provider, self.table.c.user_id == user_id)

    def _one(self, *where: Any) -> AccountLink | None:
        with self.database.transaction() as connection:
            row = connection.execute(select(self.table).where(*where)).first()
        return _link(row._mapping) if row else None

    def link(
        self,
        provider: str,
        subject: str,
        user_id: str,
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> AccountLink:
        table, now = self.table, utc_now()
        this_account = (table.c.provider == provider, table.c.subject == subject)
        try:
            with self.database.transaction() as connection:
                row = connection.execute(select(table).where(*this_account).with_for_update()).first()
                if row is not None:
                    check_same_user(_link(row._mapping), user_id)
                    connection.execute(update(table).where(*this_account).values(updated_at=now))
                    return _link({**row._mapping, "updated_at": now})
                connection.execute(delete(table).where(table.c.provider == provider, table.c.user_id == user_id))
                link = AccountLink(provider, subject, user_id, now, now, channel_id, scope)
                connection.execute(insert(table).values(**asdict(link)))
        except sa_errors.IntegrityError:
            # Linked by someone else between our read and our insert.
            raise AccountLinkConflict(f"The {provider} account {subject} is already linked.") from None
        return link

    def unlink(self, provider: str, user_id: str) -> AccountLink | None:
        where = (self.table.c.provider == provider, self.table.c.user_id == user_id)
        with self.database.transaction() as connection:
            row = connection.execute(select(self.table).where(*where).with_for_update()).first()
            if row is not None:
                connection.execute(delete(self.table).where(*where))
        return _link(row._mapping) if row else None


class SQLAlchemySiteUserLinks(SQLAlchemyAccountLinks):
    """Account links sharing the site's ORM session (Flask-SQLAlchemy's ``db.session``): a first sign-in writes
    the site's new user and its link in one transaction (:meth:`link_new_user`)."""

    def __init__(self, database: Database, orm_session: Callable[[], Any]) -> None:
        super().__init__(database)
        self._orm_session = orm_session

    def link_new_user(
        self,
        provider: str,
        subject: str,
        make_user: Callable[[], Any],
        id_of: Callable[[Any], str],
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> tuple[Any, AccountLink]:
        """Write the user ``make_user`` adds to the site's ORM session and its link, in one transaction.

        ``make_user`` (the ``@line.link_user`` hook) adds the user and does not commit; this flushes it (so it has
        an id), adds the link, and commits once. Any failure rolls both back.

        :raises ~flask_line.errors.AccountLinkConflict: the account was linked meanwhile (nothing was written).
        :raises ~flask_line.errors.StoreUnavailable: the database is away (nothing was written).
        """
        session = self._orm_session()
        now = utc_now()
        try:
            with self.database.failures_classified():
                user = make_user()
                session.flush()  # the new user's id, from the database
                link = AccountLink(provider, subject, id_of(user), now, now, channel_id, scope)
                try:
                    with session.begin_nested():  # a savepoint: only the link's own failure is a conflict
                        session.execute(insert(self.table).values(**asdict(link)))
                except sa_errors.IntegrityError as error:
                    if cause_of(error, self.database.own_table_names) is not Cause.DUPLICATE_KEY:
                        raise  # a CHECK, a trigger: not "already linked" (classified as a 503 above)
                    raise AccountLinkConflict(f"The {provider} account {subject} is already linked.") from None
                session.commit()
        except BaseException:
            session.rollback()
            raise
        return user, link


def _attachment_values(attachment: ModuleAttachment) -> dict[str, Any]:
    return {
        "scopes": encode_scopes(attachment.scopes),
        "attached_at": attachment.attached_at,
        "attached_by": attachment.attached_by,
        "region": attachment.region,
        "basic_search_id": attachment.basic_search_id,
        "active": attachment.active,
        "state_changed_at": attachment.state_changed_at,
    }


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; we store UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _attachment(row: Any) -> ModuleAttachment:
    return ModuleAttachment(
        bot_id=row["bot_id"],
        scopes=decode_scopes(row["scopes"]),
        attached_at=_aware(row["attached_at"]),
        attached_by=row["attached_by"],
        region=row["region"],
        basic_search_id=row["basic_search_id"],
        active=bool(row["active"]),
        state_changed_at=_aware(row["state_changed_at"]) if row["state_changed_at"] is not None else None,
    )


def _link(row: Any) -> AccountLink:
    return AccountLink(
        provider=row["provider"],
        subject=row["subject"],
        user_id=row["user_id"],
        created_at=_aware(row["created_at"]),
        updated_at=_aware(row["updated_at"]),
        channel_id=row.get("channel_id"),
        scope=row.get("scope"),
    )


class SQLAlchemyStorage:
    """Both of flask-line's stores on one SQLAlchemy engine: pass it as ``LineOAuth(app, storage=...)``.

    :param engine: an ``Engine``, a database URL, or a function returning the engine (asked on each use, so
        it may belong to the current app).
    :param metadata: the ``MetaData`` the two tables join (default: flask-line's own).
    :param create_tables: create missing tables on first use; default True only when ``metadata`` is not given
        (with your own ``MetaData``, your ``create_all()`` or migrations create them).
    :param session: a function returning the site's ORM session (Flask-SQLAlchemy's ``db.session``, a
        ``scoped_session``): a first sign-in then writes the site's user and its link in one transaction.
    """

    def __init__(
        self,
        engine: EngineSource,
        metadata: MetaData | None = None,
        *,
        create_tables: bool | None = None,
        session: Callable[[], Any] | None = None,
    ) -> None:
        database = Database(engine, metadata, create_tables)
        self.database = database
        #: The module attachment store.
        self.attachments = SQLAlchemyAttachmentStore(database)
        #: The account-link store (writing a first sign-in's user with its link when ``session`` is given).
        self.links = (
            SQLAlchemySiteUserLinks(database, session) if session is not None else SQLAlchemyAccountLinks(database)
        )
        #: The tables: ``line_module_attachments`` and ``line_account_links``.
        self.tables: tuple[Table, Table] = (database.attachments, database.links)

    @classmethod
    def for_flask_sqlalchemy(cls, db: Any) -> SQLAlchemyStorage:
        """The storage of a Flask-SQLAlchemy ``db``: its engine for the current app, its ``metadata`` (so
        Flask-Migrate and ``db.create_all()`` see the tables), and its ``db.session`` (a first sign-in's user and
        link in one transaction)."""
        return cls(lambda: db.engine, db.metadata, session=lambda: db.session)
