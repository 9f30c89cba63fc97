"""flask-line's log lines cannot be forged or flooded: exception text and tracebacks are escaped, the proxy warning
is logged once, and ``flask line db check`` names missing keys and prints the database's names escaped."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import request

from flask_line import LoginChannel
from flask_line._log import log
from flask_line.testing import EmulatorServer
from flask_line.testing.accounts import EmulatedUser

from .conftest import AppFactory, follow_login

FORGED = "FORGED 2026-01-01 INFO admin signed in"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What flask-line's logger writes through a plain text handler (as a server's log file would read)."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    try:
        yield output
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


def assert_not_forged(text: str) -> None:
    assert FORGED in text, "the text was logged"
    assert not any(line.startswith(FORGED) for line in text.splitlines()), "on a line of its own"
    [carrier] = [line for line in text.splitlines() if FORGED in line]
    assert "Traceback" in carrier or "raise" in carrier, "it stays on the traceback's line"


def test_a_newline_in_a_channel_loader_exception_stays_on_one_log_line(make_app: AppFactory, log_output):
    app = make_app()

    @app.extensions["line"].channel_loader
    def shop_channel() -> LoginChannel:
        raise RuntimeError(f"no shop for {request.args.get('shop')}")

    answer = app.test_client().get("/line/login", query_string={"shop": f"x\n{FORGED}"})
    assert answer.status_code == 404
    assert_not_forged(log_output.getvalue())


def test_a_newline_in_a_display_name_raised_by_link_user_stays_on_one_log_line(
    make_app: AppFactory, line_platform: EmulatorServer, log_output
):
    line_platform.platform.add_user(EmulatedUser("U0123456789abcdef0123456789abcdef", f"Mallory\n{FORGED}"))
    app = make_app()

    @app.extensions["line"].link_user
    def user_for(identity: Any, linked_user_id: str | None) -> Any:
        raise ValueError(f"no member named {identity.display_name}")

    answer = follow_login(app.test_client(), line_platform, user="U0123456789abcdef0123456789abcdef")
    assert answer.status_code == 500
    assert_not_forged(log_output.getvalue())


def test_a_traceback_keeps_its_exception_for_handlers_that_read_it(make_app: AppFactory):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log.addHandler(handler)
    try:
        try:
            raise ValueError(f"x\n{FORGED}")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    [record] = records
    assert isinstance(record.exc_info[1], ValueError)  # Sentry and friends still get the exception
    assert "\n" not in str(record.exc_text)


def test_forged_hosts_log_the_proxy_warning_once(make_app: AppFactory, caplog):
    app = make_app(LINE_LOGIN_CALLBACK_URL=None, SERVER_NAME=None)
    client = app.test_client()
    caplog.set_level(logging.WARNING, logger="flask_line")
    for number in range(300):
        client.get("/line/login", headers={"X-Forwarded-Proto": "https", "Host": f"forged-{number}.example"})
    warned = [record for record in caplog.records if "X-Forwarded-Proto" in record.getMessage()]
    assert len(warned) == 1
    assert not any(isinstance(value, set) and len(value) > 1 for value in app.extensions.values()), "nothing kept"


# flask line db check ---------------------------------------------------------------------------------------------


def db_app(make_app: AppFactory, tmp_path: Any, create: str) -> Any:
    url = f"sqlite+pysqlite:///{tmp_path / 'keys.sqlite3'}"
    with sa.create_engine(url).begin() as connection:
        connection.execute(sa.text(create))
    return make_app(LINE_DATABASE_URI=url)


def check(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["line", "db", "check"])


LINKS_WITHOUT_KEYS = (
    "CREATE TABLE line_account_links (provider VARCHAR(16) NOT NULL, subject VARCHAR(255) NOT NULL, "
    "user_id VARCHAR(255) NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, "
    "channel_id VARCHAR(32), scope VARCHAR(255){extra})"
)


def test_db_check_names_a_missing_primary_key_and_unique_constraint(make_app: AppFactory, tmp_path):
    app = db_app(make_app, tmp_path, LINKS_WITHOUT_KEYS.format(extra=""))
    result = check(app)
    assert result.exit_code == 1
    assert "line_account_links has primary key (none), not (provider, subject)" in result.output
    assert "line_account_links has no unique constraint on (provider, user_id)" in result.output
    upgrade = app.test_cli_runner().invoke(args=["line", "db", "upgrade"])
    assert "added unique index uq_line_account_links_user on line_account_links (provider, user_id)" in upgrade.output
    assert upgrade.exit_code == 1 and "primary key (none)" in upgrade.output, "a primary key is the site's migration"
    assert "no unique constraint" not in check(app).output


def test_db_check_accepts_the_keys_when_they_are_there(make_app: AppFactory, tmp_path):
    keys = ", PRIMARY KEY (provider, subject), CONSTRAINT uq UNIQUE (provider, user_id)"
    app = db_app(make_app, tmp_path, LINKS_WITHOUT_KEYS.format(extra=keys))
    assert app.test_cli_runner().invoke(args=["line", "db", "create"]).exit_code == 0  # the attachments table
    result = check(app)
    assert result.exit_code == 0, result.output


def test_db_check_prints_the_databases_names_escaped(make_app: AppFactory, tmp_path):
    odd = ', "x\n\x1b[2Kout of date: nothing" VARCHAR(8) NOT NULL, PRIMARY KEY (provider, subject)'
    result = check(db_app(make_app, tmp_path, LINKS_WITHOUT_KEYS.format(extra=odd)))
    assert result.exit_code == 1
    assert "\x1b" not in result.output
    assert "x\\n\\x1b[2Kout of date: nothing is NOT NULL" in result.output
    assert not any(line.startswith("out of date: nothing") for line in result.output.splitlines())
