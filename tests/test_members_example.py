"""The members example handles its own failures the way it teaches: a LINE WORKS email a member already uses and
a database outage in its own code give its styled pages, never a 500 (issue 33)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from examples.run_demo import load_example
from flask_line.testing.pytest_plugin import WORKS_CALLBACK
from tests.conftest import BrowserClient, follow_login
from tests.test_accounts import works_login
from tests.test_sql_stores import own_postgres  # noqa: F401  (a fixture: a PostgreSQL server of the test's own)


def members_site(monkeypatch: Any, tmp_path: Any, line_platform: Any, database_url: str) -> tuple[Any, Flask]:
    monkeypatch.setenv("LINE_EMULATOR_URL", line_platform.url)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    for key in ("LINE_LOGIN_CHANNEL_ID", "LINE_WORKS_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)
    example = load_example("members")
    app = example.create_app()
    app.config.update(SERVER_NAME="app.test", TESTING=True, LINE_WORKS_CALLBACK_URL=WORKS_CALLBACK)
    example.line.reload_config(app)  # LINE WORKS calls back over HTTPS only
    app.test_client_class = BrowserClient
    example.create_tables(app)
    line_platform.platform.register_app("http://app.test")  # as the developer registers the callbacks
    return example, app


@pytest.fixture
def members(monkeypatch, tmp_path, line_platform) -> tuple[Any, Flask]:
    return members_site(monkeypatch, tmp_path, line_platform, f"sqlite:///{tmp_path / 'members.sqlite3'}")


def test_a_works_sign_in_with_a_members_email_is_the_sites_refusal_page(members, line_platform):
    example, app = members
    client = app.test_client()
    client.post("/signup", data={"name": "Alice", "email": "alice@works.example", "password": "pw"})
    client.post("/line/logout")
    staff = app.test_client()
    answer = works_login(staff, line_platform, user="Alice")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403, page[:300]
    assert 'id="problem-title">Sign-in refused' in page
    assert "A member already uses this email" in page
    with app.app_context():
        assert example.db.session.scalar(example.db.select(example.db.func.count(example.User.id))) == 1


def test_the_members_pages_are_a_styled_503_while_the_database_is_away(
    monkeypatch,
    tmp_path,
    line_platform,
    own_postgres,  # noqa: F811
):
    _example, app = members_site(monkeypatch, tmp_path, line_platform, own_postgres.new_database())
    client = app.test_client()
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    assert client.get("/account").status_code == 200
    own_postgres.stop()
    for path in ("/account", "/"):
        page = client.get(path)
        assert page.status_code == 503, (path, page.status_code)
        assert page.headers["Retry-After"] == "5"
        assert 'id="problem-title">Please try again in a moment' in page.get_data(as_text=True)
    own_postgres.start()
    assert client.get("/account").status_code == 200
