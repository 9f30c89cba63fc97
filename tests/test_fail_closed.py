"""Fail closed, by class: every untrusted JSON parser is bounded, every demand refuses when its expected value is
missing, credentials sent together must be one person's, revocation is immediate here, oversized credentials are
refused locally, every logged value is escaped, JWT responses and discovery documents get the ID-token rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time

import pytest
from flask import jsonify, session

from flask_line import current_line_user, line_token_required, signals
from flask_line._wire.untrusted_json import MAX_DEPTH, UntrustedJsonError, parse
from flask_line.testing import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET, DEMO_MODULE_CHANNEL_SECRET
from tests.conftest import captured, deliver, follow_login

NESTED = "[" * 5000 + "]" * 5000
VERIFY = "/oauth2/v2.1/verify"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def nested_jwt() -> str:
    """A token whose payload nests 5,000 arrays (the ``aud`` lookup used to hit a RecursionError)."""
    return ".".join((b64(b'{"alg":"ES256"}'), b64(NESTED.encode()), b64(b"sig")))


@pytest.fixture
def token_app(make_app):
    app = make_app()

    @app.get("/ping")
    @line_token_required
    def ping():
        return jsonify(user_id=current_line_user.user_id)

    @app.post("/nonced")
    @line_token_required(nonce=lambda: session.get("expected_nonce"))
    def nonced():
        return jsonify(user_id=current_line_user.user_id)

    return app


# Depth and size bounds on every untrusted parser -------------------------------------------------------------


@pytest.mark.parametrize("where", ["header", "json_body"])
def test_a_deeply_nested_token_is_a_clean_401(token_app, where):
    client = token_app.test_client()
    if where == "header":
        answer = client.get("/ping", headers={"X-Line-Id-Token": nested_jwt()})
    else:
        answer = client.open("/ping", method="GET", json={"id_token": nested_jwt()})
    assert answer.status_code == 401 and answer.json["error"] == "invalid_token"


def test_a_deeply_nested_liff_body_or_token_is_a_clean_answer(token_app):
    client = token_app.test_client()
    nested_body = client.post("/line/session", data=NESTED, content_type="application/json")
    assert nested_body.status_code == 401 and nested_body.json["error"] == "missing_token"
    nested_token = client.post("/line/session", json={"id_token": nested_jwt()})
    assert nested_token.status_code == 401 and nested_token.json["error"] == "invalid_token"


def test_a_deeply_nested_answer_from_line_is_a_clean_502(client, line_platform):
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=200, body=NESTED)
    with captured(signals.login_failed) as failed:
        answer = follow_login(client, line_platform)
    assert answer.status_code == 502 and failed and failed[0]["error"].code == "upstream_unavailable"


def nested_list(levels: int) -> list:
    """A JSON value ``levels`` lists deep."""
    return json.loads("[" * levels + "]" * levels)


@pytest.mark.parametrize("levels", [MAX_DEPTH, MAX_DEPTH + 1])
def test_an_id_token_nested_to_the_limit_signs_in_and_one_level_more_is_refused(client, line_platform, levels):
    # Within the interpreter's own recursion limit: it is flask-line's bound that refuses, not a RecursionError.
    line_platform.platform.inject(
        "POST /oauth2/v2.1/token",
        id_token={"claims": {"extra": nested_list(levels - 1)}},  # the claims: one level
    )
    with captured(signals.login_failed) as failed:
        answer = follow_login(client, line_platform)
    if levels == MAX_DEPTH:
        assert answer.status_code == 302 and not failed
    else:
        assert answer.status_code >= 400 and failed[0]["error"].code == "invalid_id_token"


def test_an_answer_from_line_one_level_too_deep_is_a_clean_502(client, line_platform):
    body = json.dumps({"access_token": "a", "expires_in": 3600, "extra": nested_list(MAX_DEPTH)})
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=200, body=body)
    with captured(signals.login_failed) as failed:
        answer = follow_login(client, line_platform)
    assert answer.status_code == 502 and failed[0]["error"].code == "upstream_unavailable"


def test_brackets_inside_strings_do_not_make_json_too_deep():
    text = json.dumps({"display_name": "[" * 100 + "{" * 100, "tags": [["a"]]})
    assert parse(text)["tags"] == [["a"]]
    assert parse(text.encode())["display_name"].startswith("[[[")
    with pytest.raises(UntrustedJsonError):
        parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_a_deeply_nested_signed_webhook_is_a_clean_400(make_app):
    client = make_app().test_client()
    body = ('{"destination":"U1","events":' + NESTED + "}").encode()
    signature = base64.b64encode(hmac.new(DEMO_MODULE_CHANNEL_SECRET.encode(), body, hashlib.sha256).digest())
    answer = client.post("/line/module/webhook", data=body, headers={"X-Line-Signature": signature.decode()})
    assert answer.status_code == 400


@pytest.mark.parametrize("size", [8 * 1024, 1024 * 1024])
def test_an_oversized_bearer_token_is_refused_without_asking_line(token_app, line_platform, size):
    answer = token_app.test_client().get("/ping", headers={"Authorization": "Bearer " + "a" * size})
    assert answer.status_code == 401 and answer.json["error"] == "invalid_token"
    assert line_platform.platform.calls(VERIFY) == 0


# Demands whose expected value is missing refuse ----------------------------------------------------------------


def test_a_nonce_demand_with_no_expected_nonce_refuses_a_valid_id_token(token_app, line_platform):
    credentials = line_platform.liff_login("Brown", nonce="n-0123456789")
    fresh = token_app.test_client()  # a fresh session: nothing stored, so nothing is expected
    answer = fresh.post("/nonced", headers={"X-Line-Id-Token": credentials["id_token"]})
    assert answer.status_code == 401
    with fresh.session_transaction() as stored:
        stored["expected_nonce"] = "n-0123456789"
    assert fresh.post("/nonced", headers={"X-Line-Id-Token": credentials["id_token"]}).status_code == 200


def test_a_nonce_demand_refuses_an_access_token_alone(token_app, line_platform):
    credentials = line_platform.liff_login("Brown", nonce="n-0123456789")
    answer = token_app.test_client().post("/nonced", headers={"Authorization": f"Bearer {credentials['access_token']}"})
    assert answer.status_code == 401


# Credentials presented together are one person's ------------------------------------------------------------


def test_an_id_token_of_one_user_with_the_access_token_of_another_is_refused(token_app, line_platform):
    brown, cony = line_platform.liff_login("Brown"), line_platform.liff_login("Cony")
    mixed = {"X-Line-Id-Token": brown["id_token"], "Authorization": f"Bearer {cony['access_token']}"}
    answer = token_app.test_client().get("/ping", headers=mixed)
    assert answer.status_code == 401 and answer.json["error"] == "invalid_token"
    same = {"X-Line-Id-Token": brown["id_token"], "Authorization": f"Bearer {brown['access_token']}"}
    assert token_app.test_client().get("/ping", headers=same).json["user_id"] == brown_id(line_platform)


def brown_id(line_platform) -> str:
    return next(user.user_id for user in line_platform.platform.users.values() if user.display_name == "Brown")


# Revocation by this app is immediate ----------------------------------------------------------------------------


def test_a_token_this_app_revoked_at_logout_is_refused_at_once(token_app, line_platform):
    browser = token_app.test_client()
    follow_login(browser, line_platform, user="Brown")
    with token_app.app_context():
        from flask_line.testing import signed_in_line_token

        token = signed_in_line_token(browser).access_token
    api = token_app.test_client()
    assert api.get("/ping", headers={"Authorization": f"Bearer {token}"}).status_code == 200  # now cached
    browser.post("/line/logout")
    assert api.get("/ping", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# Every logged value is escaped ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["error_description", "error"])
def test_line_supplied_text_cannot_forge_a_log_line(client, line_platform, caplog, field):
    caplog.set_level(logging.DEBUG, logger="flask_line")
    start = client.get("/line/login")
    state = start.location.split("state=")[1].split("&")[0]
    values = {"error": "invalid_request", "error_description": "bad"}
    values[field] = values[field] + "\r\nERROR flask_line: forged line"
    client.get("/line/callback", query_string={"state": state, **values})
    for record in caplog.records:
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage()
    assert "forged line" in caplog.text, "the value is logged, escaped"


# JWT responses and discovery get the ID-token rules ------------------------------------------------------------


def test_a_jwt_response_with_another_audience_and_no_azp_is_refused(make_app, line_platform):
    from joserfc import jwt
    from joserfc.jwk import OctKey

    client = make_app(LINE_LOGIN_RESPONSE_MODE="query.jwt").test_client()
    start = client.get("/line/login")
    state = start.location.split("state=")[1].split("&")[0]
    now = int(time.time())
    claims = {"iss": "https://access.line.me", "aud": [DEMO_CHANNEL_ID, "1999999999"], "exp": now + 60, "iat": now}
    forged = jwt.encode(
        {"alg": "HS256"}, {**claims, "state": state, "code": "x"}, OctKey.import_key(DEMO_CHANNEL_SECRET)
    )
    answer = client.get("/line/callback", query_string={"response": forged})
    assert answer.status_code == 400


@pytest.mark.parametrize(
    "document",
    [
        {"issuer": "https://auth.worksmobile.example", "jwks_uri": "{url}/oauth2/v2.0/certs"},
        {"issuer": "https://auth.worksmobile.com", "jwks_uri": "https://keys.example/certs"},
    ],
    ids=["issuer-not-matching-config", "foreign-jwks-uri"],
)
def test_a_discovery_document_that_does_not_match_its_url_is_refused(client, line_platform, document):
    body = {key: value.format(url=line_platform.url) for key, value in document.items()}
    line_platform.platform.inject("GET /works/.well-known/openid-configuration", status=200, body=json.dumps(body))
    start = client.get("/line/works/login")
    back = line_platform.consent(start.location, user="Alice")
    assert deliver(client, back).status_code == 502
    assert line_platform.platform.calls("/oauth2/v2.0/certs") == 0, "no key is fetched from where it pointed"
