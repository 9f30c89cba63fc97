"""A first sign-in writes the site's new user and its link together, or neither (issue: orphan site users).

With Flask-SQLAlchemy the hook adds the user to ``db.session`` and flask-line commits it with the link; a site
whose users live elsewhere registers ``@line.link_user_undo``. Both on SQLite and on the real PostgreSQL.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event

from flask_line import LineOAuth, LineUser, SQLiteAccountLinks, errors, signals
from tests.conftest import BrowserClient, captured, follow_login


def member_site(database_url: str, line_app_config: dict[str, Any], tmp_path: Any) -> tuple[Flask, SQLAlchemy, Any]:
    """A Flask-SQLAlchemy site whose hook signs LINE users up the documented way (add, no commit)."""
    app = Flask("members", instance_path=str(tmp_path / "instance"))
    app.config.update(line_app_config, SQLALCHEMY_DATABASE_URI=database_url, LINE_DATABASE_URI=database_url)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    app.test_client_class = BrowserClient
    db = SQLAlchemy(app)

    class Member(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(100), nullable=False)

    line = LineOAuth(app)  # no storage given: Flask-SQLAlchemy is found, its metadata and session used

    @line.link_user
    def user_for(identity: LineUser, linked_user_id: str | None) -> Any:
        if linked_user_id is not None:
            return db.session.get(Member, int(linked_user_id))
        member = Member(name=identity.display_name or "LINE user")
        db.session.add(member)
        return member

    @app.get("/me")
    def me() -> Any:
        return jsonify(id=line.site_user_id())

    with app.app_context():
        db.create_all()
    return app, db, Member


def counts(app: Flask, db: SQLAlchemy, member: Any) -> tuple[int, int]:
    with app.app_context():
        links = db.session.execute(db.text("SELECT count(*) FROM line_account_links")).scalar_one()
        users = db.session.query(member).count()
        db.session.remove()
    return users, links


def test_flask_sqlalchemy_is_used_without_being_named(database_url, line_app_config, tmp_path, line_platform):
    app, db, member = member_site(database_url, line_app_config, tmp_path)
    assert "line_account_links" in db.metadata.tables, "flask-line's tables joined the app's metadata"
    client = app.test_client()
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    assert counts(app, db, member) == (1, 1)
    again = app.test_client()
    follow_login(again, line_platform, user="Brown")
    assert again.get("/me").json["id"] == client.get("/me").json["id"] is not None
    assert counts(app, db, member) == (1, 1), "the second sign-in found the first member"


def test_a_link_write_that_fails_after_the_hook_leaves_no_user(database_url, line_app_config, tmp_path, line_platform):
    app, db, member = member_site(database_url, line_app_config, tmp_path)
    with app.app_context():
        engine = db.engine

    def refuse_link_insert(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO LINE_ACCOUNT_LINKS"):
            from sqlalchemy.exc import OperationalError

            raise OperationalError(statement, parameters, Exception("server closed the connection"))

    event.listen(engine, "before_cursor_execute", refuse_link_insert)
    client = app.test_client()
    with captured(signals.login_failed) as failed:
        response = follow_login(client, line_platform, user="Brown")
    assert response.status_code == 503
    assert failed and failed[0]["error"].code == "store_unavailable"
    assert counts(app, db, member) == (0, 0), "the member was rolled back with the link"
    assert client.get("/me").json["id"] is None
    event.remove(engine, "before_cursor_execute", refuse_link_insert)
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    assert counts(app, db, member) == (1, 1), "signing in again makes one member, not a second"


def test_a_hook_that_refuses_leaves_nothing_it_added(database_url, line_app_config, tmp_path, line_platform):
    app, db, member = member_site(database_url, line_app_config, tmp_path)
    line = app.extensions["line"]

    @line.link_user
    def add_then_refuse(identity: LineUser, linked_user_id: str | None) -> Any:
        db.session.add(member(name="half-made"))
        return None

    assert follow_login(app.test_client(), line_platform, user="Brown").status_code == 403
    assert counts(app, db, member) == (0, 0)


def test_concurrent_first_sign_ins_of_one_new_user_make_one_user_and_one_link(
    database_url, line_app_config, tmp_path, line_platform
):
    app, db, member = member_site(database_url, line_app_config, tmp_path)
    clients = [app.test_client() for _ in range(30)]
    backs = []
    for client in clients:  # every browser gets its own consent first: the callbacks then race
        start = client.get("/line/login")
        backs.append(line_platform.consent(start.location, user="Brown"))
    gate = threading.Barrier(len(clients))
    statuses: list[int] = []

    def sign_in(client: Any, back: Any) -> None:
        gate.wait()
        statuses.append(client.get(back.path).status_code)

    threads = [threading.Thread(target=sign_in, args=pair) for pair in zip(clients, backs, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(statuses)) == [302], statuses
    assert counts(app, db, member) == (1, 1)
    ids = {client.get("/me").json["id"] for client in clients}
    with app.app_context():
        linked = db.session.execute(db.text("SELECT user_id FROM line_account_links")).scalar_one()
    assert ids == {linked}, "every browser signed in as the one linked member"


class FlakyLinks(SQLiteAccountLinks):
    """The default link store, whose first write fails as a database that went away would."""

    failures = 1

    def link(self, provider: str, subject: str, user_id: str) -> Any:
        if self.failures:
            self.failures -= 1
            raise errors.StoreUnavailable("The database is unavailable: OperationalError")
        return super().link(provider, subject, user_id)


def test_users_kept_elsewhere_are_undone_when_their_link_cannot_be_written(make_app, line_platform, tmp_path):
    app = Flask("api_members", instance_path=str(tmp_path / "instance"))
    app.config.update(make_app().config)
    line = LineOAuth(app, links=FlakyLinks(tmp_path / "links.sqlite3"))
    members: dict[str, str] = {}  # the site's users, kept by "an API"

    @line.link_user
    def user_for(identity: LineUser, linked_user_id: str | None) -> Any:
        if linked_user_id is not None:
            return type("Member", (), {"id": linked_user_id})()
        member_id = f"api-{len(members) + 1}"
        members[member_id] = identity.user_id
        return type("Member", (), {"id": member_id})()

    @line.link_user_undo
    def forget(user: Any, identity: LineUser) -> None:
        del members[user.id]

    client = app.test_client()
    assert follow_login(client, line_platform, user="Brown").status_code == 503
    assert members == {}, "the member made for the failed link was undone"
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    assert list(members) == ["api-1"], "one member, made by the sign-in that linked"
    with app.app_context():
        assert line.account_links.find("line", members["api-1"]).user_id == "api-1"


@pytest.mark.parametrize(
    "url,warned",
    [("sqlite:///{tmp}/site.sqlite3", False), ("postgresql+psycopg://nobody@127.0.0.1:1/none", True)],
    ids=["sqlite", "postgresql"],
)
def test_the_pool_pre_ping_warning_is_given_only_for_a_database_server(url, warned, tmp_path, caplog):
    app = Flask("pinged", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI=url.format(tmp=tmp_path))
    SQLAlchemy(app)
    LineOAuth(app)
    said = any("pool_pre_ping" in record.getMessage() for record in caplog.records)
    assert said is warned
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    caplog.clear()
    app.extensions["line"].reload_config(app)
    assert not any("pool_pre_ping" in record.getMessage() for record in caplog.records)
