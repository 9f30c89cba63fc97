"""flask-line's tables as a site manages them: an old schema upgraded, a mismatch named with its fix (never a 500
per request or a misleading 409), ``flask line db create|check|upgrade``, concurrent creators, and Alembic's
autogenerate finding nothing to do. On SQLite (through SQLAlchemy) and on the real PostgreSQL."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_line import LineOAuth, LineUser
from tests.conftest import BrowserClient, follow_login
from tests.test_module import attach


@pytest.fixture
def sql_url(request: pytest.FixtureRequest, tmp_path: Any, database_url: str) -> str:
    """A SQLAlchemy URL (not the embedded store): SQLite through SQLAlchemy, or PostgreSQL."""
    if database_url.startswith("sqlite:///"):
        return "sqlite+pysqlite:///" + database_url.removeprefix("sqlite:///")
    return database_url


def site(url: str, line_app_config: dict[str, Any], tmp_path: Any) -> tuple[Flask, SQLAlchemy]:
    app = Flask("schema_site", instance_path=str(tmp_path / "instance"))
    app.config.update(line_app_config, SQLALCHEMY_DATABASE_URI=url, LINE_DATABASE_URI=url)
    app.test_client_class = BrowserClient
    db = SQLAlchemy(app)

    class Member(db.Model):  # type: ignore[name-defined,misc]
        id = db.Column(db.Integer, primary_key=True)

    line = LineOAuth(app)

    @line.link_user
    def user_for(identity: LineUser, linked_user_id: str | None) -> Any:
        if linked_user_id is not None:
            return db.session.get(Member, int(linked_user_id))
        member = Member()
        db.session.add(member)
        return member

    return app, db


def run_cli(app: Flask, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["line", "db", *args])


def test_an_old_attachments_table_without_active_is_upgraded_on_first_use(make_app, sql_url, line_platform, caplog):
    engine = sa.create_engine(sql_url)
    with engine.begin() as connection:  # flask-line 0.1's table: no "active" column
        connection.execute(
            sa.text(
                "CREATE TABLE line_module_attachments (bot_id VARCHAR(64) PRIMARY KEY, scopes TEXT NOT NULL, "
                "attached_at TIMESTAMP WITH TIME ZONE NOT NULL, attached_by VARCHAR(64), region VARCHAR(16), "
                "basic_search_id VARCHAR(64))"
                if engine.dialect.name == "postgresql"
                else "CREATE TABLE line_module_attachments (bot_id VARCHAR(64) PRIMARY KEY, scopes TEXT NOT NULL, "
                "attached_at DATETIME NOT NULL, attached_by VARCHAR(64), region VARCHAR(16), basic_search_id "
                "VARCHAR(64))"
            )
        )
    caplog.set_level(logging.WARNING, logger="flask_line")
    app = make_app(LINE_DATABASE_URI=sql_url)
    client = app.test_client()
    attach(client, line_platform)
    assert client.post("/send").json["status"] == 200
    assert "added column line_module_attachments.active" in caplog.text


def test_a_missing_column_is_named_with_its_fix_and_the_fix_works(
    sql_url, line_app_config, tmp_path, line_platform, caplog, monkeypatch
):
    monkeypatch.setattr("flask_line._store.sql.SCHEMA_RECHECK_SECONDS", 0)
    app, db = site(sql_url, line_app_config, tmp_path)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE line_account_links"))
            connection.execute(  # the table as a hand-made migration left it: no updated_at
                sa.text(
                    "CREATE TABLE line_account_links (provider VARCHAR(16) NOT NULL, subject VARCHAR(255) NOT NULL, "
                    "user_id VARCHAR(255) NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (provider, subject))"
                )
            )
    caplog.set_level(logging.ERROR, logger="flask_line")
    client = app.test_client()
    answer = follow_login(client, line_platform, user="Brown")
    assert answer.status_code == 503, "not a 500"
    assert "line_account_links.updated_at is missing" in caplog.text and "flask line db upgrade" in caplog.text
    check = run_cli(app, "check")
    assert check.exit_code == 1 and "line_account_links.updated_at is missing" in check.output
    upgrade = run_cli(app, "upgrade")
    assert upgrade.exit_code == 0, upgrade.output
    assert "added column line_account_links.updated_at" in upgrade.output
    assert run_cli(app, "check").exit_code == 0
    assert follow_login(client, line_platform, user="Brown").status_code == 302


def test_a_not_null_column_the_site_added_is_named_not_read_as_already_linked(
    sql_url, line_app_config, tmp_path, line_platform
):
    app, db = site(sql_url, line_app_config, tmp_path)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE line_account_links ADD COLUMN tenant VARCHAR(20) NOT NULL"))
    answer = follow_login(app.test_client(), line_platform, user="Brown")
    assert answer.status_code == 503
    assert (
        "schema_out_of_date"
        in app.test_client().get("/line/login", headers={"Accept": "application/json"}).get_data(as_text=True)
        or answer.status_code == 503
    )
    check = run_cli(app, "check")
    assert check.exit_code == 1 and "line_account_links.tenant is NOT NULL without a default" in check.output


def test_alembic_autogenerate_against_an_up_to_date_database_proposes_nothing(sql_url, line_app_config, tmp_path):
    app, db = site(sql_url, line_app_config, tmp_path)
    with app.app_context():
        db.create_all()
        with db.engine.connect() as connection:
            changes = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert changes == [], "no table of flask-line's is proposed for a drop, and nothing differs"


SITE_MODULE = """
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_line import LineOAuth

app = Flask("deploy", instance_path={instance!r})
app.config.update(SECRET_KEY="x", SQLALCHEMY_DATABASE_URI={url!r})
db = SQLAlchemy(app)
line = LineOAuth(app)
"""


def test_flask_line_db_create_from_several_processes_at_once(sql_url, tmp_path):
    (tmp_path / "deploy_site.py").write_text(SITE_MODULE.format(instance=str(tmp_path / "i"), url=sql_url))
    command = [sys.executable, "-m", "flask", "--app", "deploy_site", "line", "db", "create"]
    creators = [
        subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(4)
    ]
    outputs = [creator.communicate(timeout=60)[0].decode() for creator in creators]
    assert [creator.returncode for creator in creators] == [0, 0, 0, 0], outputs
    check = subprocess.run([*command[:-1], "check"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "up to date" in check.stdout


def test_the_cli_says_so_in_one_line_when_the_database_is_away(line_app_config, tmp_path):
    app, _db = site("postgresql+psycopg://nobody@127.0.0.1:1/none", line_app_config, tmp_path)
    result = run_cli(app, "check")
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "Is the database running" in result.output


ODD_IDS = ["U" + "\x00" * 3, "U" * 300, "U\udcff", "U\nforged", ""]


@pytest.mark.parametrize("bot_id", ODD_IDS)
def test_an_odd_bot_id_is_not_attached_on_every_backend(make_app, database_url, bot_id, line_platform):
    app = make_app(LINE_DATABASE_URI=database_url)
    line = app.extensions["line"]
    with app.app_context():
        with pytest.raises(LookupError):
            line.module.select(bot_id)
        with pytest.raises(LookupError):
            line.module.api(bot_id)
        assert line.module.store.get(bot_id) is None


@pytest.mark.parametrize("user_id", ["1\x00", "x" * 256, "\udcff"])
def test_an_odd_site_user_id_is_a_clean_400_on_every_backend(make_app, database_url, user_id, line_platform):
    app = make_app(LINE_DATABASE_URI=database_url)
    line = app.extensions["line"]

    @line.link_user
    def odd(identity: LineUser, linked_user_id: str | None) -> Any:
        return type("SiteUser", (), {"id": user_id})()

    answer = follow_login(app.test_client(), line_platform, user="Brown")
    assert answer.status_code == 400 and b"Traceback" not in answer.data
    with app.app_context():
        assert line.account_links.find("line", "U4af4980629a1b2c3d4e5f60718293a4b") is None


def test_an_old_links_table_without_channel_id_is_upgraded_and_keeps_its_links(
    make_app, sql_url, line_platform, caplog
):
    engine = sa.create_engine(sql_url)
    stamp = "TIMESTAMP WITH TIME ZONE" if engine.dialect.name == "postgresql" else "DATETIME"
    with engine.begin() as connection:  # the links table before links recorded their channel
        connection.execute(
            sa.text(
                f"CREATE TABLE line_account_links (provider VARCHAR(16) NOT NULL, subject VARCHAR(255) NOT NULL, "
                f"user_id VARCHAR(255) NOT NULL, created_at {stamp} NOT NULL, updated_at {stamp} NOT NULL, "
                "PRIMARY KEY (provider, subject), CONSTRAINT uq_line_account_links_user UNIQUE (provider, user_id))"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO line_account_links VALUES ('line', 'U4af4980629a1b2c3d4e5f60718293a4b', '7', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    caplog.set_level(logging.WARNING, logger="flask_line")
    app = make_app(LINE_DATABASE_URI=sql_url)
    with app.app_context():
        old = app.extensions["line"].account_links.find("line", "U4af4980629a1b2c3d4e5f60718293a4b")
        assert old is not None and old.user_id == "7" and old.channel_id is None
        made = app.extensions["line"].account_links.link(
            "line", "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8", "8", channel_id="1650000000"
        )
        assert made.channel_id == "1650000000"
        assert app.extensions["line"].account_links.for_user("line", "8").channel_id == "1650000000"
    assert "added column line_account_links.channel_id" in caplog.text
