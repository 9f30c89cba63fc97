"""Settings are validated in init_app, and each error names its key."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from flask_line import LineOAuth
from flask_line.errors import ConfigurationError, LineError


def app_with(tmp_path, **config) -> Flask:
    app = Flask("configtest", instance_path=str(tmp_path / "instance"))
    app.config.update(SECRET_KEY="k", LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="s" * 32)
    app.config.update(config)
    return app


@pytest.mark.parametrize(
    "config,key",
    [
        ({"LINE_LOGIN_CHANNEL_SECRET": None}, "LINE_LOGIN_CHANNEL_SECRET"),
        ({"LINE_LOGIN_CHANNEL_ID": ""}, "LINE_LOGIN_CHANNEL_ID"),
        ({"LINE_LOGIN_SCOPES": "profile openid friends"}, "LINE_LOGIN_SCOPES"),
        ({"LINE_LOGIN_SCOPES": "profile email"}, "LINE_LOGIN_SCOPES"),
        ({"LINE_LOGIN_SCOPES": "email"}, "LINE_LOGIN_SCOPES"),
        ({"LINE_LOGIN_SCOPES": 42}, "LINE_LOGIN_SCOPES"),
        ({"LINE_LOGIN_TOKEN_URL": "api.line.me/token"}, "LINE_LOGIN_TOKEN_URL"),
        ({"LINE_LOGIN_AUTHORIZE_URL": "ftp://access.line.me"}, "LINE_LOGIN_AUTHORIZE_URL"),
        ({"LINE_EMULATOR_URL": "localhost:5005"}, "LINE_EMULATOR_URL"),
        ({"LINE_LOGIN_RESPONSE_MODE": "fragment"}, "LINE_LOGIN_RESPONSE_MODE"),
        ({"LINE_LOGIN_PROMPT": "always"}, "LINE_LOGIN_PROMPT"),
        ({"LINE_LOGIN_BOT_PROMPT": "loud"}, "LINE_LOGIN_BOT_PROMPT"),
        ({"LINE_LOGIN_MAX_AGE": -5}, "LINE_LOGIN_MAX_AGE"),
        ({"LINE_LOGIN_PKCE": "maybe"}, "LINE_LOGIN_PKCE"),
        ({"LINE_LOGIN_ID_TOKEN_ALGORITHMS": ["none"]}, "LINE_LOGIN_ID_TOKEN_ALGORITHMS"),
        ({"LINE_LOGIN_ID_TOKEN_ALGORITHMS": []}, "LINE_LOGIN_ID_TOKEN_ALGORITHMS"),
        ({"LINE_HTTP_TIMEOUT": 0}, "LINE_HTTP_TIMEOUT"),
        ({"LINE_HTTP_TIMEOUT": "soon"}, "LINE_HTTP_TIMEOUT"),
        ({"LINE_PENDING_TTL": -1}, "LINE_PENDING_TTL"),
        ({"LINE_URL_PREFIX": "line"}, "LINE_URL_PREFIX"),
        ({"LINE_LOGIN_VERSION": "3.0"}, "LINE_LOGIN_VERSION"),
    ],
)
def test_invalid_setting_raises_configuration_error_naming_the_key(tmp_path, config, key):
    with pytest.raises(ConfigurationError) as raised:
        LineOAuth(app_with(tmp_path, **config))
    assert raised.value.key == key
    assert key in str(raised.value)
    assert isinstance(raised.value, LineError)


REAL_ENDPOINTS = {
    "2.1": {
        "authorize": "https://access.line.me/oauth2/v2.1/authorize",
        "token": "https://api.line.me/oauth2/v2.1/token",
        "verify": "https://api.line.me/oauth2/v2.1/verify",
        "revoke": "https://api.line.me/oauth2/v2.1/revoke",
        "jwks": "https://api.line.me/oauth2/v2.1/certs",
        "issuer": "https://access.line.me",
        "profile": "https://api.line.me/v2/profile",
        "friendship": "https://api.line.me/friendship/v1/status",
    },
    "2.0": {
        "authorize": "https://access.line.me/dialog/oauth/weblogin",
        "token": "https://api.line.me/v2/oauth/accessToken",
        "verify": "https://api.line.me/v2/oauth/verify",
        "revoke": "https://api.line.me/v2/oauth/revoke",
        "profile": "https://api.line.me/v2/profile",
    },
}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("version", REAL_ENDPOINTS)
def test_every_endpoint_defaults_to_the_real_line_url(tmp_path, version):
    app = app_with(tmp_path, LINE_LOGIN_VERSION=version)
    LineOAuth(app)
    with app.app_context():
        endpoints = app.extensions["line"].settings.login.endpoints
    for name, url in REAL_ENDPOINTS[version].items():
        assert getattr(endpoints, name) == url


def test_emulator_url_points_every_unset_endpoint_at_the_emulator(tmp_path):
    app = app_with(tmp_path, LINE_EMULATOR_URL="http://127.0.0.1:5005/", LINE_PROFILE_URL="https://p.example/me")
    LineOAuth(app)
    with app.app_context():
        endpoints = app.extensions["line"].settings.login.endpoints
    assert endpoints.token == "http://127.0.0.1:5005/oauth2/v2.1/token"
    assert endpoints.issuer == "https://access.line.me", "the emulator signs as LINE does: the issuer never moves"
    assert endpoints.profile == "https://p.example/me", "an explicit setting wins"


def test_login_is_disabled_without_a_channel(tmp_path):
    app = app_with(tmp_path, LINE_LOGIN_CHANNEL_ID=None, LINE_LOGIN_CHANNEL_SECRET=None)
    LineOAuth(app)
    assert app.test_client().get("/line/login").status_code == 404


def test_app_factory_and_one_extension_for_two_apps(tmp_path):
    line = LineOAuth()
    first = app_with(tmp_path, LINE_URL_PREFIX="/a")
    second = app_with(tmp_path, LINE_URL_PREFIX="/b", LINE_LOGIN_CHANNEL_ID="1660000000")
    line.init_app(first)
    line.init_app(second)
    assert first.extensions["line"] is line and second.extensions["line"] is line
    assert first.test_client().get("/a/login").status_code == 302
    location = second.test_client().get("/b/login").location
    assert "client_id=1660000000" in location


def test_default_server_side_sessions_are_set_up_and_announced(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="flask_line")
    app = app_with(tmp_path)
    LineOAuth(app)
    assert type(app.session_interface.inner).__name__ == "DeferredSessions"
    assert any("flask_line_sessions.sqlite3" in record.getMessage() for record in caplog.records)


def test_app_session_type_is_respected(tmp_path):
    from cachelib import SimpleCache

    app = app_with(tmp_path, SESSION_TYPE="cachelib", SESSION_CACHELIB=SimpleCache())
    LineOAuth(app)
    assert app.session_interface.inner.cache is app.config["SESSION_CACHELIB"]


def test_session_setup_can_be_turned_off(tmp_path):
    app = app_with(tmp_path, LINE_SESSION_SETUP=False)
    LineOAuth(app)
    assert type(app.session_interface).__name__ == "SecureCookieSessionInterface"


def test_apps_own_error_handler_wins(tmp_path):
    app = app_with(tmp_path)

    @app.errorhandler(LineError)
    def mine(error: LineError) -> tuple[str, int]:
        return f"custom {error.code}", 418

    LineOAuth(app)
    response = app.test_client().get("/line/callback?code=x&state=y")
    assert response.status_code == 418
    assert response.data == b"custom invalid_state"


def test_the_former_name_of_a_renamed_setting_still_works_and_says_so(tmp_path):
    app = Flask("renamed", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="x", LINE_FLOW_TTL=42)
    with pytest.warns(DeprecationWarning, match="LINE_FLOW_TTL is now called LINE_PENDING_TTL"):
        line = LineOAuth(app)
    with app.app_context():
        assert line.settings.common.pending_ttl == 42
