"""The stores on every backend (SQLite file, SQLAlchemy on SQLite, SQLAlchemy on a real PostgreSQL), the app's
own MetaData, and a database that goes away and comes back."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_line import (
    AccountLinkStore,
    AttachmentStore,
    LineOAuth,
    ModuleAttachment,
    SQLiteAccountLinks,
    SQLiteAttachmentStore,
    errors,
    signals,
)
from flask_line.sqlalchemy import SQLAlchemyStorage
from tests.conftest import captured, follow_login
from tests.postgres import start_postgres
from tests.test_module import BROWN, BROWN_CAFE, attach

# The contract every backend keeps --------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "sqlalchemy-sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Any) -> tuple[AttachmentStore, AccountLinkStore]:
    if request.param == "sqlite":
        path = tmp_path / "stores.sqlite3"
        return SQLiteAttachmentStore(path), SQLiteAccountLinks(path)
    if request.param == "sqlalchemy-sqlite":
        storage = SQLAlchemyStorage(f"sqlite:///{tmp_path / 'sa.sqlite3'}")
    else:
        storage = SQLAlchemyStorage(request.getfixturevalue("postgres").new_database())
    return storage.attachments, storage.links


def attachment(bot_id: str, minutes: int = 0, **changes: Any) -> ModuleAttachment:
    attached_at = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    return ModuleAttachment(bot_id, frozenset(changes.pop("scopes", {"message:send"})), attached_at, **changes)


def test_attachments_round_trip_replace_list_and_delete(stores):
    store, _ = stores
    first = attachment("Ubot1", attached_by="Uadmin", region="JP", basic_search_id="@cafe")
    store.save(first)
    store.save(attachment("Ubot0", minutes=-5, scopes={"message:send", "account:manage"}))
    assert store.get("Ubot1") == first, "every field survives, the time zone too"
    replaced = attachment("Ubot1", minutes=10, scopes={"message:receive"}, active=False)
    store.save(replaced)
    assert store.get("Ubot1") == replaced, "a re-attach replaces in place"
    assert [record.bot_id for record in store.list()] == ["Ubot0", "Ubot1"], "oldest first"
    assert store.delete("Ubot1") is True and store.delete("Ubot1") is False
    assert store.get("Ubot1") is None and store.get("nobody") is None


def test_links_link_find_replace_conflict_and_unlink(stores):
    _, links = stores
    made = links.link("line", "Ubrown", "42")
    assert (made.provider, made.subject, made.user_id) == ("line", "Ubrown", "42")
    assert links.find("line", "Ubrown") == made and links.for_user("line", "42") == made
    assert links.find("works", "Ubrown") is None, "providers never mix"
    again = links.link("line", "Ubrown", "42")
    assert again.created_at == made.created_at and again.updated_at >= made.updated_at
    with pytest.raises(errors.AccountLinkConflict):
        links.link("line", "Ubrown", "7")
    assert links.find("line", "Ubrown").user_id == "42", "a refused link changes nothing"
    links.link("line", "Ucony", "42")
    assert links.find("line", "Ubrown") is None, "a user's new account replaces the old one"
    removed = links.unlink("line", "42")
    assert removed is not None and removed.subject == "Ucony"
    assert links.unlink("line", "42") is None and links.for_user("line", "42") is None


def test_concurrent_links_of_one_account_let_exactly_one_user_win(stores):
    _, links = stores
    outcomes: list[str] = []

    def claim(user_id: str) -> None:
        try:
            links.link("line", "Ucontested", user_id)
            outcomes.append(f"won:{user_id}")
        except errors.AccountLinkConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=claim, args=(str(user),)) for user in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [outcome for outcome in outcomes if outcome.startswith("won")]
    assert len(outcomes) == 10 and len(winners) == 1
    assert links.find("line", "Ucontested").user_id == winners[0].removeprefix("won:")


def test_concurrent_attaches_of_one_bot_leave_one_record(stores):
    store, _ = stores
    failures: list[BaseException] = []

    def save(minute: int) -> None:
        try:
            store.save(attachment("Ushared", minutes=minute))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=save, args=(minute,)) for minute in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [record.bot_id for record in store.list()] == ["Ushared"]


# The app's own MetaData -----------------------------------------------------------------------------------------


def test_the_tables_join_the_apps_metadata_and_its_create_all(postgres, monkeypatch):
    monkeypatch.setattr("flask_line._store.sql.SCHEMA_RECHECK_SECONDS", 0)
    metadata = sa.MetaData()
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
    engine = sa.create_engine(postgres.new_database())
    storage = SQLAlchemyStorage(engine, metadata)
    assert {"users", "line_module_attachments", "line_account_links"} <= set(metadata.tables)
    with pytest.raises(errors.SchemaOutOfDate, match=r"table line_account_links is missing.*flask line db upgrade"):
        storage.links.find("line", "U1")  # the app's migrations own these tables: nothing created behind its back
    metadata.create_all(engine)
    storage.links.link("line", "U1", "1")
    assert storage.links.find("line", "U1").user_id == "1"


def test_flask_sqlalchemy_manages_the_tables_with_the_apps_own(postgres):
    app = Flask("members", instance_path=str(postgres.root / "instance"))
    app.config.update(SQLALCHEMY_DATABASE_URI=postgres.new_database())
    db = SQLAlchemy(app)

    class Member(db.Model):  # type: ignore[name-defined]
        id = db.Column(db.Integer, primary_key=True)

    storage = SQLAlchemyStorage.for_flask_sqlalchemy(db)
    with app.app_context():
        db.create_all()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"member", "line_module_attachments", "line_account_links"} <= tables
        storage.links.link("line", "U1", "1")
        assert storage.links.find("line", "U1") is not None


def test_a_uri_setting_creates_the_tables_on_first_use(make_app, postgres, line_platform):
    app = make_app(LINE_DATABASE_URI=postgres.new_database())
    client = app.test_client()
    attach(client, line_platform)
    with app.app_context():
        assert app.extensions["line"].module.store.get(BROWN_CAFE).attached_by == BROWN


@pytest.mark.parametrize(
    "uri,message",
    [("not a url", "must be a database URL"), ("postgresql+psycopg//missing-colon", "must be a database URL")],
)
def test_a_bad_database_uri_is_a_configuration_error(make_app, uri, message):
    with pytest.raises(errors.ConfigurationError) as raised:
        make_app(LINE_DATABASE_URI=uri)
    assert raised.value.key == "LINE_DATABASE_URI" and message in str(raised.value)


def test_init_app_connects_to_nothing(make_app):
    # A database URL that cannot be reached costs nothing until something is stored or read.
    app = make_app(LINE_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert app.test_client().get("/").status_code == 200


# A database that goes away --------------------------------------------------------------------------------------


@pytest.fixture
def own_postgres() -> Any:
    server = start_postgres()
    yield server
    server.destroy()


def test_a_lost_database_is_a_clean_503_and_everything_recovers(make_app, own_postgres, line_platform, caplog):
    app = make_app(LINE_DATABASE_URI=own_postgres.new_database())
    line = app.extensions["line"]

    @line.link_user
    def user_for(identity: Any, linked_user_id: str | None) -> Any:
        return type("SiteUser", (), {"id": linked_user_id or identity.user_id})()

    admin = app.test_client()
    attach(admin, line_platform)
    assert admin.post("/send").json["status"] == 200

    own_postgres.stop()
    # A protected view that reads the store: a 503 page, JSON for an API client.
    assert admin.post("/send", headers={"Accept": "application/json"}).json["error"] == "store_unavailable"
    page = admin.post("/send")
    assert page.status_code == 503 and b"Traceback" not in page.data
    # A sign-in whose link cannot be read: 503, login_failed, and nobody half-signed-in.
    visitor = app.test_client()
    with captured(signals.login_failed) as failed:
        response = follow_login(visitor, line_platform, user="Cony")
    assert response.status_code == 503 and isinstance(failed[0]["error"], errors.StoreUnavailable)
    assert visitor.get("/profile").status_code == 302
    # An attach LINE completed but we cannot store: retried, then a 503 naming the bot in the log.
    caplog.set_level(logging.WARNING, logger="flask_line")
    with captured(signals.module_attach_failed) as attach_failed:
        failed_attach = attach(admin, line_platform, account="Cony Flowers", admin=None)
    assert failed_attach.status_code == 503
    assert isinstance(attach_failed[0]["error"], errors.AttachmentStoreError)
    assert "NOT stored: bot_id=Uc2a1d3b4e5f60718293a4b5c6d7e8f90" in caplog.text

    own_postgres.start()
    # Recovery needs nothing from anyone: pooled connections are checked and replaced.
    assert admin.post("/send").json["status"] == 200
    assert follow_login(visitor, line_platform, user="Cony").status_code == 302
    assert visitor.get("/profile").json["name"] == "Cony"
    assert attach(admin, line_platform, account="Cony Flowers", admin=None).status_code == 302
    with app.app_context():
        assert {record.bot_id for record in line.module.attachments()} == {
            BROWN_CAFE,
            "Uc2a1d3b4e5f60718293a4b5c6d7e8f90",
        }, "nothing from before the outage was lost"


def test_an_attach_survives_a_short_database_restart(make_app, own_postgres, line_platform):
    app = make_app(LINE_DATABASE_URI=own_postgres.new_database())
    client = app.test_client()
    follow_login(client, line_platform, user="Brown")
    with app.app_context():
        app.extensions["line"].module.attachments()  # the pool holds a connection from before the restart
    own_postgres.stop()
    restart = threading.Timer(0.4, own_postgres.start)
    restart.start()
    try:
        response = attach(client, line_platform, admin=None)
    finally:
        restart.join()
    assert response.status_code == 302, "the save waited for the database instead of losing the record"
    with app.app_context():
        assert app.extensions["line"].module.store.get(BROWN_CAFE) is not None


def test_a_broken_sqlite_file_is_a_clean_503(tmp_path):
    path = tmp_path / "stores.sqlite3"
    store = SQLiteAttachmentStore(path, timeout=0.1)
    locker = sa.create_engine(f"sqlite:///{path}")
    with locker.connect() as connection:
        connection.exec_driver_sql("BEGIN EXCLUSIVE")
        with pytest.raises(errors.StoreUnavailable):
            store.save(attachment("Ubot"))
        connection.exec_driver_sql("ROLLBACK")
    store.save(attachment("Ubot"))
    assert store.get("Ubot") is not None


def test_lineoauth_takes_one_storage_for_both_stores(tmp_path):
    storage = SQLAlchemyStorage(f"sqlite:///{tmp_path / 'both.sqlite3'}")
    line = LineOAuth(storage=storage)
    assert line.store is storage.attachments and line.links is storage.links
