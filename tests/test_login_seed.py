"""LINE Login v2.1 and LINE WORKS as seeds 004 and 001 document them: callback error codes, silent sign-in,
max_age, the authorize options, JWT response modes (JARM), friendship, and LINE WORKS discovery."""

from __future__ import annotations

import logging
import time
import warnings
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey

from flask_line import errors, signals
from flask_line.testing import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET
from tests.conftest import captured, deliver, follow_login


def state_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["state"][0]


def params_of(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


# Callback error codes (seed 004) ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ACCESS_DENIED", "access_denied", "Access_Denied"])
def test_access_denied_is_a_denial_in_any_case(client, code):
    state = state_of(client.get("/line/login").location)
    with captured(signals.login_denied) as denied:
        response = client.get(f"/line/callback?error={code}&state={state}")
    assert response.status_code == 403 and denied[0]["error"] == "access_denied"


@pytest.mark.parametrize("code", ["SERVER_ERROR", "server_error"])
def test_server_error_is_line_failing(client, code):
    state = state_of(client.get("/line/login").location)
    with captured(signals.login_failed) as failed, captured(signals.login_denied) as denied:
        response = client.get(f"/line/callback?error={code}&state={state}")
    assert response.status_code == 502 and isinstance(failed[0]["error"], errors.UpstreamUnavailable)
    assert denied == []


@pytest.mark.parametrize("code", ["INVALID_REQUEST", "UNSUPPORTED_RESPONSE_TYPE", "INVALID_SCOPE", "invalid_scope"])
def test_a_malformed_request_is_our_misconfiguration(client, caplog, code):
    state = state_of(client.get("/line/login").location)
    with captured(signals.login_failed) as failed:
        response = client.get(f"/line/callback?error={code}&state={state}&error_description=bad")
    assert response.status_code == 500
    assert isinstance(failed[0]["error"], errors.SignInMisconfigured)
    logged = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert logged and "LINE_LOGIN_SCOPES" in logged[0].getMessage()


@pytest.mark.parametrize("code", ["LOGIN_REQUIRED", "INTERACTION_REQUIRED"])
def test_prompt_none_errors_without_prompt_none_are_failures(client, code):
    state = state_of(client.get("/line/login").location)
    assert client.get(f"/line/callback?error={code}&state={state}").status_code == 400


def test_an_unknown_error_code_is_a_failure(client):
    state = state_of(client.get("/line/login").location)
    with captured(signals.login_failed) as failed:
        assert client.get(f"/line/callback?error=SOMETHING_NEW&state={state}").status_code == 400
    assert failed


def test_the_emulator_answers_a_bad_option_with_invalid_request(client, line_platform, caplog):
    # LINE's own refusal of a parameter we sent: the emulator redirects back with INVALID_REQUEST.
    start = client.get("/line/login").location + "&bot_prompt=sometimes"
    back = line_platform.consent(start)
    assert back.params["error"] == "INVALID_REQUEST"
    assert deliver(client, back).status_code == 500


# Silent sign-in (prompt=none) --------------------------------------------------------------------------------


def test_silent_sign_in_falls_back_to_the_screen_once_then_signs_in_silently(client, line_platform):
    with captured(signals.login_failed) as failed:
        start = client.get("/line/login?prompt=none&next=/profile")
        assert params_of(start.location)["prompt"] == "none"
        back = line_platform.consent(start.location)  # the emulator has never seen this browser
        assert back.params["error"] == "LOGIN_REQUIRED"
        fallback = deliver(client, back)
        assert fallback.status_code == 302 and "prompt" not in params_of(fallback.location)
        final = deliver(client, line_platform.consent(fallback.location, user="Cony"))
    assert final.location == "/profile"
    assert failed == [], "a fallback is not a failure"
    client.post("/line/logout")
    served = len(line_platform.platform.requests)
    start = client.get("/line/login?prompt=none&next=/profile")
    back = line_platform.consent(start.location)  # signed in at the emulator: no screen
    assert "code" in back.params
    assert deliver(client, back).location == "/profile"
    assert client.get("/profile").json["name"] == "Cony"
    assert "POST /_emulator/consent" not in line_platform.platform.requests[served:]


def test_silent_sign_in_needing_new_consent_falls_back(make_app, line_platform):
    client = make_app().test_client()
    follow_login(client, line_platform, user="Brown")
    other = make_app(LINE_LOGIN_SCOPES="profile openid email").test_client()
    start = other.get("/line/login?prompt=none")
    back = line_platform.consent(start.location)
    assert back.params["error"] == "INTERACTION_REQUIRED"
    assert "prompt" not in params_of(deliver(other, back).location)


def test_prompt_none_as_a_setting_does_not_loop(make_app, line_platform):
    client = make_app(LINE_LOGIN_PROMPT="none").test_client()
    start = client.get("/line/login?next=/profile")
    fallback = deliver(client, line_platform.consent(start.location))
    assert "prompt" not in params_of(fallback.location), "the fallback asks with the screen"
    back = line_platform.consent(fallback.location, user="Brown")
    assert deliver(client, back).location == "/profile"


# max_age and auth_time (OpenID Connect Core 3.1.2.1, 3.1.3.7) --------------------------------------------------


def test_max_age_login_gets_and_checks_auth_time(client, line_platform):
    assert follow_login(client, line_platform, query="max_age=3600").status_code == 302


@pytest.mark.parametrize("auth_time", [None, "yesterday", 1])
def test_max_age_without_a_fresh_auth_time_is_refused(client, line_platform, auth_time):
    line_platform.platform.inject("POST /oauth2/v2.1/token", id_token={"claims": {"auth_time": auth_time}})
    with captured(signals.login_failed) as failed:
        response = follow_login(client, line_platform, query="max_age=600")
    assert response.status_code == 400 and isinstance(failed[0]["error"], errors.IdTokenError)


def test_max_age_setting_applies_too(make_app, line_platform):
    client = make_app(LINE_LOGIN_MAX_AGE=60).test_client()
    line_platform.platform.inject("POST /oauth2/v2.1/token", id_token={"claims": {"auth_time": int(time.time()) - 600}})
    assert follow_login(client, line_platform).status_code == 400


# Options ---------------------------------------------------------------------------------------------------


def test_disable_ios_auto_login_is_passed_to_line(client, line_platform):
    location = client.get("/line/login?disable_ios_auto_login=true").location
    assert params_of(location)["disable_ios_auto_login"] == "true"
    assert client.get("/line/login?disable_ios_auto_login=maybe").status_code == 400


# JWT response modes (JARM) ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["query.jwt", "jwt", "form_post.jwt"])
def test_jwt_response_modes_work_end_to_end(make_app, line_platform, mode):
    client = make_app(LINE_LOGIN_RESPONSE_MODE=mode).test_client()
    start = client.get("/line/login?next=/profile")
    assert params_of(start.location)["response_mode"] == mode
    back = line_platform.consent(start.location, user="Cony")
    assert set(back.params) == {"response"}, "everything is inside the signed JWT"
    assert back.method == ("POST" if mode == "form_post.jwt" else "GET")
    assert deliver(client, back).location == "/profile"
    assert client.get("/profile").json["name"] == "Cony"


def test_a_jwt_mode_denial_is_a_denial(make_app, line_platform):
    client = make_app(LINE_LOGIN_RESPONSE_MODE="query.jwt").test_client()
    with captured(signals.login_denied) as denied:
        assert follow_login(client, line_platform, allow=False).status_code == 403
    assert denied[0]["error"] == "access_denied"


def forged_response(state: str, **changes) -> str:
    now = int(time.time())
    claims = {"iss": changes.pop("iss", None) or "", "aud": DEMO_CHANNEL_ID, "exp": now + 600, "code": "x"}
    claims.update({"state": state, **changes})
    key = OctKey.import_key(changes.pop("secret", DEMO_CHANNEL_SECRET))
    return jwt.encode({"alg": "HS256"}, {k: v for k, v in claims.items() if k != "secret"}, key, algorithms=["HS256"])


@pytest.mark.parametrize(
    "forgery",
    ["tampered", "wrong_secret", "wrong_aud", "expired", "wrong_iss", "unknown_state", "none"],
)
def test_a_bad_response_jwt_is_rejected_before_anything_is_trusted(make_app, line_platform, forgery):
    client = make_app(LINE_LOGIN_RESPONSE_MODE="query.jwt").test_client()
    start = client.get("/line/login")
    back = line_platform.consent(start.location)
    response_jwt = back.params["response"]
    state = state_of(start.location)
    issuer = "https://access.line.me"
    if forgery == "tampered":
        response_jwt = response_jwt[:-3] + ("AAA" if not response_jwt.endswith("AAA") else "BBB")
    elif forgery == "wrong_secret":
        response_jwt = forged_response(state, iss=issuer, secret="not-the-channel-secret-at-all-000")
    elif forgery == "wrong_aud":
        response_jwt = forged_response(state, iss=issuer, aud="1999999999")
    elif forgery == "expired":
        response_jwt = forged_response(state, iss=issuer, exp=int(time.time()) - 3600)
    elif forgery == "wrong_iss":
        response_jwt = forged_response(state, iss="https://evil.example")
    elif forgery == "unknown_state":
        response_jwt = forged_response("x" * 43, iss=issuer)
    elif forgery == "none":
        response_jwt = response_jwt.split(".")[0] + "." + response_jwt.split(".")[1] + "."
    with captured(signals.login_failed) as failed:
        response = client.get(f"/line/callback?response={response_jwt}")
    assert response.status_code == 400
    assert failed
    assert line_platform.platform.calls("/oauth2/v2.1/token") == 0, "no parameter was used"


def test_plain_parameters_are_ignored_in_a_jwt_mode(make_app, line_platform):
    client = make_app(LINE_LOGIN_RESPONSE_MODE="query.jwt").test_client()
    start = client.get("/line/login")
    assert client.get(f"/line/callback?code=x&state={state_of(start.location)}").status_code == 400


# Friendship needs profile --------------------------------------------------------------------------------------


def test_is_friend_without_profile_is_refused_locally(make_app, line_platform):
    app = make_app(LINE_LOGIN_SCOPES="openid")

    @app.get("/friend")
    def friend() -> str:
        return str(app.extensions["line"].is_friend())

    client = app.test_client()
    follow_login(client, line_platform, user="Cony")
    response = client.get("/friend", headers={"Accept": "application/json"})
    assert response.status_code == 403 and response.json["error"] == "insufficient_scope"
    assert line_platform.platform.calls("/friendship/v1/status") == 0


# LINE WORKS (seed 001) ---------------------------------------------------------------------------------------

DISCOVERY = "/works/.well-known/openid-configuration"


def works_login(client, line_platform):
    start = client.get("/line/works/login?next=/works/me")
    return client.get(line_platform.consent(start.location).path)


def test_works_issuer_and_keys_come_from_discovery_once_per_process(app, line_platform):
    for _ in range(3):
        client = app.test_client()
        assert works_login(client, line_platform).location == "/works/me"
    assert line_platform.platform.calls(DISCOVERY) == 1


def test_works_settings_override_discovery(make_app, line_platform):
    app = make_app(
        LINE_WORKS_ISSUER="https://auth.worksmobile.com", LINE_WORKS_JWKS_URL=f"{line_platform.url}/oauth2/v2.0/certs"
    )
    assert works_login(app.test_client(), line_platform).status_code == 302
    assert line_platform.platform.calls(DISCOVERY) == 0


def test_works_wrong_issuer_override_is_refused(make_app, line_platform):
    app = make_app(LINE_WORKS_ISSUER="https://auth.worksmobile.example")
    assert works_login(app.test_client(), line_platform).status_code == 400


@pytest.mark.parametrize(
    "fault", [{"status": 503, "body": "down"}, {"status": 200, "body": {"issuer": "x"}}], ids=["outage", "garbage"]
)
def test_a_discovery_failure_is_a_clean_502_that_recovers(app, line_platform, fault):
    line_platform.platform.inject(f"GET {DISCOVERY}", **fault)
    client = app.test_client()
    with captured(signals.works_login_failed) as failed:
        assert works_login(client, line_platform).status_code == 502
    assert isinstance(failed[0]["error"], errors.UpstreamUnavailable)
    assert works_login(client, line_platform).location == "/works/me"


def test_a_plain_http_works_callback_on_a_real_host_warns(make_app, caplog):
    with pytest.warns(UserWarning, match="HTTPS"):
        make_app(LINE_WORKS_CALLBACK_URL="http://intranet.example/line/works/callback")
    assert any("LINE_WORKS_CALLBACK_URL" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "url", ["http://localhost:5000/line/works/callback", "http://127.0.0.1/cb", "https://intranet.example/cb"]
)
def test_https_or_localhost_works_callbacks_do_not_warn(make_app, url):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        make_app(LINE_WORKS_CALLBACK_URL=url)


def test_state_is_always_alphanumeric_as_line_documents(client):
    # Reference 1.2: "unique random alphanumeric per login session", not URL-encoded.
    states = {state_of(client.get("/line/login").location) for _ in range(300)}
    assert len(states) == 300
    assert all(state.isalnum() and len(state) == 43 for state in states)


@pytest.mark.parametrize(
    "start,callback,denied,failed",
    [
        ("/line/login", "/line/callback", signals.login_denied, signals.login_failed),
        ("/line/attach", "/line/attach/callback", signals.module_attach_denied, signals.module_attach_failed),
        ("/line/works/login", "/line/works/callback", signals.works_login_denied, signals.works_login_failed),
    ],
    ids=["login", "attach", "works"],
)
@pytest.mark.parametrize(
    "code,status,kind",
    [
        ("access_denied", 403, "denied"),
        ("ACCESS_DENIED", 403, "denied"),
        ("server_error", 502, "failed"),
        ("temporarily_unavailable", 502, "failed"),
        ("invalid_request", 500, "failed"),
        ("invalid_scope", 500, "failed"),
        ("unauthorized_client", 500, "failed"),
        ("unsupported_response_type", 500, "failed"),
        ("something_new", 400, "failed"),
    ],
)
def test_every_flow_reads_every_callback_error_code(
    client, line_platform, start, callback, denied, failed, code, status, kind
):
    follow_login(client, line_platform, user="Brown")
    state = state_of(client.get(start).location)
    with captured(denied) as was_denied, captured(failed) as was_failed:
        response = client.get(f"{callback}?error={code}&state={state}")
    assert response.status_code == status
    assert was_denied if kind == "denied" else was_failed, "the right signal"
    assert not (was_failed if kind == "denied" else was_denied)
    assert 'id="try-again"' in response.data.decode()
