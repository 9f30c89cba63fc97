"""The stumbles of a newcomer's first hour: settings that forgive, error pages a visitor understands."""

from __future__ import annotations

import logging
import warnings

import pytest
from flask import Flask

from flask_line import LineOAuth, errors
from tests.conftest import follow_login
from tests.local import free_port


def bare_app(tmp_path, **config) -> Flask:
    app = Flask("newcomer", instance_path=str(tmp_path / "instance"))
    base = {"SECRET_KEY": "x", "LINE_LOGIN_CHANNEL_ID": "1650000000", "LINE_LOGIN_CHANNEL_SECRET": "secret"}
    app.config.update({**base, **config})
    return app


# Settings ------------------------------------------------------------------------------------------------------


def test_from_prefixed_env_numbers_are_accepted(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_LINE_LOGIN_CHANNEL_ID", "1650000000")
    monkeypatch.setenv("FLASK_LINE_MODULE_CHANNEL_ID", "2000000000")
    monkeypatch.setenv("FLASK_LINE_MODULE_CHANNEL_SECRET", "module-secret")
    monkeypatch.setenv("FLASK_LINE_LOGIN_VERSION", "2.1")
    app = Flask("env", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="x", LINE_LOGIN_CHANNEL_SECRET="secret")
    app.config.from_prefixed_env()
    assert isinstance(app.config["LINE_LOGIN_CHANNEL_ID"], int)
    assert isinstance(app.config["LINE_LOGIN_VERSION"], float)
    LineOAuth(app)
    location = app.test_client().get("/line/login").location
    assert "client_id=1650000000" in location


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("version,path", [(2.1, "/oauth2/v2.1/authorize"), (2.0, "/dialog/oauth/weblogin")])
def test_login_version_as_a_number(tmp_path, version, path):
    app = bare_app(tmp_path, LINE_LOGIN_VERSION=version)
    LineOAuth(app)
    assert path in app.test_client().get("/line/login").location


@pytest.mark.parametrize(
    "key,value",
    [
        ("LINE_LOGIN_CHANNEL_ID", True),
        ("LINE_LOGIN_CHANNEL_ID", 1650000000.5),
        ("LINE_LOGIN_CHANNEL_ID", -5),
        ("LINE_LOGIN_VERSION", 2.5),
        ("LINE_LOGIN_VERSION", True),
        ("LINE_LOGIN_CHANNEL_SECRET", "   "),
        ("LINE_LOGIN_CHANNEL_SECRET", "\t\n"),
    ],
)
def test_values_that_make_no_sense_are_refused(tmp_path, key, value):
    with pytest.raises(errors.ConfigurationError) as raised:
        LineOAuth(bare_app(tmp_path, **{key: value}))
    assert raised.value.key == key


@pytest.mark.parametrize(
    "typo,suggestion",
    [
        ("LINE_LOGIN_PKCEE", "LINE_LOGIN_PKCE"),
        ("LINE_LOGIN_DEFAULT_NXT", "LINE_LOGIN_DEFAULT_NEXT"),
        ("LINE_MODULE_SCOPE", "LINE_MODULE_SCOPES"),
        # Keys of products the app's config does not name yet: their tables load for the suggestion.
        ("LINE_WORK_CLIENT_ID", "LINE_WORKS_CLIENT_ID"),
        ("LINE_MESSAGE_CHANNEL_SECRET", "LINE_MESSAGING_CHANNEL_SECRET"),
        ("LINE_MODUL_CHANNEL_ID", "LINE_MODULE_CHANNEL_ID"),
    ],
)
def test_a_typo_warns_with_the_closest_key(tmp_path, caplog, typo, suggestion):
    with pytest.warns(UserWarning, match=f"did you mean {suggestion}") as warned:
        LineOAuth(bare_app(tmp_path, **{typo: "x"}))
    assert len([w for w in warned if typo in str(w.message)]) == 1
    assert typo not in caplog.text  # printed once, not again as a log line


def test_an_unknown_key_with_no_close_match_still_warns(tmp_path):
    with pytest.warns(UserWarning, match="LINE_BANANA is not a flask-line setting$"):
        LineOAuth(bare_app(tmp_path, LINE_BANANA=1))


def test_strict_config_makes_a_typo_an_error(tmp_path):
    with pytest.raises(errors.ConfigurationError) as raised:
        LineOAuth(bare_app(tmp_path, LINE_STRICT_CONFIG=True, LINE_LOGIN_PKCEE=False))
    assert raised.value.key == "LINE_LOGIN_PKCEE" and "LINE_LOGIN_PKCE" in raised.value.message


def test_known_keys_do_not_warn(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        LineOAuth(bare_app(tmp_path, LINE_LOGIN_PKCE=True, LINE_STRICT_CONFIG=False, LINE_HTTP_TIMEOUT=5))


# Errors people see ------------------------------------------------------------------------------------------


def test_a_replayed_callback_speaks_plainly_with_try_again(app, client, line_platform):
    start = client.get("/line/login?next=/profile")
    back = line_platform.consent(start.location)
    client.get(back.path)
    response = app.test_client().get(back.path)  # the callback URL replayed in another browser
    page = response.data.decode()
    assert response.status_code == 400
    assert "Please try again" in page
    # Another browser's answer looks like a failed auto login: the retry turns auto login off (LINE's advice).
    assert 'id="try-again" href="/line/login?disable_auto_login=true"' in page
    for jargon in ("replayed, foreign, or forged", "invalid_state", "resource owner", "Traceback"):
        assert jargon not in page


def test_try_again_keeps_next(client, line_platform):
    response = follow_login(client, line_platform, allow=False, next="/profile")
    assert 'href="/line/login?next=/profile"' in response.data.decode()
    assert "The resource owner denied the request." not in response.data.decode()


def test_debug_mode_shows_the_detail(make_app, line_platform):
    app = make_app()
    app.debug = True
    client = app.test_client()
    start = client.get("/line/login")
    back = line_platform.consent(start.location)
    client.get(back.path)
    page = app.test_client().get(back.path).data.decode()  # replayed in another browser
    assert 'id="error-detail"' in page and "invalid_state" in page


def test_json_clients_keep_a_stable_code(client, line_platform):
    response = client.get("/line/callback?code=x&state=y", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["error"] == "invalid_state"
    assert "detail" not in response.json


@pytest.mark.parametrize(
    "secret_key,flow,setting",
    [
        ("LINE_LOGIN_CHANNEL_SECRET", "/line/login", "LINE_LOGIN_CHANNEL_SECRET"),
        ("LINE_WORKS_CLIENT_SECRET", "/line/works/login", "LINE_WORKS_CLIENT_SECRET"),
    ],
)
def test_a_wrong_secret_is_the_sites_misconfiguration(make_app, line_platform, caplog, secret_key, flow, setting):
    client = make_app(**{secret_key: "a-wrong-secret-0000000000000000"}).test_client()
    start = client.get(flow)
    response = client.get(line_platform.consent(start.location).path)
    assert response.status_code == 500
    assert b"not set up correctly" in response.data
    errors_logged = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert any(setting in message for message in errors_logged)


def test_a_wrong_module_secret_is_misconfiguration_too(make_app, line_platform, caplog):
    client = make_app(LINE_MODULE_CHANNEL_SECRET="a-wrong-secret-0000000000000000").test_client()
    follow_login(client, line_platform)
    start = client.get("/line/attach")
    response = client.get(line_platform.consent(start.location).path)
    assert response.status_code == 500
    assert "LINE_MODULE_CHANNEL_SECRET" in caplog.text


@pytest.mark.parametrize("path", ["/line/login", "/line/attach", "/line/works/login"])
def test_a_product_that_is_off_is_a_styled_404(make_app, path):
    client = make_app(
        LINE_LOGIN_CHANNEL_ID=None,
        LINE_LOGIN_CHANNEL_SECRET=None,
        LINE_MODULE_CHANNEL_ID=None,
        LINE_MODULE_CHANNEL_SECRET=None,
        LINE_WORKS_CLIENT_ID=None,
        LINE_WORKS_CLIENT_SECRET=None,
        LINE_WORKS_SERVICE_ACCOUNT=None,
    ).test_client()
    response = client.get(path)
    assert response.status_code == 404
    assert b"not available on this site" in response.data and b"<style>" in response.data
    assert client.get(path, headers={"Accept": "application/json"}).json["error"] == "not_configured"


def test_an_app_template_overrides_the_error_page(make_app, line_platform, tmp_path):
    folder = tmp_path / "templates" / "flask_line"
    folder.mkdir(parents=True)
    (folder / "error.html").write_text("custom: {{ error.title }} / {{ error.explanation }}")
    app = make_app()
    app.template_folder = str(tmp_path / "templates")
    response = app.test_client().get("/line/callback?code=x&state=y")
    assert response.data.decode().startswith("custom: ")


def test_an_emulator_that_is_not_running_is_named_with_how_to_start_it(make_app, caplog):
    url = f"http://127.0.0.1:{free_port()}"
    caplog.set_level(logging.WARNING, logger="flask_line")
    app = make_app(LINE_EMULATOR_URL=url)
    assert "not answering" not in caplog.text, "not at init_app: a CLI command would print it too"
    client = app.test_client()
    client.get("/")
    client.get("/")
    warned = [record for record in caplog.records if f"The LINE emulator at {url} is not answering" in record.message]
    assert len(warned) == 1, "the first request warns, once"
    assert "line emulator --port" in warned[0].getMessage()
    response = client.get("/line/login")
    assert response.status_code == 502, "a sign-in does not send the browser to a refused connection"
    page = response.data.decode()
    assert f"The LINE emulator at {url} is not answering" in page and "line-emulator" in page


def test_a_typo_in_a_required_key_is_named_with_the_fix(tmp_path):
    from flask import Flask

    from flask_line import LineOAuth
    from flask_line.errors import ConfigurationError

    app = Flask("typo", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="x", LINE_LOGIN_CHANEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="s")
    with pytest.raises(ConfigurationError, match="LINE_LOGIN_CHANEL_ID is set: did you mean LINE_LOGIN_CHANNEL_ID"):
        LineOAuth(app)


def test_flask_login_without_a_login_view_sends_visitors_to_line_sign_in(make_app, line_platform):
    from flask_login import LoginManager, UserMixin, login_required

    app = make_app()
    manager = LoginManager(app)  # as the README's example: no login_view
    manager.user_loader(lambda user_id: type("Member", (UserMixin,), {"id": user_id})())

    @app.get("/members")
    @login_required
    def members() -> str:
        return "members"

    client = app.test_client()
    answer = client.get("/members")
    assert answer.status_code == 302, "not Werkzeug's bare 401"
    assert answer.location.startswith("/line/login?next=%2Fmembers")


def test_an_apps_own_login_view_is_kept(make_app):
    from flask_login import LoginManager, login_required

    app = make_app()
    manager = LoginManager(app)
    manager.login_view = "home"
    manager.user_loader(lambda user_id: None)

    @app.get("/members")
    @login_required
    def members() -> str:
        return "members"

    assert app.test_client().get("/members").location.startswith("/?next=")


def test_cli_commands_fail_in_one_line_and_print_no_emulator_warning(make_app, caplog):
    url = f"http://127.0.0.1:{free_port()}"
    app = make_app(
        LINE_EMULATOR_URL=url,
        LINE_WORKS_CLIENT_ID=None,
        LINE_WORKS_CLIENT_SECRET=None,
        LINE_WORKS_SERVICE_ACCOUNT=None,
        LINE_WORKS_PRIVATE_KEY=None,
    )
    caplog.set_level(logging.WARNING, logger="flask_line")
    result = app.test_cli_runner().invoke(args=["line", "works-token"])
    assert result.exit_code != 0
    assert result.output.strip().startswith("Error: LINE WORKS is not configured (set LINE_WORKS_CLIENT_ID")
    assert len(result.output.strip().splitlines()) == 1 and result.exception is not None
    assert "not answering" not in caplog.text


def test_a_missing_secret_key_is_named_at_init_app(tmp_path):
    app = bare_app(tmp_path)
    app.config.pop("SECRET_KEY", None)
    app.secret_key = None
    with pytest.raises(errors.ConfigurationError) as raised:
        LineOAuth(app)
    assert raised.value.key == "SECRET_KEY" and "secrets.token_hex" in raised.value.message


def test_a_proxy_whose_https_header_is_ignored_is_logged_once_with_the_fix(make_app, caplog):
    app = make_app(LINE_LOGIN_CALLBACK_URL=None)
    client = app.test_client()
    for _ in range(3):
        start = client.get("/line/login", headers={"X-Forwarded-Proto": "https"})
        assert (
            "redirect_uri=http%3A%2F%2Fapp.test" in start.location or "redirect_uri=http://app.test" in start.location
        )
    warnings_logged = [record for record in caplog.records if "X-Forwarded-Proto" in record.getMessage()]
    assert len(warnings_logged) == 1
    assert "ProxyFix(app.wsgi_app, x_proto=1, x_host=1)" in warnings_logged[0].getMessage()


def test_with_proxy_fix_the_callback_is_https_and_nothing_is_logged(make_app, caplog):
    from werkzeug.middleware.proxy_fix import ProxyFix

    app = make_app(LINE_LOGIN_CALLBACK_URL=None)
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)
    start = app.test_client().get("/line/login", headers={"X-Forwarded-Proto": "https"})
    assert "redirect_uri=https" in start.location
    assert "X-Forwarded-Proto" not in caplog.text
