"""Every callback we must refuse: a clean error, a ``login_failed`` signal, and the signed-in state untouched."""

from __future__ import annotations

import time

import pytest

from flask_line import errors, signals
from tests.conftest import captured, deliver, follow_login


def signed_in_as(client) -> str | None:
    response = client.get("/profile", headers={"Accept": "application/json"})
    return response.json["name"] if response.status_code == 200 else None


@pytest.fixture
def signed_in(client, line_platform):
    """A browser already signed in as Brown, whose login must survive every rejected callback."""
    follow_login(client, line_platform, user="Brown")
    assert signed_in_as(client) == "Brown"
    return client


def rejected(client, response, error_class):
    assert response.status_code == error_class.status_code, response.data
    assert b"Traceback" not in response.data
    assert signed_in_as(client) == "Brown", "an existing login must survive a rejected callback"


def start_and_consent(client, line_platform, user="Cony"):
    start = client.get("/line/login")
    return line_platform.consent(start.location, user=user)


def test_user_denial_fires_login_denied_and_shows_a_clean_page(signed_in, line_platform):
    with captured(signals.login_denied) as denied, captured(signals.login_failed) as failed:
        response = follow_login(signed_in, line_platform, allow=False)
    rejected(signed_in, response, errors.AuthorizationDenied)
    assert b"Sign-in was cancelled" in response.data
    assert denied[0]["error"] == "access_denied"
    assert denied[0]["description"] == "The resource owner denied the request."
    assert failed == []


def test_denial_is_json_for_api_clients(client, line_platform):
    start = client.get("/line/login")
    back = line_platform.consent(start.location, allow=False)
    response = client.get(back.path, headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.json["error"] == "access_denied"


def test_missing_state_is_rejected(signed_in, line_platform):
    back = start_and_consent(signed_in, line_platform)
    with captured(signals.login_failed) as failed:
        response = signed_in.get(f"/line/callback?code={back.params['code']}")
    rejected(signed_in, response, errors.StateError)
    assert isinstance(failed[0]["error"], errors.StateError)


def test_foreign_state_is_rejected(signed_in, line_platform):
    back = start_and_consent(signed_in, line_platform)
    forged = "A" * len(back.params["state"])
    with captured(signals.login_failed) as failed:
        response = signed_in.get(f"/line/callback?code={back.params['code']}&state={forged}")
    rejected(signed_in, response, errors.StateError)
    assert len(failed) == 1


def test_state_from_another_browser_is_rejected(app, signed_in, line_platform):
    other_browser = app.test_client()
    back = start_and_consent(other_browser, line_platform, user="Sally")
    response = deliver(signed_in, back)
    rejected(signed_in, response, errors.StateError)


def test_a_callback_replayed_from_another_browser_is_rejected(app, client, line_platform):
    back = start_and_consent(client, line_platform, user="Cony")
    assert deliver(client, back).status_code == 302
    other = app.test_client()
    with captured(signals.login_failed) as failed:
        replay = deliver(other, back)
    assert replay.status_code == 400
    assert isinstance(failed[0]["error"], errors.StateError)
    assert other.get("/profile").status_code == 302, "the other browser is signed in as nobody"
    assert signed_in_as(client) == "Cony"


def test_refreshing_the_callback_page_after_signing_in_goes_on_to_next(client, line_platform):
    start = client.get("/line/login?next=/profile")
    back = line_platform.consent(start.location, user="Cony")
    assert deliver(client, back).location == "/profile"
    with captured(signals.login_failed) as failed, captured(signals.login_succeeded) as succeeded:
        refreshed = deliver(client, back)
    assert refreshed.status_code == 302 and refreshed.location == "/profile"
    assert failed == [] and succeeded == [], "nothing failed, and nobody signed in again"
    assert signed_in_as(client) == "Cony"


def test_refreshing_the_callback_page_after_signing_out_is_rejected(client, line_platform):
    back = start_and_consent(client, line_platform, user="Cony")
    deliver(client, back)
    client.post("/line/logout")
    assert deliver(client, back).status_code == 400


def test_expired_state_is_rejected(make_app, line_platform):
    client = make_app(LINE_PENDING_TTL=1).test_client()
    back = start_and_consent(client, line_platform)
    time.sleep(1.1)  # LINE_PENDING_TTL is whole seconds
    with captured(signals.login_failed) as failed:
        response = deliver(client, back)
    assert response.status_code == 400
    assert isinstance(failed[0]["error"], errors.StateError)
    assert "expired" in failed[0]["error"].message, "the detail is for the log"
    assert b"took too long" in response.data, "the visitor reads plain words"


def test_callback_without_code_is_rejected(signed_in, line_platform):
    back = start_and_consent(signed_in, line_platform)
    response = signed_in.get(f"/line/callback?state={back.params['state']}")
    rejected(signed_in, response, errors.CallbackError)


def test_error_callback_with_a_forged_state_is_a_failure_not_a_denial(signed_in):
    with captured(signals.login_denied) as denied, captured(signals.login_failed) as failed:
        response = signed_in.get("/line/callback?error=ACCESS_DENIED&state=" + "B" * 43)
    rejected(signed_in, response, errors.StateError)
    assert denied == [] and len(failed) == 1


ID_TOKEN_FORGERIES = {
    "bad signature": {"key": "wrong_secret"},
    "alg none": {"key": "none"},
    "wrong issuer": {"claims": {"iss": "https://evil.example"}},
    "wrong audience": {"claims": {"aud": "9999999999"}},
    "several audiences without azp": {"claims": {"aud": ["1650000000", "9999999999"]}},
    "azp of another client": {"claims": {"azp": "9999999999"}},
    "expired": {"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
    "issued in the future": {"claims": {"iat": int(time.time()) + 3600}},
    "nonce mismatch": {"claims": {"nonce": "someone-elses-nonce"}},
    "nonce missing": {"claims": {"nonce": None}},
    "subject missing": {"claims": {"sub": None}},
}


@pytest.mark.parametrize("forgery", ID_TOKEN_FORGERIES.values(), ids=ID_TOKEN_FORGERIES.keys())
def test_forged_id_token_is_rejected(signed_in, line_platform, forgery):
    line_platform.platform.inject("POST /oauth2/v2.1/token", id_token=forgery)
    back = start_and_consent(signed_in, line_platform)
    with captured(signals.login_failed) as failed:
        response = deliver(signed_in, back)
    rejected(signed_in, response, errors.IdTokenError)
    assert isinstance(failed[0]["error"], errors.IdTokenError)


@pytest.mark.parametrize("forgery", ["public_key_hmac", "unknown_kid"])
def test_forged_es256_id_token_is_rejected(signed_in, line_platform, forgery):
    """An HS256 token keyed with LINE's public key (algorithm confusion), or one naming a key nobody published."""
    line_platform.platform.sign_id_tokens_with("ES256")
    line_platform.platform.inject("POST /oauth2/v2.1/token", id_token={"key": forgery})
    response = deliver(signed_in, start_and_consent(signed_in, line_platform))
    rejected(signed_in, response, errors.IdTokenError)


def test_algorithm_outside_the_allow_list_is_rejected(make_app, line_platform, caplog):
    client = make_app(LINE_LOGIN_ID_TOKEN_ALGORITHMS=["ES256"]).test_client()
    response = deliver(client, start_and_consent(client, line_platform))
    assert response.status_code == 400
    assert "not allowed" in caplog.text and b"not allowed" not in response.data


UPSTREAM_FAILURES = {
    "500": ({"status": 500, "body": "oops"}, errors.UpstreamUnavailable),
    "429": (
        {"status": 429, "body": {"message": "slow down"}, "headers": {"Retry-After": "3"}},
        errors.UpstreamUnavailable,
    ),
    "garbage": ({"status": 200, "body": "<html>not json"}, errors.UpstreamUnavailable),
    "truncated json": ({"status": 200, "body": '{"access_token": "abc", "expires'}, errors.UpstreamUnavailable),
    "json array": ({"status": 200, "body": ["not", "an", "object"]}, errors.UpstreamUnavailable),
    "no access token": ({"status": 200, "body": {"token_type": "Bearer"}}, errors.UpstreamUnavailable),
    "invalid_grant": ({"status": 400, "body": {"error": "invalid_grant"}}, errors.TokenRequestError),
    "4xx html": ({"status": 403, "body": "<html>forbidden"}, errors.UpstreamUnavailable),
}


@pytest.mark.parametrize("fault,error_class", UPSTREAM_FAILURES.values(), ids=UPSTREAM_FAILURES.keys())
def test_token_endpoint_failure_is_a_clean_error(signed_in, line_platform, fault, error_class, caplog):
    line_platform.platform.inject("POST /oauth2/v2.1/token", **fault)
    with captured(signals.login_failed) as failed:
        response = deliver(signed_in, start_and_consent(signed_in, line_platform))
    rejected(signed_in, response, error_class)
    assert type(failed[0]["error"]) is error_class
    assert any("login callback rejected" in record.getMessage() for record in caplog.records)


def test_token_endpoint_timeout_is_a_504(make_app, line_platform):
    client = make_app(LINE_HTTP_TIMEOUT=0.3).test_client()
    follow_login(client, line_platform, user="Brown")
    line_platform.platform.inject("POST /oauth2/v2.1/token", delay=1.0)
    with captured(signals.login_failed) as failed:
        response = deliver(client, start_and_consent(client, line_platform))
    rejected(client, response, errors.UpstreamTimeout)
    assert isinstance(failed[0]["error"], errors.UpstreamTimeout)


def test_line_unreachable_is_a_502(make_app, line_platform):
    client = make_app(LINE_LOGIN_TOKEN_URL="http://127.0.0.1:9/oauth2/v2.1/token").test_client()
    response = deliver(client, start_and_consent(client, line_platform))
    assert response.status_code == 502


def test_after_an_outage_the_next_login_works(signed_in, line_platform):
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=503, body="down")
    assert deliver(signed_in, start_and_consent(signed_in, line_platform)).status_code == 502
    assert deliver(signed_in, start_and_consent(signed_in, line_platform, user="Sally")).status_code == 302
    assert signed_in_as(signed_in) == "Sally"


def test_replayed_code_is_refused_by_line_and_rejected(client, line_platform, caplog):
    back = start_and_consent(client, line_platform)
    deliver(client, back)
    second = client.get("/line/login")
    state = dict(p.split("=") for p in second.location.split("?")[1].split("&"))["state"]
    response = client.get(f"/line/callback?code={back.params['code']}&state={state}")
    assert response.status_code == 400
    assert "invalid_grant" in caplog.text


def test_secrets_never_reach_the_log(client, line_platform, caplog):
    caplog.set_level("DEBUG", logger="flask_line")
    follow_login(client, line_platform)
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=400, body={"error": "invalid_grant"})
    deliver(client, start_and_consent(client, line_platform))
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "emulator-demo-channel-secret-0001" not in logged
    for token in line_platform.platform.access_tokens:
        assert token not in logged
