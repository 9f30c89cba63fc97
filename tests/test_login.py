"""LINE Login v2.1: the complete flow against the emulator over real HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from flask_line import signals
from flask_line.testing import signed_in_line_token, signed_in_line_user
from tests.conftest import captured, deliver, follow_login


def authorize_params(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_login_redirects_to_line_with_state_nonce_and_pkce(client, line_platform):
    start = client.get("/line/login")
    params = authorize_params(start.location)
    assert start.location.startswith(f"{line_platform.url}/oauth2/v2.1/authorize?")
    assert params["response_type"] == "code"
    assert params["client_id"] == "1650000000"
    assert params["redirect_uri"] == "http://app.test/line/callback"
    assert params["scope"] == "profile openid"
    assert len(params["state"]) >= 32 and params["state"].isalnum()
    assert len(params["nonce"]) >= 32
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43


def test_login_lands_on_next_with_profile_from_id_token(client, line_platform):
    with captured(signals.login_succeeded) as succeeded:
        response = follow_login(client, line_platform, user="Cony", next="/profile")
    assert response.status_code == 302
    assert response.location == "/profile"
    profile = client.get("/profile").json
    assert profile["name"] == "Cony"
    assert profile["user_id"] == "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"
    assert succeeded[0]["user"].display_name == "Cony"
    assert succeeded[0]["token"].access_token in line_platform.platform.access_tokens


def test_openid_login_makes_exactly_one_outbound_request(app, client, line_platform):
    start = client.get("/line/login")
    back = line_platform.consent(start.location)
    served_before = len(line_platform.platform.requests)
    assert deliver(client, back).status_code == 302
    assert line_platform.platform.requests[served_before:] == ["POST /oauth2/v2.1/token"]
    assert line_platform.platform.calls("/oauth2/v2.1/token") == 1
    assert line_platform.platform.calls("/v2/profile") == 0


def test_login_without_openid_reads_the_profile_endpoint(make_app, line_platform):
    client = make_app(LINE_LOGIN_SCOPES="profile").test_client()
    start = client.get("/line/login")
    assert "nonce" not in authorize_params(start.location)
    deliver(client, line_platform.consent(start.location, user="Brown"))
    profile = client.get("/profile").json
    assert profile["name"] == "Brown"
    assert profile["status"] == "Hello!"
    assert line_platform.platform.calls("/v2/profile") == 1


def test_email_scope_exposes_email_from_id_token(make_app, line_platform):
    client = make_app(LINE_LOGIN_SCOPES=["profile", "openid", "email"]).test_client()
    follow_login(client, line_platform, user="Brown")
    profile = client.get("/profile").json
    assert profile["email"] == "brown@example.com"
    assert "email" in profile["scopes"]


def test_form_post_response_mode_completes(make_app, line_platform):
    client = make_app(LINE_LOGIN_RESPONSE_MODE="form_post").test_client()
    start = client.get("/line/login?next=/profile")
    assert authorize_params(start.location)["response_mode"] == "form_post"
    back = line_platform.consent(start.location)
    assert back.method == "POST"
    assert deliver(client, back).location == "/profile"
    assert client.get("/profile").json["name"] == "Brown"


def test_pkce_can_be_turned_off(make_app, line_platform):
    client = make_app(LINE_LOGIN_PKCE=False).test_client()
    start = client.get("/line/login")
    assert "code_challenge" not in authorize_params(start.location)
    deliver(client, line_platform.consent(start.location))
    assert client.get("/profile").status_code == 200


def test_es256_id_tokens_are_verified_with_the_published_keys(client, line_platform):
    line_platform.platform.sign_id_tokens_with("ES256")
    follow_login(client, line_platform)
    assert client.get("/profile").status_code == 200
    assert line_platform.platform.calls("/oauth2/v2.1/certs") == 1
    client.post("/line/logout")
    follow_login(client, line_platform)
    assert line_platform.platform.calls("/oauth2/v2.1/certs") == 1, "the key set is cached"


def test_rotated_signing_key_is_fetched_once(client, line_platform):
    platform = line_platform.platform
    platform.sign_id_tokens_with("ES256")
    follow_login(client, line_platform)
    platform.rotate_keys()
    client.post("/line/logout")
    follow_login(client, line_platform)
    assert client.get("/profile").status_code == 200
    assert platform.calls("/oauth2/v2.1/certs") == 2


def test_per_request_options_reach_line(client):
    start = client.get(
        "/line/login?prompt=consent&bot_prompt=aggressive&ui_locales=ja-JP%20en&max_age=0"
        "&disable_auto_login=true&initial_amr_display=lineqr&switch_amr=false"
    )
    params = authorize_params(start.location)
    assert params["prompt"] == "consent"
    assert params["bot_prompt"] == "aggressive"
    assert params["ui_locales"] == "ja-JP en"
    assert params["max_age"] == "0"
    assert params["disable_auto_login"] == "true"
    assert params["initial_amr_display"] == "lineqr"
    assert params["switch_amr"] == "false"


def test_a_repeated_option_or_next_counts_once_with_its_first_value(client, line_platform):
    answer = follow_login(client, line_platform, query="prompt=consent&prompt=none&next=/first&next=/second")
    assert answer.location == "/first"
    start = client.get("/line/login?prompt=consent&prompt=none")
    assert authorize_params(start.location)["prompt"] == "consent"


def test_an_authorize_url_with_its_own_query_keeps_it(make_app, line_platform):
    app = make_app(LINE_LOGIN_AUTHORIZE_URL=f"{line_platform.url}/oauth2/v2.1/authorize?tenant=shop-1")
    location = app.test_client().get("/line/login").location
    assert location.startswith(f"{line_platform.url}/oauth2/v2.1/authorize?tenant=shop-1&response_type=code&")
    assert authorize_params(location)["client_id"] == "1650000000"


@pytest.mark.parametrize("query", ["prompt=always", "bot_prompt=loud", "max_age=-1", "ui_locales=%3Cscript%3E"])
def test_bad_per_request_option_is_a_400(client, query):
    response = client.get(f"/line/login?{query}")
    assert response.status_code == 400
    assert b"Invalid request" in response.data


def test_configured_defaults_reach_line(make_app):
    client = make_app(LINE_LOGIN_PROMPT="login", LINE_LOGIN_UI_LOCALES="th", LINE_LOGIN_MAX_AGE=3600).test_client()
    params = authorize_params(client.get("/line/login").location)
    assert (params["prompt"], params["ui_locales"], params["max_age"]) == ("login", "th", "3600")


def test_bot_prompt_login_exposes_friendship_and_asks_line_only_when_asked(make_app, line_platform):
    app = make_app(LINE_LOGIN_BOT_PROMPT="normal")

    @app.get("/friend")
    def friend() -> str:
        return str(app.extensions["line"].is_friend())

    client = app.test_client()
    start = client.get("/line/login")
    deliver(client, line_platform.consent(start.location, user="Brown", add_friend=True))
    assert signed_in_line_user(client).friendship_status_changed is True
    assert line_platform.platform.calls("/friendship/v1/status") == 0
    assert client.get("/friend").data == b"True"
    assert line_platform.platform.calls("/friendship/v1/status") == 1


def test_callback_url_setting_overrides_the_computed_one(make_app):
    client = make_app(LINE_LOGIN_CALLBACK_URL="https://example.com/line/callback").test_client()
    params = authorize_params(client.get("/line/login").location)
    assert params["redirect_uri"] == "https://example.com/line/callback"


def test_url_prefix_setting_moves_the_blueprint(make_app):
    client = make_app(LINE_URL_PREFIX="/auth/line").test_client()
    assert client.get("/auth/line/login").status_code == 302
    assert client.get("/line/login").status_code == 404


def test_deauthorize_removes_the_consent_at_line_unlinks_and_signs_out(make_app, line_platform, tmp_path):
    app = make_app(LINE_DATABASE_URI=f"sqlite:///{tmp_path / 'links.sqlite3'}")
    line = app.extensions["line"]

    @line.link_user
    def user_for(identity, linked_user_id):
        return type("Member", (), {"id": linked_user_id or "member-1"})()

    @app.post("/account/delete")
    def delete_account() -> str:
        line.deauthorize()
        return "deleted"

    client = app.test_client()
    follow_login(client, line_platform, user="Brown")
    token = signed_in_line_token(client).access_token
    assert client.post("/account/delete").data == b"deleted"
    assert line_platform.platform.calls("/user/v1/deauthorize") == 1
    assert line_platform.platform.live_access_token(token) is None, "LINE forgot the user's tokens"
    assert signed_in_line_user(client).is_authenticated is False
    with app.app_context():
        assert line.account_links.find("line", "U4af4980629a1b2c3d4e5f60718293a4b") is None, "the link went too"


def test_deauthorize_while_line_is_away_changes_nothing_here(make_app, line_platform):
    app = make_app()

    @app.post("/account/delete")
    def delete_account() -> str:
        app.extensions["line"].deauthorize()
        return "deleted"

    client = app.test_client()
    follow_login(client, line_platform, user="Brown")
    line_platform.platform.inject("POST /user/v1/deauthorize", status=503, body="down")
    assert client.post("/account/delete").status_code == 502
    assert signed_in_line_user(client).is_authenticated, "still signed in: the user can try again"
