"""The pytest plugin as a developer's own suite meets it: a project of their own, run by pytest (``pytester``).

The developer's app keeps its database and its sessions where they develop; a test run through the fixtures
must neither open that database nor leave the module-level app changed for the next test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: The README's linking app as a developer saves it in myapp.py: its own database file, its own channel.
MYAPP = """
from flask import Flask
from flask_login import LoginManager, UserMixin, current_user, login_required
from flask_sqlalchemy import SQLAlchemy
from flask_line import LineOAuth
from flask_line.sqlalchemy import SQLAlchemyStorage

app = Flask(__name__, instance_path={instance!r})
app.config.update(
    SECRET_KEY="change-me",
    SQLALCHEMY_DATABASE_URI={database!r},
    LINE_LOGIN_CHANNEL_ID="1234567890",
    LINE_LOGIN_CHANNEL_SECRET="your-channel-secret",
)
db = SQLAlchemy(app)
login_manager = LoginManager(app)
line = LineOAuth(app, storage=SQLAlchemyStorage.for_flask_sqlalchemy(db))


class User(UserMixin, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100))


login_manager.user_loader(lambda user_id: db.session.get(User, int(user_id)))


@line.link_user
def user_for(identity, linked_user_id):
    if linked_user_id is not None:
        return db.session.get(User, int(linked_user_id))
    user = User(name=identity.display_name)
    db.session.add(user)
    return user


@app.get("/members")
@login_required
def members():
    return f"Hello {{current_user.name}}"
"""

#: The developer's tests of it, written as docs/testing.rst says.
TEST_MYAPP = """
import pytest
from flask_line.testing import configure_app

from myapp import User, app, db


@pytest.fixture
def client(line_app_config):
    configure_app(app, line_app_config)
    with app.app_context():
        db.create_all()
    return app.test_client()


def test_a_visitor_signs_up_with_line(client, line_platform):
    start = client.get("/members", headers={"Accept": "text/html"})
    login = client.get(start.location)
    back = line_platform.consent(login.location, user="Brown")
    assert client.get(back.path).status_code == 302
    assert client.get("/members").get_data(as_text=True) == "Hello Brown"
    with app.app_context():
        assert [user.name for user in db.session.scalars(db.select(User))] == ["Brown"]
"""


#: Each run is a fresh pytest: without the cache and Hypothesis' plugin (1.5 s to import, used by none of these).
QUICK = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


@pytest.fixture
def project(pytester: pytest.Pytester) -> Path:
    """A developer's project: myapp.py with its database and instance folder beside it, and its tests."""
    root = pytester.path
    pytester.makepyfile(
        myapp=MYAPP.format(database=f"sqlite:///{root / 'dev.sqlite3'}", instance=str(root / "instance"))
    )
    pytester.makepyfile(test_myapp=TEST_MYAPP)
    pytester.syspathinsert()
    return root


def test_the_fixtures_never_open_the_apps_own_database(pytester: pytest.Pytester, project: Path) -> None:
    result = pytester.runpytest_subprocess(*QUICK)
    result.assert_outcomes(passed=1)
    assert not (project / "dev.sqlite3").exists(), "the test opened the developer's database"
    assert not (project / "instance").exists(), "the test kept sessions or links in the app's instance folder"


def test_a_module_level_app_is_as_it_was_after_a_test_that_configured_it(
    pytester: pytest.Pytester, project: Path
) -> None:
    pytester.makepyfile(
        test_zz_after="""
        from flask.sessions import SessionInterface

        from myapp import app, db

        def test_the_app_is_as_imported():
            assert app.config["LINE_LOGIN_CHANNEL_ID"] == "1234567890"
            assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("dev.sqlite3")
            assert "SESSION_TYPE" not in app.config and "LINE_EMULATOR_URL" not in app.config
            assert type(app.session_interface.inner).__name__ == "DeferredSessions"
            with app.app_context():
                assert str(db.engine.url).endswith("dev.sqlite3")
                assert app.extensions["line"].settings.common.emulator_url is None
                assert app.extensions["line"].settings.login.channel_id == "1234567890"
        """
    )
    result = pytester.runpytest_subprocess(*QUICK, "test_myapp.py", "test_zz_after.py")
    result.assert_outcomes(passed=2)
    assert not (project / "dev.sqlite3").exists()


def test_the_fixtures_turn_on_only_line_login_unless_the_app_names_more(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_products="""
        def test_login_only(line_app_config):
            assert "LINE_LOGIN_CHANNEL_ID" in line_app_config
            assert not [key for key in line_app_config if key.startswith(("LINE_MODULE_CHANNEL", "LINE_WORKS_"))]
            assert "SERVER_NAME" not in line_app_config
        """
    )
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def line_products():
            return {"login", "module"}
        """
    )
    pytester.makepyfile(
        test_module_too="""
        def test_module_too(line_app_config):
            assert line_app_config["LINE_MODULE_CHANNEL_ID"]
            assert not [key for key in line_app_config if key.startswith("LINE_WORKS_")]
        """
    )
    result = pytester.runpytest_subprocess(*QUICK, "test_module_too.py")
    result.assert_outcomes(passed=1)
    (pytester.path / "conftest.py").unlink()
    result = pytester.runpytest_subprocess(*QUICK, "test_products.py")
    result.assert_outcomes(passed=1)


def test_a_line_login_app_under_the_fixtures_serves_no_module_routes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_routes="""
        from flask import Flask
        from flask_line import LineOAuth

        def test_no_chooser(line_app_config):
            app = Flask("login_only")
            app.config.update(line_app_config)
            LineOAuth(app)
            client = app.test_client()
            assert client.get("/line/login").status_code == 302
            assert client.get("/line/accounts").status_code == 404
        """
    )
    result = pytester.runpytest_subprocess(*QUICK)
    result.assert_outcomes(passed=1)
