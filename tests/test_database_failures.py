"""Every way a database can refuse a first sign-in is a 503 with ``Retry-After``, one ERROR line naming the
cause, and nothing half-written; only a genuine duplicate link is a 409 (issue 33). On the suite's PostgreSQL
and, where SQLite can fail the same way, on SQLite too."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import make_url

from flask_line import errors, signals
from flask_line._runtime import runtime
from tests.conftest import captured, follow_login
from tests.test_linking_transaction import counts, member_site


def run_sql(app: Flask, db: SQLAlchemy, *statements: str) -> None:
    with app.app_context():
        for statement in statements:
            db.session.execute(db.text(statement))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # new connections see the new settings


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "flask_line" and r.levelno >= logging.ERROR]


def refused_first_sign_in(app: Flask, db: SQLAlchemy, member: Any, line_platform: Any, caplog: Any) -> Any:
    """A first sign-in that the database refuses: a 503 page, a failure signal, nobody signed in, nothing written."""
    caplog.set_level(logging.INFO, logger="flask_line")
    client = app.test_client()
    with captured(signals.login_failed) as failed:
        answer = follow_login(client, line_platform, user="Brown")
    assert answer.status_code == 503, answer.get_data(as_text=True)[:300]
    assert answer.headers["Retry-After"]
    assert "Traceback" not in answer.get_data(as_text=True)
    assert failed and failed[0]["error"].status_code == 503
    assert counts(app, db, member) == (0, 0), "no site user, no link"
    assert client.get("/me").json["id"] is None
    return answer


def test_a_read_only_database_after_a_failover_is_a_503(postgres, line_app_config, tmp_path, line_platform, caplog):
    url = postgres.new_database()
    app, db, member = member_site(url, line_app_config, tmp_path)
    name = make_url(url).database
    run_sql(app, db, f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    refused_first_sign_in(app, db, member, line_platform, caplog)
    assert [line for line in errors_logged(caplog) if "read-only" in line], errors_logged(caplog)
    run_sql(app, db, "SET TRANSACTION READ WRITE", f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    assert follow_login(app.test_client(), line_platform, user="Brown").status_code == 302
    assert counts(app, db, member) == (1, 1)
    assert any("works again" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_a_trigger_that_raises_is_a_503(database_url, line_app_config, tmp_path, line_platform, caplog):
    app, db, member = member_site(database_url, line_app_config, tmp_path)
    if database_url.startswith("sqlite"):
        run_sql(app, db, "CREATE TRIGGER refuse BEFORE INSERT ON member BEGIN SELECT RAISE(ABORT, 'closed'); END")
    else:
        run_sql(
            app,
            db,
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'closed'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE INSERT ON member FOR EACH ROW EXECUTE FUNCTION refuse()",
        )
    refused_first_sign_in(app, db, member, line_platform, caplog)
    assert len(errors_logged(caplog)) == 1


def test_a_check_constraint_on_the_link_is_a_503_not_already_linked(
    postgres, line_app_config, tmp_path, line_platform, caplog
):
    app, db, member = member_site(postgres.new_database(), line_app_config, tmp_path)
    run_sql(app, db, "ALTER TABLE line_account_links ADD CONSTRAINT short_subjects CHECK (length(subject) < 5)")
    answer = refused_first_sign_in(app, db, member, line_platform, caplog)
    assert "already linked" not in answer.get_data(as_text=True)
    assert [line for line in errors_logged(caplog) if "constraint" in line]


def test_a_revoked_permission_is_a_503(postgres, line_app_config, tmp_path, line_platform, caplog):
    url = make_url(postgres.new_database())
    owner_app, owner_db, member = member_site(url.render_as_string(hide_password=False), line_app_config, tmp_path)
    run_sql(
        owner_app,
        owner_db,
        "DO $$ BEGIN CREATE ROLE clerk LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON member TO clerk",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO clerk",
        "GRANT SELECT ON line_account_links, line_module_attachments TO clerk",  # no INSERT on the links
    )
    clerk_url = url.set(username="clerk").render_as_string(hide_password=False)
    app, db, _ = member_site(clerk_url, line_app_config, tmp_path / "clerk")
    refused_first_sign_in(app, db, member, line_platform, caplog)
    assert [line for line in errors_logged(caplog) if "permission" in line]
    assert counts(owner_app, owner_db, member) == (0, 0)


def test_a_genuine_duplicate_link_is_still_a_409(database_url, line_app_config, tmp_path, line_platform):
    app, _db, _member = member_site(database_url, line_app_config, tmp_path)
    links = runtime(app).accounts.links
    with app.app_context():
        assert links.link("line", "U" + "1" * 32, "7").user_id == "7"
        with pytest.raises(errors.AccountLinkConflict) as refused:
            links.link("line", "U" + "1" * 32, "8")
    assert refused.value.status_code == 409


def test_a_column_dropped_while_running_is_a_503_then_recovers_after_the_upgrade(
    database_url, line_app_config, tmp_path, line_platform, caplog
):
    app, db, member = member_site(database_url, line_app_config, tmp_path)
    assert follow_login(app.test_client(), line_platform, user="Brown").status_code == 302
    run_sql(app, db, "ALTER TABLE line_account_links DROP COLUMN scope")
    caplog.set_level(logging.INFO, logger="flask_line")
    for _ in range(3):
        answer = follow_login(app.test_client(), line_platform, user="Cony")
        assert answer.status_code == 503
    logged = errors_logged(caplog)
    assert len(logged) == 1, logged
    assert "line_account_links.scope is missing" in logged[0] and "flask line db upgrade" in logged[0]
    result = app.test_cli_runner().invoke(args=["line", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert follow_login(app.test_client(), line_platform, user="Cony").status_code == 302
    assert counts(app, db, member) == (2, 2)


def test_the_sites_own_missing_table_is_named_with_create_all(
    database_url, line_app_config, tmp_path, line_platform, caplog
):
    app, db, _member = member_site(database_url, line_app_config, tmp_path)
    run_sql(app, db, "DROP TABLE member")
    caplog.set_level(logging.INFO, logger="flask_line")
    answer = follow_login(app.test_client(), line_platform, user="Brown")
    assert answer.status_code == 503
    logged = errors_logged(caplog)
    assert any("member is missing" in line and "db.create_all()" in line for line in logged), logged
    with app.app_context():
        db.create_all()
    assert follow_login(app.test_client(), line_platform, user="Brown").status_code == 302
