"""JSON APIs, LIFF apps and native clients: 401s for API clients, and LINE credentials sent with the request."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from flask import Blueprint, jsonify

from flask_line import current_line_user, errors, line_login_required, line_token_required, signals
from flask_line.testing import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET
from tests.conftest import captured, follow_login
from tests.local import serve_in_background

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"
FETCH = {"Accept": "*/*", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture
def api_app(make_app):
    app = make_app()
    api = Blueprint("api", __name__)

    @api.get("/api/blueprint-me")
    def blueprint_me():
        return jsonify(user_id=current_line_user.user_id)

    line_login_required.protect(api, api=True)
    app.register_blueprint(api)

    @app.get("/api/me")
    @line_login_required(api=True)
    def api_me():
        return jsonify(user_id=current_line_user.user_id)

    @app.get("/token/ping")
    @line_token_required
    def ping():
        return jsonify(ok=True)

    @app.route("/token/me", methods=["GET", "POST"])
    @line_token_required(scopes=["profile"])
    def token_me():
        return jsonify(user_id=current_line_user.user_id, name=current_line_user.display_name)

    @app.get("/token/email")
    @line_token_required(scopes=["email"])
    def token_email():
        return jsonify(email=current_line_user.email)

    @app.get("/token/qr-only")
    @line_token_required(amr=["lineqr"])
    def qr_only():
        return "ok"

    return app


# 1. API answers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [FETCH, {"Accept": "*/*"}, {}, {"X-Requested-With": "XMLHttpRequest"}, {"Accept": "application/json"}],
    ids=["fetch", "curl", "no-accept", "xhr", "json"],
)
def test_an_api_client_gets_a_401_with_www_authenticate(api_app, headers):
    response = api_app.test_client().get("/profile", headers=headers, environ_base={"HTTP_ACCEPT": ""})
    assert response.status_code == 401
    assert response.json["error"] == "not_authenticated" and response.json["login_url"].startswith("/line/login")
    assert response.headers["WWW-Authenticate"].startswith("LINE-Login ")


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Mode": "navigate", "Accept": "*/*"}, {"Accept": "text/html,application/xhtml+xml"}],
    ids=["fetch-metadata", "accept-html"],
)
def test_a_page_navigation_is_sent_to_line(api_app, headers):
    response = api_app.test_client().get("/profile", headers=headers)
    assert response.status_code == 302 and response.location.startswith("/line/login")


def test_api_true_and_a_protected_blueprint_never_redirect(api_app):
    client = api_app.test_client()
    navigation = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
    assert client.get("/api/me", headers=navigation).status_code == 401
    assert client.get("/api/blueprint-me", headers=navigation).status_code == 401


def test_a_signed_in_session_still_reaches_api_routes(api_app, line_platform):
    client = api_app.test_client()
    follow_login(client, line_platform, user="Brown")
    assert client.get("/api/blueprint-me", headers=FETCH).json["user_id"] == BROWN


# 2. Credentials sent with the request --------------------------------------------------------------------------


def test_a_bearer_access_token_is_verified_once_then_cached(api_app, line_platform):
    credentials = line_platform.liff_login("Brown")
    client = api_app.test_client()
    bearer = {"Authorization": f"Bearer {credentials['access_token']}"}
    served = len(line_platform.platform.requests)
    assert client.get("/token/ping", headers=bearer).json == {"ok": True}
    assert line_platform.platform.requests[served:] == ["GET /oauth2/v2.1/verify"], "exactly one call"
    served = len(line_platform.platform.requests)
    assert client.get("/token/ping", headers=bearer).status_code == 200
    assert line_platform.platform.requests[served:] == [], "a cached token makes no call"
    assert client.get("/token/me", headers=bearer).json == {"user_id": BROWN, "name": "Brown"}
    assert line_platform.platform.calls("/v2/profile") == 1, "the profile only when the view reads the user"
    client.get("/token/me", headers=bearer)
    assert line_platform.platform.calls("/v2/profile") == 1, "and cached with the token"
    assert client.get_cookie("session", domain="app.test") is None, "no session is created"


@pytest.mark.parametrize("where", ["header", "json"])
def test_an_id_token_is_verified_locally(api_app, line_platform, where):
    credentials = line_platform.liff_login("Cony")
    client = api_app.test_client()
    served = len(line_platform.platform.requests)
    if where == "header":
        response = client.get("/token/me", headers={"X-Line-Id-Token": credentials["id_token"]})
    else:
        response = client.post("/token/me", json={"id_token": credentials["id_token"]})
    assert response.json == {"user_id": "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8", "name": "Cony"}
    assert all("certs" in entry for entry in line_platform.platform.requests[served:]), "only LINE's keys, once"


def refused(response, code, status=401):
    assert response.status_code == status, response.data
    assert response.json["error"] == code
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_a_missing_credential_is_refused(api_app):
    with captured(signals.login_failed) as failed:
        refused(api_app.test_client().get("/token/ping"), "missing_token")
    assert isinstance(failed[0]["error"], errors.TokenAuthError)


@pytest.mark.parametrize("kind", ["tampered", "garbage", "other-key", "wrong-issuer"])
def test_a_forged_id_token_is_refused(api_app, line_platform, kind):
    token = line_platform.liff_login("Brown")["id_token"]
    platform = line_platform.platform
    now = int(time.time())
    claims = {"iss": "https://access.line.me", "sub": BROWN, "aud": DEMO_CHANNEL_ID, "exp": now + 600, "iat": now}
    if kind == "tampered":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elif kind == "garbage":
        token = "not.a.token"
    elif kind == "other-key":
        header, key = platform.keys.header_and_key("HS256", "not-the-channel-secret-at-all-000")
        token = platform.keys.sign(header, claims, key)
    else:
        header, key = platform.keys.header_and_key("ES256", "")
        token = platform.keys.sign(header, {**claims, "iss": "https://evil.example"}, key)
    with captured(signals.login_failed) as failed:
        refused(api_app.test_client().get("/token/me", headers={"X-Line-Id-Token": token}), "invalid_token")
    assert failed


def test_an_expired_id_token_is_refused(api_app, line_platform):
    platform = line_platform.platform
    header, key = platform.keys.header_and_key("ES256", "")
    old = int(time.time()) - 7200
    claims = {"iss": "https://access.line.me", "sub": BROWN, "aud": DEMO_CHANNEL_ID, "exp": old + 3600, "iat": old}
    response = api_app.test_client().get(
        "/token/ping", headers={"X-Line-Id-Token": platform.keys.sign(header, claims, key)}
    )
    refused(response, "expired_token")


def pinged_app(make_app, **config):
    """An app whose ``/ping`` needs LINE credentials and answers the user's id."""
    app = make_app(**config)

    @app.get("/ping")
    @line_token_required
    def ping():
        return current_line_user.user_id

    return app


def test_another_channels_credentials_are_refused_unless_configured(make_app, line_platform):
    line_platform.platform.add_channel("1999999999", "another-channel-secret-000000000")
    credentials = line_platform.liff_login("Brown", channel_id="1999999999")
    app = pinged_app(make_app)
    for headers in (
        {"X-Line-Id-Token": credentials["id_token"]},
        {"Authorization": f"Bearer {credentials['access_token']}"},
    ):
        refused(app.test_client().get("/ping", headers=headers), "foreign_channel")
    liff_app = pinged_app(make_app, LINE_TOKEN_CHANNEL_IDS=["1999999999"])
    assert (
        liff_app.test_client().get("/ping", headers={"X-Line-Id-Token": credentials["id_token"]}).data == BROWN.encode()
    )


@pytest.mark.parametrize("how", ["revoked", "unknown"])
def test_a_revoked_or_unknown_access_token_is_refused(api_app, line_platform, how):
    token = line_platform.liff_login("Brown")["access_token"]
    if how == "revoked":
        form = {"access_token": token, "client_id": DEMO_CHANNEL_ID, "client_secret": DEMO_CHANNEL_SECRET}
        requests.post(f"{line_platform.url}/oauth2/v2.1/revoke", data=form, timeout=5)
    else:
        token = "made-up-token"
    refused(api_app.test_client().get("/token/ping", headers={"Authorization": f"Bearer {token}"}), "invalid_token")


def test_the_cache_never_outlives_the_token(make_app, line_platform):
    line_platform.platform.token_ttl = 1.5
    app = pinged_app(make_app, LINE_TOKEN_CACHE_TTL=300)
    bearer = {"Authorization": f"Bearer {line_platform.liff_login('Brown')['access_token']}"}
    client = app.test_client()
    assert client.get("/ping", headers=bearer).status_code == 200
    time.sleep(1.6)
    refused(client.get("/ping", headers=bearer), "expired_token")


def test_the_cache_ttl_bounds_how_long_line_is_not_asked(make_app, line_platform):
    app = pinged_app(make_app, LINE_TOKEN_CACHE_TTL=0.5)
    bearer = {"Authorization": f"Bearer {line_platform.liff_login('Brown')['access_token']}"}
    client = app.test_client()
    client.get("/ping", headers=bearer)
    client.get("/ping", headers=bearer)
    time.sleep(0.6)
    client.get("/ping", headers=bearer)
    assert line_platform.platform.calls("/oauth2/v2.1/verify") == 2


def test_the_cache_is_safe_across_threads(api_app, line_platform):
    tokens = [line_platform.liff_login(name)["access_token"] for name in ("Brown", "Cony", "Sally")]
    results: list[int] = []

    def worker(index: int) -> None:
        client = api_app.test_client()
        for round_ in range(10):
            token = tokens[(index + round_) % 3]
            results.append(client.get("/token/ping", headers={"Authorization": f"Bearer {token}"}).status_code)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 120


def test_required_scopes_and_amr_are_enforced(api_app, line_platform):
    openid_only = line_platform.liff_login("Brown", scope="openid")
    refused(
        api_app.test_client().get("/token/me", headers={"X-Line-Id-Token": openid_only["id_token"]}),
        "insufficient_scope",
        403,
    )
    with_profile = line_platform.liff_login("Brown")
    refused(
        api_app.test_client().get("/token/qr-only", headers={"X-Line-Id-Token": with_profile["id_token"]}),
        "insufficient_scope",
        403,
    )


def test_an_access_token_alone_cannot_prove_email(api_app, line_platform):
    granted = line_platform.liff_login("Brown", scope="profile openid email")
    answer = api_app.test_client().get("/token/email", headers={"Authorization": f"Bearer {granted['access_token']}"})
    refused(answer, "insufficient_scope", 403)
    assert "ID token" in answer.json["message"], "the client is told what to send"
    assert "X-Line-Id-Token" in answer.headers["WWW-Authenticate"]


def test_an_id_token_with_the_email_claim_proves_email(api_app, line_platform):
    granted = line_platform.liff_login("Brown", scope="profile openid email")
    by_id_token = api_app.test_client().get("/token/email", headers={"X-Line-Id-Token": granted["id_token"]})
    assert by_id_token.status_code == 200 and by_id_token.json == {"email": "brown@example.com"}
    both = {"X-Line-Id-Token": granted["id_token"], "Authorization": f"Bearer {granted['access_token']}"}
    assert api_app.test_client().get("/token/email", headers=both).status_code == 200


def test_an_access_token_and_id_token_of_different_channels_are_refused(api_app, line_platform):
    line_platform.platform.add_channel("1999999999", "another-channel-secret-000000000")
    ours = line_platform.liff_login("Brown")
    theirs = line_platform.liff_login("Brown", channel_id="1999999999")
    headers = {"X-Line-Id-Token": ours["id_token"], "Authorization": f"Bearer {theirs['access_token']}"}
    assert api_app.test_client().get("/token/ping", headers=headers).status_code == 401


# 3. The LIFF session exchange ----------------------------------------------------------------------------------


def test_a_liff_id_token_starts_a_normal_session(api_app, line_platform):
    client = api_app.test_client()
    assert client.get("/profile").status_code == 302
    with captured(signals.login_succeeded) as succeeded:
        response = client.post("/line/session", json={"id_token": line_platform.liff_login("Sally")["id_token"]})
    assert response.status_code == 200 and response.json["display_name"] == "Sally"
    assert succeeded[0]["user"].display_name == "Sally"
    assert client.get("/profile").json["name"] == "Sally"


@pytest.mark.parametrize(
    "kwargs,status",
    [
        ({"data": {"id_token": "x"}}, 415),
        ({"json": {"id_token": "forged.token.here"}}, 401),
        ({"json": {}}, 401),
        ({"json": {"id_token": "x"}, "headers": {"Origin": "https://evil.example"}}, 403),
        ({"json": {"id_token": "x"}, "headers": {"Origin": "null"}}, 403),
    ],
    ids=["form", "forged", "missing", "cross-site", "origin-null"],
)
def test_the_session_exchange_refuses_what_it_should(api_app, kwargs, status):
    client = api_app.test_client()
    assert client.post("/line/session", **kwargs).status_code == status
    assert client.get("/profile").status_code == 302, "no session started"


def test_the_session_exchange_rotates_the_session_id(api_app, line_platform):
    client = api_app.test_client()
    client.get("/line/login")  # a session exists before
    before = client.get_cookie("session", domain="app.test").value
    client.post("/line/session", json={"id_token": line_platform.liff_login("Brown")["id_token"]})
    assert client.get_cookie("session", domain="app.test").value != before


def test_the_native_client_script_calls_the_liff_example(line_platform, monkeypatch, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from werkzeug.serving import make_server

    from examples.run_demo import load_example

    monkeypatch.setenv("LINE_EMULATOR_URL", line_platform.url)
    app = load_example("liff").create_app()
    app.instance_path = str(tmp_path)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serve_in_background(server)
    try:
        root = Path(__file__).resolve().parents[1]
        result = subprocess.run(
            [sys.executable, "examples/liff/client.py", f"http://127.0.0.1:{server.port}", "Sally"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            env={**__import__("os").environ, "LINE_EMULATOR_URL": line_platform.url},
        )
    finally:
        server.shutdown()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("200 ") and "Sally" in result.stdout


def test_a_nonce_the_app_supplies_must_match(make_app, line_platform):
    app = make_app()
    expected = {"nonce": "n-0123456789"}

    @app.get("/nonce")
    @line_token_required(nonce=lambda: expected["nonce"])
    def with_nonce():
        return current_line_user.user_id

    client = app.test_client()
    good = line_platform.liff_login("Brown", nonce="n-0123456789")["id_token"]
    assert client.get("/nonce", headers={"X-Line-Id-Token": good}).data == BROWN.encode()
    replayed = line_platform.liff_login("Brown", nonce="another-nonce")["id_token"]
    refused(client.get("/nonce", headers={"X-Line-Id-Token": replayed}), "invalid_token")
