"""LINE WORKS: member sign-in with OpenID Connect, and the service account's JWT grant."""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from flask_line import errors, signals
from tests.conftest import captured, deliver, expire_token, follow_login

ALICE = "a1b2c3d4-0000-4000-8000-000000000001"


def works_login(client, line_platform, user="Alice", allow=True, next=None):
    start = client.get("/line/works/login" + (f"?next={next}" if next else ""))
    assert start.status_code == 302, start.data
    return deliver(client, line_platform.consent(start.location, user=user, allow=allow))


def test_sign_in_request_carries_state_nonce_and_pkce(client, line_platform):
    location = client.get("/line/works/login").location
    assert location.startswith(f"{line_platform.url}/oauth2/v2.0/authorize?")
    params = {key: value[0] for key, value in parse_qs(urlsplit(location).query).items()}
    assert params["client_id"] == "works-demo-client"
    assert params["scope"] == "openid"
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "https://app.test/line/works/callback", "LINE_WORKS_CALLBACK_URL is used"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["code_challenge_method"] == "S256"


def test_sign_in_verifies_the_rs256_id_token_and_lands_on_next(make_app, line_platform):
    client = make_app(LINE_WORKS_SCOPES="openid profile email").test_client()
    with captured(signals.works_login_succeeded) as succeeded:
        response = works_login(client, line_platform, next="/works/me")
    assert response.location == "/works/me"
    me = client.get("/works/me").json
    assert me == {"user_id": ALICE, "name": "Tanaka Alice", "email": "alice@works.example", "domain_id": "10000001"}
    assert succeeded[0]["user"].user_id == ALICE
    assert line_platform.platform.calls("/oauth2/v2.0/certs") == 1


def test_sign_in_without_openid_reads_users_me(make_app, line_platform):
    client = make_app(LINE_WORKS_SCOPES="user.read").test_client()
    works_login(client, line_platform, user="Bob")
    assert client.get("/works/me").json["name"] == "Sato Bob"
    assert line_platform.platform.calls("/v1.0/users/me") == 1


def test_denial_fires_works_login_denied(client, line_platform):
    with captured(signals.works_login_denied) as denied:
        response = works_login(client, line_platform, allow=False)
    assert response.status_code == 403
    assert denied[0]["error"] == "access_denied"


FORGERIES = {
    "bad signature": {"key": "wrong_secret"},
    "alg none": {"key": "none"},
    "wrong issuer": {"claims": {"iss": "https://auth.evil.example"}},
    "wrong audience": {"claims": {"aud": "another-client"}},
    "expired": {"claims": {"exp": int(time.time()) - 600, "iat": int(time.time()) - 4200}},
    "nonce mismatch": {"claims": {"nonce": "not-ours"}},
    "bad at_hash": {"claims": {"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}},
    "unknown kid": {"key": "unknown_kid"},
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_forged_id_token_is_rejected_and_nobody_signs_in(client, line_platform, forgery):
    line_platform.platform.inject("POST /oauth2/v2.0/token", id_token=forgery)
    with captured(signals.works_login_failed) as failed:
        response = works_login(client, line_platform)
    assert response.status_code == 400
    assert isinstance(failed[0]["error"], errors.IdTokenError)
    assert client.get("/works/me", headers={"Accept": "application/json"}).status_code == 401


def test_rotated_key_is_fetched_once_and_accepted(client, line_platform):
    works_login(client, line_platform)
    line_platform.platform.rotate_keys()
    client.post("/line/works/logout")
    works_login(client, line_platform, user="Bob")
    assert client.get("/works/me").json["name"] is None
    assert line_platform.platform.calls("/oauth2/v2.0/certs") == 2


def test_line_login_and_works_sign_in_coexist(client, line_platform):
    follow_login(client, line_platform, user="Brown")
    works_login(client, line_platform, user="Alice")
    assert client.get("/profile").json["name"] == "Brown"
    assert client.get("/works/me").json["user_id"] == ALICE
    client.post("/line/works/logout")
    assert client.get("/profile").json["name"] == "Brown"
    assert client.get("/works/me").status_code == 302


def test_works_decorator_redirects_browsers_and_401s_json(client):
    assert client.get("/works/me?x=1").location == "/line/works/login?next=/works/me?x%3D1"
    assert client.get("/works/me", headers={"Accept": "application/json"}).status_code == 401


def test_member_token_is_refreshed_transparently(app, line_platform):
    @app.get("/works/token")
    def token() -> str:
        return app.extensions["line"].works.get_access_token()

    client = app.test_client()
    works_login(client, line_platform)
    old = client.get("/works/token").data.decode()
    expire_token(client, works=True)
    new = client.get("/works/token").data.decode()
    assert new != old and new in line_platform.platform.access_tokens


# Service account --------------------------------------------------------------------------------------------


def test_service_token_is_issued_with_a_signed_assertion_and_cached(app, line_platform):
    with app.app_context():
        works = app.extensions["line"].works
        first = works.service_token()
        second = works.service_token()
    assert first is second
    assert first.scopes == ("bot",)
    assert first.expires_at == pytest.approx(time.time() + 86400, abs=30), "expires_in arrives as a string"
    assert line_platform.platform.calls("/oauth2/v2.0/token") == 1


def test_concurrent_callers_share_one_token_request(app, line_platform):
    line_platform.platform.inject("POST /oauth2/v2.0/token", delay=0.3)  # a slow LINE WORKS makes a stampede visible
    tokens: list[str] = []

    def call() -> None:
        with app.app_context():
            tokens.append(app.extensions["line"].works.service_token().access_token)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tokens) == 20 and len(set(tokens)) == 1
    assert line_platform.platform.calls("/oauth2/v2.0/token") == 1


def test_service_token_is_reissued_near_expiry(app, line_platform):
    # LINE WORKS answers with a token that expires in 61 s: within a second it is inside the 60 s margin.
    short = {"access_token": "short-lived", "token_type": "Bearer", "expires_in": "61", "scope": "bot"}
    line_platform.platform.inject("POST /oauth2/v2.0/token", status=200, body=short)
    with app.app_context():
        works = app.extensions["line"].works
        assert works.service_token().access_token == "short-lived"
        assert works.service_token().access_token == "short-lived", "cached while valid"
        time.sleep(1.1)
        assert works.service_token().access_token != "short-lived"
    assert line_platform.platform.calls("/oauth2/v2.0/token") == 2


def test_api_client_sends_the_token_and_retries_once_on_401(app, line_platform):
    with app.app_context():
        api = app.extensions["line"].works.api()
        api.post("/bots/123/users/u1/messages", json={"content": {"type": "text", "text": "hi"}})
        line_platform.platform.access_tokens.clear()  # LINE WORKS revoked the token early
        response = api.post("/bots/123/users/u1/messages", json={"content": {"type": "text", "text": "again"}})
    assert response.status_code == 201
    assert [call[2]["content"]["text"] for call in line_platform.platform.works_calls] == ["hi", "again"]
    assert line_platform.platform.calls("/oauth2/v2.0/token") == 2


def test_rejected_assertion_is_a_clear_error(make_app, line_platform, caplog):
    from joserfc.jwk import RSAKey

    other_key = RSAKey.generate_key(2048).as_pem(private=True).decode()
    app = make_app(LINE_WORKS_PRIVATE_KEY=other_key)
    caplog.set_level(logging.DEBUG)
    with app.app_context(), pytest.raises(errors.ServiceAccountError, match="private key"):
        app.extensions["line"].works.service_token()
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "PRIVATE KEY" not in logged and other_key[40:80] not in logged


@pytest.mark.parametrize(
    "config,key",
    [
        (
            {"LINE_WORKS_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"},
            "LINE_WORKS_PRIVATE_KEY",
        ),
        (
            {"LINE_WORKS_PRIVATE_KEY": None, "LINE_WORKS_PRIVATE_KEY_PATH": "/nonexistent/key.pem"},
            "LINE_WORKS_PRIVATE_KEY_PATH",
        ),
        ({"LINE_WORKS_PRIVATE_KEY": None}, "LINE_WORKS_PRIVATE_KEY"),
        ({"LINE_WORKS_CLIENT_SECRET": None}, "LINE_WORKS_CLIENT_SECRET"),
    ],
)
def test_bad_service_account_settings_name_the_key(make_app, config, key):
    with pytest.raises(errors.ConfigurationError) as raised:
        make_app(**config)
    assert raised.value.key == key
    assert "not a key" not in str(raised.value)


def test_a_public_key_or_another_kind_of_key_is_named_for_what_it_is(make_app, line_platform):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from joserfc.jwk import RSAKey

    public = RSAKey.import_key(line_platform.app_config()["LINE_WORKS_PRIVATE_KEY"]).as_pem(private=False).decode()
    with pytest.raises(errors.ConfigurationError, match="is a public key") as raised:
        make_app(LINE_WORKS_PRIVATE_KEY=public)
    assert raised.value.key == "LINE_WORKS_PRIVATE_KEY"
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(errors.ConfigurationError, match="not a PEM-encoded RSA private key"):
        make_app(LINE_WORKS_PRIVATE_KEY=ec_key.decode())


def test_private_key_can_be_read_from_a_file(make_app, line_platform, tmp_path):
    path = tmp_path / "key.pem"
    path.write_text(line_platform.app_config()["LINE_WORKS_PRIVATE_KEY"])
    app = make_app(LINE_WORKS_PRIVATE_KEY=None, LINE_WORKS_PRIVATE_KEY_PATH=str(path))
    with app.app_context():
        assert app.extensions["line"].works.service_token().access_token


def test_cli_prints_scopes_and_expiry_but_not_the_token(app, line_platform):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["line", "works-token"])
    assert result.exit_code == 0, result.output
    assert "scopes: bot" in result.output and "expires: " in result.output
    assert not any(token in result.output for token in line_platform.platform.access_tokens)
    shown = runner.invoke(args=["line", "works-token", "--show"])
    assert any(token in shown.output for token in line_platform.platform.access_tokens)


def test_logout_ends_the_session_at_line_works_when_discovery_advertises_it(client, line_platform):
    import json

    base = line_platform.url
    document = {
        "issuer": "https://auth.worksmobile.com",
        "jwks_uri": f"{base}/oauth2/v2.0/certs",
        "end_session_endpoint": "https://auth.worksmobile.com/oauth2/v2.0/logout",
    }
    line_platform.platform.inject(
        "GET /works/.well-known/openid-configuration", status=200, body=json.dumps(document), times=5
    )
    assert works_login(client, line_platform).status_code == 302
    answer = client.post("/line/works/logout", data={"next": "/bye"})
    target = urlsplit(answer.location)
    assert f"{target.scheme}://{target.netloc}{target.path}" == document["end_session_endpoint"]
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["https://app.test/bye"], "HTTPS, at the registered callback's host"
    assert query["id_token_hint"][0].count(".") == 2
    assert client.get("/works/me").status_code == 302, "signed out here too"


def test_logout_at_the_emulator_comes_back_to_the_registered_https_url(client, line_platform):
    line_platform.platform.register_logout_url("works-demo-client", "https://app.test/bye")
    assert works_login(client, line_platform).status_code == 302
    answer = client.post("/line/works/logout", data={"next": "/bye"})
    assert answer.location.startswith(f"{line_platform.url}/oauth2/v2.0/logout?")
    assert "localhost" not in answer.location and "http%3A" not in answer.location
    back = requests.get(answer.location, allow_redirects=False, timeout=5)
    assert back.status_code == 302 and back.headers["Location"] == "https://app.test/bye"
    assert line_platform.platform.works_logouts == [("works-demo-client", ALICE)]
    assert client.get("/works/me").status_code == 302


def test_logout_never_sends_the_requests_own_host(make_app, line_platform):
    client = make_app(SERVER_NAME="localhost", PREFERRED_URL_SCHEME="http").test_client()
    line_platform.platform.register_logout_url("works-demo-client", "https://app.test/")
    assert works_login(client, line_platform).status_code == 302
    answer = client.post("/line/works/logout")
    assert parse_qs(urlsplit(answer.location).query)["post_logout_redirect_uri"] == ["https://app.test/"]


def test_the_logout_redirect_url_setting_is_sent_as_it_is(make_app, line_platform):
    client = make_app(LINE_WORKS_LOGOUT_REDIRECT_URL="https://app.test/signed-out").test_client()
    line_platform.platform.register_logout_url("works-demo-client", "https://app.test/signed-out")
    assert works_login(client, line_platform).status_code == 302
    answer = client.post("/line/works/logout", data={"next": "/bye"})
    back = requests.get(answer.location, allow_redirects=False, timeout=5)
    assert back.headers["Location"] == "https://app.test/signed-out"


def test_a_plain_http_logout_redirect_url_is_refused_at_init_app(make_app):
    with pytest.raises(errors.ConfigurationError, match="LINE_WORKS_LOGOUT_REDIRECT_URL"):
        make_app(LINE_WORKS_LOGOUT_REDIRECT_URL="http://app.test/signed-out")


def test_logout_without_an_end_session_endpoint_is_local(client, line_platform):
    import json

    base = line_platform.url
    document = {"issuer": "https://auth.worksmobile.com", "jwks_uri": f"{base}/oauth2/v2.0/certs"}
    line_platform.platform.inject(
        "GET /works/.well-known/openid-configuration", status=200, body=json.dumps(document), times=5
    )
    assert works_login(client, line_platform).status_code == 302
    answer = client.post("/line/works/logout", data={"next": "/bye"})
    assert answer.location == "/bye"
    assert client.get("/works/me").status_code == 302
