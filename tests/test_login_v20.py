"""LINE Login v2.0: the same routes, decorator and signals over the legacy protocol."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from flask_line import errors, signals
from flask_line.errors import ConfigurationError
from tests.conftest import captured, deliver, expire_token, follow_login


@pytest.fixture
def v20_app(make_app):
    with pytest.warns(DeprecationWarning, match="deprecated"):
        return make_app(LINE_LOGIN_VERSION="2.0")


@pytest.fixture
def v20_client(v20_app):
    return v20_app.test_client()


def test_authorize_request_carries_only_the_v20_parameters(v20_client, line_platform):
    location = v20_client.get("/line/login").location
    assert location.startswith(f"{line_platform.url}/dialog/oauth/weblogin?")
    params = parse_qs(urlsplit(location).query)
    assert set(params) == {"response_type", "client_id", "redirect_uri", "state"}


def test_full_v20_login_uses_the_legacy_token_and_profile_endpoints(v20_client, line_platform):
    with captured(signals.login_succeeded) as succeeded:
        response = follow_login(v20_client, line_platform, user="Brown", next="/profile")
    assert response.location == "/profile"
    profile = v20_client.get("/profile").json
    assert profile["name"] == "Brown"
    assert profile["scopes"] == ["profile"]
    assert line_platform.platform.calls("/v2/oauth/accessToken") == 1
    assert line_platform.platform.calls("/v2/profile") == 1
    assert succeeded[0]["user"].user_id == profile["user_id"]


def test_v20_denial_reports_the_legacy_error_fields(v20_client, line_platform):
    with captured(signals.login_denied) as denied:
        response = follow_login(v20_client, line_platform, allow=False)
    assert response.status_code == 403
    assert denied[0]["error"] == "access_denied"
    assert denied[0]["error_code"] == "417"
    assert denied[0]["error_message"] == "DISALLOWED"
    assert denied[0]["description"] == "The user has denied the approval"


def test_v20_refresh_uses_the_v20_token_endpoint(v20_app, line_platform):
    @v20_app.get("/token")
    def token() -> str:
        return v20_app.extensions["line"].get_access_token()

    client = v20_app.test_client()
    follow_login(client, line_platform)
    old = client.get("/token").data.decode()
    expire_token(client)
    new = client.get("/token").data.decode()
    assert new != old and new in line_platform.platform.access_tokens
    assert line_platform.platform.calls("/v2/oauth/accessToken") == 2
    assert line_platform.platform.calls("/oauth2/v2.1/token") == 0


def test_v20_logout_revokes_with_the_refresh_token(v20_client, line_platform):
    follow_login(v20_client, line_platform)
    refresh_tokens = set(line_platform.platform.refresh_tokens)
    v20_client.post("/line/logout")
    assert line_platform.platform.calls("/v2/oauth/revoke") == 1
    assert not refresh_tokens & set(line_platform.platform.refresh_tokens)
    assert line_platform.platform.access_tokens == {}


def test_v20_replayed_state_is_rejected(v20_client, line_platform):
    back = line_platform.consent(v20_client.get("/line/login").location)
    deliver(v20_client, back)
    v20_client.post("/line/logout")  # a replay by someone not signed in here (a refresh would go on to next)
    with captured(signals.login_failed) as failed:
        assert deliver(v20_client, back).status_code == 400
    assert isinstance(failed[0]["error"], errors.StateError)


def test_v20_token_endpoint_failure_is_a_clean_502(v20_client, line_platform):
    line_platform.platform.inject("POST /v2/oauth/accessToken", status=500, body="down")
    with captured(signals.login_failed) as failed:
        response = follow_login(v20_client, line_platform)
    assert response.status_code == 502
    assert isinstance(failed[0]["error"], errors.UpstreamUnavailable)


def test_v21_options_are_refused_per_request(v20_client):
    assert v20_client.get("/line/login?prompt=consent").status_code == 400


@pytest.mark.parametrize(
    "config,key",
    [
        ({"LINE_LOGIN_SCOPES": "profile openid email"}, "LINE_LOGIN_SCOPES"),
        ({"LINE_LOGIN_BOT_PROMPT": "normal"}, "LINE_LOGIN_BOT_PROMPT"),
        ({"LINE_LOGIN_PKCE": True}, "LINE_LOGIN_PKCE"),
        ({"LINE_LOGIN_RESPONSE_MODE": "form_post"}, "LINE_LOGIN_RESPONSE_MODE"),
        ({"LINE_LOGIN_PROMPT": "consent"}, "LINE_LOGIN_PROMPT"),
    ],
)
def test_v21_only_settings_are_configuration_errors(make_app, config, key):
    with pytest.raises(ConfigurationError, match=r"v2\.1 feature") as raised:
        make_app(LINE_LOGIN_VERSION="2.0", **config)
    assert raised.value.key == key


def test_init_app_warns_that_v20_is_deprecated(make_app, caplog):
    with pytest.warns(DeprecationWarning, match="LINE_LOGIN_VERSION='2.1'"):
        make_app(LINE_LOGIN_VERSION="2.0")
    assert any("deprecated" in record.getMessage() for record in caplog.records)
