"""The emulator as an independent copy of LINE: it refuses what LINE refuses and answers as LINE answers
(seeds and docs/testing.rst), tested over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from flask_line.testing import (
    DEMO_CHANNEL_ID,
    DEMO_CHANNEL_SECRET,
    DEMO_MODULE_CHANNEL_ID,
    DEMO_MODULE_CHANNEL_SECRET,
    DEMO_WORKS_CLIENT_ID,
    DEMO_WORKS_CLIENT_SECRET,
    DEMO_WORKS_SERVICE_ACCOUNT,
)
from tests.conftest import follow_login
from tests.local import http_host
from tests.test_module import BROWN_CAFE, CONY_FLOWERS, attach
from tests.test_module_seed import SEED_TABLE, documented_call

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"
CONY = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"


def channel_token(url: str, client_id: str = DEMO_MODULE_CHANNEL_ID, secret: str = DEMO_MODULE_CHANNEL_SECRET):
    answer = requests.post(
        f"{url}/oauth2/v3/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=5,
    )
    return answer.json()["access_token"]


# 1. Its own scope table ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path,scope", [row for row in SEED_TABLE if row[2]], ids=lambda value: str(value))
def test_the_emulator_enforces_seed_003s_table_itself(line_platform, method, path, scope):
    platform = line_platform.platform
    token = channel_token(line_platform.url)
    headers = {"Authorization": f"Bearer {token}", "X-Line-Bot-Id": BROWN_CAFE}
    other = "profile:read" if scope == "message:send" else "message:send"
    platform.attachments[(DEMO_MODULE_CHANNEL_ID, BROWN_CAFE)] = frozenset({other})
    body, status = documented_call(path)
    refused = requests.request(method, line_platform.url + path, json=body, headers=headers, timeout=5)
    assert refused.status_code == 403 and scope in refused.json()["message"]
    platform.attachments[(DEMO_MODULE_CHANNEL_ID, BROWN_CAFE)] = frozenset({scope})
    answer = requests.request(method, line_platform.url + path, json=body, headers=headers, timeout=5)
    assert answer.status_code == status, "the document's status, or 501 where the emulator does not emulate it"


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("U1", "The property, 'to', in the request body is invalid"),
        ("U0123456789abcdef0123456789abcdef", "Failed to send messages"),  # well formed, but nobody has it
        (None, "The property, 'to', in the request body is invalid"),
    ],
)
def test_a_push_to_nobody_is_refused_as_line_refuses_it(line_platform, to, message):
    platform = line_platform.platform
    headers = {"Authorization": f"Bearer {channel_token(line_platform.url)}", "X-Line-Bot-Id": BROWN_CAFE}
    platform.attachments[(DEMO_MODULE_CHANNEL_ID, BROWN_CAFE)] = frozenset({"message:send"})
    body = {"to": to, "messages": [{"type": "text", "text": "hi"}]}
    answer = requests.post(f"{line_platform.url}/v2/bot/message/push", json=body, headers=headers, timeout=5)
    assert answer.status_code == 400 and message in answer.json()["message"]


# 2. The bot-id header ---------------------------------------------------------------------------------------


def test_the_bot_id_header_follows_the_apps_setting(make_app, line_platform):
    line_platform.platform.bot_id_header = "X-Partner-Bot"
    app = make_app(LINE_MODULE_BOT_ID_HEADER="X-Partner-Bot")
    client = app.test_client()
    attach(client, line_platform)
    assert client.post("/send").json["status"] == 200
    mismatched = make_app(LINE_MODULE_BOT_ID_HEADER="X-Line-Bot-Id").test_client()
    attach(mismatched, line_platform)
    assert mismatched.post("/send").json["status"] == 403, "LINE would not know which bot"


# 3. Profile and friendship need the profile scope -------------------------------------------------------------


def test_profile_and_friendship_refuse_a_token_without_profile(make_app, line_platform):
    app = make_app(LINE_LOGIN_SCOPES="openid")
    client = app.test_client()
    follow_login(client, line_platform, user="Brown")
    access = next(iter(line_platform.platform.access_tokens))
    for path in ("/v2/profile", "/friendship/v1/status"):
        answer = requests.get(line_platform.url + path, headers={"Authorization": f"Bearer {access}"}, timeout=5)
        assert answer.status_code == 403


# 4. Registered callback URLs ----------------------------------------------------------------------------------


def authorize(url: str, path: str, **params: str) -> requests.Response:
    base = {"response_type": "code", "state": "s" * 20, "scope": "profile openid", "client_id": DEMO_CHANNEL_ID}
    return requests.get(url + path, params={**base, **params}, allow_redirects=False, timeout=5)


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://app.test/line/callbackX", "http://evil.example/line/callback", "https://app.test/line/callback"],
)
def test_an_unregistered_callback_is_refused_with_a_page(line_platform, redirect_uri):
    answer = authorize(line_platform.url, "/oauth2/v2.1/authorize", redirect_uri=redirect_uri)
    assert answer.status_code == 400 and "redirect_uri" in answer.text and "Go back" in answer.text


def test_a_registered_callback_may_carry_its_own_query(line_platform):
    answer = authorize(line_platform.url, "/oauth2/v2.1/authorize", redirect_uri="http://app.test/line/callback?x=1")
    assert answer.status_code == 200


def test_works_callbacks_must_be_https_off_localhost(line_platform):
    platform = line_platform.platform
    platform.register_callback(DEMO_WORKS_CLIENT_ID, "http://intranet.example/line/works/callback")
    platform.register_callback(DEMO_WORKS_CLIENT_ID, "http://localhost:5000/line/works/callback")
    params = {"client_id": DEMO_WORKS_CLIENT_ID, "scope": "openid"}
    plain = authorize(
        line_platform.url,
        "/oauth2/v2.0/authorize",
        redirect_uri="http://intranet.example/line/works/callback",
        **params,
    )
    assert plain.status_code == 400 and "HTTPS" in plain.text
    local = authorize(
        line_platform.url, "/oauth2/v2.0/authorize", redirect_uri="http://localhost:5000/line/works/callback", **params
    )
    assert local.status_code == 200


# 5. The module authorize endpoint and client credentials --------------------------------------------------------


@pytest.mark.parametrize(
    "change,error",
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"state": ""}, "invalid_request"),
        ({"scope": "message:fly"}, "invalid_scope"),
        ({"scope": ""}, "invalid_scope"),
        ({"region": "US"}, "invalid_request"),
        ({"brand_type": "gold"}, "invalid_request"),
    ],
)
def test_the_module_authorize_endpoint_validates_its_parameters(line_platform, change, error):
    params = {
        "client_id": DEMO_MODULE_CHANNEL_ID,
        "redirect_uri": "http://app.test/line/attach/callback",
        "scope": "message:send",
        **change,
    }
    answer = authorize(line_platform.url, "/module/auth/v1/authorize", **params)
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == [error]


@pytest.mark.parametrize(
    "query,offered,hidden",
    [
        ("region=TW", "Cony Flowers", "Brown Cafe"),
        ("basic_search_id=@browncafe", "Brown Cafe", "Cony Flowers"),
        ("brand_type=unverified", "Cony Flowers", "Brown Cafe"),
        ("brand_type=premium%20verified", "Brown Cafe", "Cony Flowers"),
    ],
)
def test_the_account_picker_honours_region_basic_id_and_brand_type(client, line_platform, query, offered, hidden):
    follow_login(client, line_platform, user="Brown")
    page = requests.get(client.get(f"/line/attach?{query}").location, timeout=5)
    assert offered in page.text and hidden not in page.text
    assert "LINE Official Account Manager" in page.text


def test_bad_module_credentials_are_a_400_as_documented(line_platform):
    for path in ("/module/auth/v1/token", "/oauth2/v3/token"):
        answer = requests.post(
            line_platform.url + path,
            data={"grant_type": "client_credentials", "client_id": DEMO_MODULE_CHANNEL_ID, "client_secret": "wrong"},
            timeout=5,
        )
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_client"


# 6. Enumerated parameters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["prompt", "bot_prompt", "initial_amr_display", "switch_amr", "disable_auto_login", "response_mode"]
)
def test_an_unknown_enumerated_value_is_invalid_request(line_platform, name):
    answer = authorize(
        line_platform.url, "/oauth2/v2.1/authorize", redirect_uri="http://app.test/line/callback", **{name: "bogus"}
    )
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["INVALID_REQUEST"]


# 7. Revoke, the v2.0 grant type, the assertion lifetime --------------------------------------------------------


@pytest.mark.parametrize(
    "body", [{}, {"client_id": DEMO_CHANNEL_ID}, {"client_id": DEMO_CHANNEL_ID, "client_secret": "x"}]
)
def test_revoke_requires_the_client(client, line_platform, body):
    follow_login(client, line_platform)
    access = next(iter(line_platform.platform.access_tokens))
    answer = requests.post(f"{line_platform.url}/oauth2/v2.1/revoke", data={"access_token": access, **body}, timeout=5)
    assert answer.status_code == 400
    assert access in line_platform.platform.access_tokens


def test_the_v20_token_endpoint_checks_the_grant_type(line_platform):
    answer = requests.post(
        f"{line_platform.url}/v2/oauth/accessToken",
        data={"grant_type": "password", "client_id": DEMO_CHANNEL_ID, "client_secret": DEMO_CHANNEL_SECRET},
        timeout=5,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"


def service_assertion(platform, lifetime: int) -> str:
    now = int(time.time())
    claims = {"iss": DEMO_WORKS_CLIENT_ID, "sub": DEMO_WORKS_SERVICE_ACCOUNT, "iat": now, "exp": now + lifetime}
    key = RSAKey.import_key(platform.works_demo_key.as_pem(private=True))
    return jwt.encode({"alg": "RS256"}, claims, key, algorithms=["RS256"])


@pytest.mark.parametrize("lifetime,status", [(3600, 200), (3601, 400), (86400, 400)])
def test_the_service_assertion_lifetime_is_capped(line_platform, lifetime, status):
    answer = requests.post(
        f"{line_platform.url}/oauth2/v2.0/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": service_assertion(line_platform.platform, lifetime),
            "client_id": DEMO_WORKS_CLIENT_ID,
            "client_secret": DEMO_WORKS_CLIENT_SECRET,
            "scope": "bot",
        },
        timeout=5,
    )
    assert answer.status_code == status
    if status == 200:
        assert answer.json()["refresh_token"], "12. the JWT bearer answer carries a refresh token"


# 8. auth_time with max_age ---------------------------------------------------------------------------------------


def test_max_age_puts_auth_time_in_the_id_token(client, line_platform):
    captured_tokens = []
    original = line_platform.platform.issue

    def spy(store, grant, ttl):
        captured_tokens.append(grant)
        return original(store, grant, ttl)

    line_platform.platform.issue = spy  # type: ignore[method-assign]
    follow_login(client, line_platform, query="max_age=100")
    code_grant = captured_tokens[0]
    assert isinstance(code_grant.extra.get("auth_time"), int)


# 9. ID-token verification, userinfo, deauthorize ----------------------------------------------------------------


@pytest.fixture
def id_token(make_app, line_platform):
    app = make_app(LINE_LOGIN_SCOPES="profile openid")

    @app.get("/id-token")
    def show() -> str:
        return app.extensions["line"].current_token().id_token or ""

    client = app.test_client()
    follow_login(client, line_platform, user="Brown")
    return client.get("/id-token").data.decode()


@pytest.mark.parametrize(
    "changes,description",
    [
        ({}, None),
        ({"client_id": "1999999999"}, "Invalid client_id."),
        ({"nonce": "other"}, "Invalid IdToken Nonce."),
        ({"user_id": "U0"}, "Invalid IdToken Subject Identifier."),
        ({"tamper": True}, "Invalid IdToken."),
    ],
)
def test_the_verify_endpoint_checks_id_tokens_as_line_does(line_platform, id_token, changes, description):
    token = id_token[:-4] + "AAAA" if changes.pop("tamper", False) else id_token
    answer = requests.post(
        f"{line_platform.url}/oauth2/v2.1/verify",
        data={"id_token": token, "client_id": DEMO_CHANNEL_ID, **changes},
        timeout=5,
    )
    if description is None:
        assert answer.status_code == 200 and answer.json()["sub"] == BROWN
    else:
        assert answer.status_code == 400 and answer.json()["error_description"] == description


def test_userinfo_and_deauthorize(client, line_platform):
    follow_login(client, line_platform, user="Brown")
    access = next(iter(line_platform.platform.access_tokens))
    bearer = {"Authorization": f"Bearer {access}"}
    info = requests.get(f"{line_platform.url}/oauth2/v2.1/userinfo", headers=bearer, timeout=5).json()
    assert info["sub"] == BROWN and info["name"] == "Brown"
    assert requests.get(info["picture"], timeout=5).headers["Content-Type"].startswith("image/svg")
    discovery = requests.get(f"{line_platform.url}/.well-known/openid-configuration", timeout=5).json()
    assert discovery["userinfo_endpoint"].endswith("/oauth2/v2.1/userinfo")
    login_channel_token = channel_token(line_platform.url, DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET)
    answer = requests.post(
        f"{line_platform.url}/user/v1/deauthorize",
        json={"userAccessToken": access},
        headers={"Authorization": f"Bearer {login_channel_token}"},
        timeout=5,
    )
    assert answer.status_code == 204
    assert requests.get(f"{line_platform.url}/v2/profile", headers=bearer, timeout=5).status_code == 401
    again = requests.post(
        f"{line_platform.url}/user/v1/deauthorize",
        json={"userAccessToken": access},
        headers={"Authorization": f"Bearer {login_channel_token}"},
        timeout=5,
    )
    assert again.status_code == 400 and again.json() == {"message": "invalid token"}


# 10. Webhooks ----------------------------------------------------------------------------------------------------


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((json.loads(body), self.headers["X-Line-Signature"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook_receiver(line_platform) -> Iterator[list]:
    Receiver.received = []
    with http_host(Receiver) as url:
        line_platform.platform.webhook_urls[DEMO_MODULE_CHANNEL_ID] = f"{url}/hook"
        yield Receiver.received


def wait_for(received: list, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(received) < count:
        assert time.monotonic() < deadline, f"only {len(received)} webhook deliveries"
        time.sleep(0.02)


def test_the_emulator_posts_signed_module_events(app, client, line_platform, webhook_receiver):
    attach(client, line_platform, query="scope=message:receive")
    with app.app_context():
        api = app.extensions["line"].module.api(BROWN_CAFE)
        api.acquire_chat_control(CONY, ttl=60)  # a friend of the account
        api.release_chat_control(CONY)
        app.extensions["line"].module.detach(BROWN_CAFE)
    wait_for(webhook_receiver, 4)
    kinds = [
        (payload["events"][0]["type"], payload["events"][0].get("module", {}).get("type"))
        for payload, _, _ in webhook_receiver
    ]
    assert sorted(kinds, key=str) == sorted(
        [("module", "attached"), ("activated", None), ("deactivated", None), ("module", "detached")], key=str
    )
    for payload, signature, body in webhook_receiver:
        expected = base64.b64encode(hmac.new(DEMO_MODULE_CHANNEL_SECRET.encode(), body, hashlib.sha256).digest())
        assert signature == expected.decode()
        assert payload["destination"] == BROWN_CAFE and payload["events"][0]["mode"] == "active"


# 14. Wording per product, stale forms ---------------------------------------------------------------------------


def test_each_product_screen_says_which_product_it_is(client, line_platform):
    login_page = requests.get(client.get("/line/login").location, timeout=5).text
    assert "<title>LINE Login" in login_page and 'name="add_friend"' not in login_page
    bot_prompt = requests.get(client.get("/line/login?bot_prompt=normal").location, timeout=5).text
    assert 'name="add_friend"' in bot_prompt
    works_page = requests.get(client.get("/line/works/login").location, timeout=5).text
    assert "<title>LINE WORKS" in works_page and 'name="add_friend"' not in works_page


def test_a_cancelled_attach_says_so(client, line_platform):
    response = attach(client, line_platform, allow=False)
    assert response.status_code == 403 and b"attach was cancelled" in response.data


def test_a_stale_consent_form_gives_a_styled_page_with_a_way_back(client, line_platform):
    start = client.get("/line/login")
    browser = requests.Session()
    page = browser.get(start.location, timeout=5)
    form = {"request_id": page.headers["X-Emulator-Request-Id"], "decision": "allow"}
    assert (
        browser.post(f"{line_platform.url}/_emulator/consent", data=form, allow_redirects=False, timeout=5).status_code
        == 302
    )
    again = browser.post(f"{line_platform.url}/_emulator/consent", data=form, allow_redirects=False, timeout=5)
    assert again.status_code == 400
    assert "expired" in again.text and "Go back" in again.text and "<style>" in again.text


# 15. Faults over HTTP ---------------------------------------------------------------------------------------------


def test_fault_control_is_off_unless_asked(line_platform):
    answer = requests.post(
        f"{line_platform.url}/_emulator/faults", json={"request": "POST /oauth2/v2.1/token"}, timeout=5
    )
    assert answer.status_code == 404


def test_faults_can_be_injected_over_http(client, line_platform):
    line_platform.platform.fault_control = True
    url = f"{line_platform.url}/_emulator/faults"
    assert requests.post(url, json={"request": "token_v21"}, timeout=5).status_code == 400, "named by request"
    assert requests.post(url, json={"request": "POST /oauth2/v2.1/token", "nope": 1}, timeout=5).status_code == 400
    created = requests.post(url, json={"request": "POST /oauth2/v2.1/token", "status": 503, "body": "down"}, timeout=5)
    assert created.status_code == 201
    assert requests.get(url, timeout=5).json()["faults"][0]["request"] == "POST /oauth2/v2.1/token"
    assert follow_login(client, line_platform).status_code == 502
    assert follow_login(client, line_platform).status_code == 302, "used up"
    requests.post(url, json={"request": "POST /oauth2/v2.1/token", "status": 500, "times": 5}, timeout=5)
    assert requests.delete(url, timeout=5).status_code == 204
    assert follow_login(client, line_platform).status_code == 302


def test_an_attach_no_account_matches_says_so(client, line_platform):
    follow_login(client, line_platform, user="Brown")
    page = requests.get(client.get("/line/attach?basic_search_id=@nobody").location, timeout=5).text
    assert "No account matches" in page
    assert CONY_FLOWERS not in page


# LINE's remaining documented behaviour (issue: fail closed) -----------------------------------------------------


def test_api_answers_carry_a_request_id_and_the_app_logs_it_on_errors(client, line_platform, caplog):
    certs = requests.get(f"{line_platform.url}/oauth2/v2.1/certs", timeout=5)
    assert len(certs.headers["x-line-request-id"]) >= 16
    page = requests.get(f"{line_platform.url}/", timeout=5)
    assert "x-line-request-id" not in page.headers, "the emulator's own pages are not API answers"
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=500, body="boom")
    caplog.set_level("WARNING", logger="flask_line")
    assert follow_login(client, line_platform).status_code == 502
    logged = [record.getMessage() for record in caplog.records if "x-line-request-id" in record.getMessage()]
    assert logged and "x-line-request-id -" not in logged[0], "the id LINE sent, for LINE's support"


@pytest.mark.parametrize("length,accepted", [(42, False), (43, True), (128, True), (129, False)])
def test_a_pkce_verifier_outside_43_to_128_characters_is_refused(line_platform, length, accepted):
    verifier = "v" * length
    start = requests.Request(
        "GET",
        f"{line_platform.url}/oauth2/v2.1/authorize",
        params={
            "response_type": "code",
            "state": "s" * 20,
            "scope": "profile",
            "client_id": DEMO_CHANNEL_ID,
            "redirect_uri": "http://app.test/line/callback",
            "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode(),
            "code_challenge_method": "S256",
        },
    ).prepare()
    back = line_platform.consent(str(start.url))
    answer = requests.post(
        f"{line_platform.url}/oauth2/v2.1/token",
        data={
            "grant_type": "authorization_code",
            "code": back.params["code"],
            "redirect_uri": "http://app.test/line/callback",
            "client_id": DEMO_CHANNEL_ID,
            "client_secret": DEMO_CHANNEL_SECRET,
            "code_verifier": verifier,
        },
        timeout=5,
    )
    assert (answer.status_code == 200) is accepted, answer.text


@pytest.mark.parametrize(
    "path,client_id,redirect_uri,change,error",
    [
        ("/dialog/oauth/weblogin", DEMO_CHANNEL_ID, "http://app.test/line/callback", {"state": ""}, "invalid_request"),
        (
            "/dialog/oauth/weblogin",
            DEMO_CHANNEL_ID,
            "http://app.test/line/callback",
            {"response_type": "token"},
            "invalid_request",
        ),
        (
            "/oauth2/v2.0/authorize",
            DEMO_WORKS_CLIENT_ID,
            "https://app.test/line/works/callback",
            {"scope": ""},
            "invalid_scope",
        ),
        (
            "/oauth2/v2.0/authorize",
            DEMO_WORKS_CLIENT_ID,
            "https://app.test/line/works/callback",
            {"response_type": "password"},
            "unsupported_response_type",
        ),
        (
            "/oauth2/v2.0/authorize",
            DEMO_WORKS_CLIENT_ID,
            "https://app.test/line/works/callback",
            {"state": ""},
            "invalid_request",
        ),
    ],
)
def test_v20_and_works_authorize_requests_missing_what_is_required_get_lines_error(
    line_platform, path, client_id, redirect_uri, change, error
):
    answer = authorize(line_platform.url, path, client_id=client_id, redirect_uri=redirect_uri, **change)
    assert answer.status_code == 302, "an error sent back, not the consent screen"
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == [error]
    if path == "/dialog/oauth/weblogin":
        assert query["errorCode"] == ["400"], "v2.0's own error fields"


def test_v20_refresh_answers_scope_p_and_its_own_error(make_app, line_platform):
    client = make_app(LINE_LOGIN_VERSION="2.0").test_client()
    follow_login(client, line_platform, user="Brown")
    from flask_line.testing import signed_in_line_token

    refresh = signed_in_line_token(client).refresh_token
    form = {"grant_type": "refresh_token", "client_id": DEMO_CHANNEL_ID, "client_secret": DEMO_CHANNEL_SECRET}
    answer = requests.post(
        f"{line_platform.url}/v2/oauth/accessToken", data={**form, "refresh_token": refresh}, timeout=5
    )
    assert answer.status_code == 200 and answer.json()["scope"] == "P"
    expired = requests.post(f"{line_platform.url}/v2/oauth/accessToken", data={**form, "refresh_token": "x"}, timeout=5)
    assert expired.json() == {"error": "invalid_grant", "error_description": "invalid refresh_token"}


def test_a_user_without_a_picture_has_no_picture_url_and_pictures_are_https(client, line_platform):
    from flask_line.testing import EmulatedUser

    follow_login(client, line_platform, user="Sally")
    assert client.get("/profile").status_code == 200
    token = line_platform.liff_login("Sally", scope="profile")["access_token"]
    profile = requests.get(f"{line_platform.url}/v2/profile", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert "pictureUrl" not in profile.json()
    with pytest.raises(ValueError, match="HTTPS"):
        EmulatedUser("U0", "Plain", picture_url="http://example.com/me.png")


def test_the_emulator_signs_with_lines_real_issuers(line_platform):
    def claims(token: str) -> dict:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    assert claims(line_platform.liff_login("Brown")["id_token"])["iss"] == "https://access.line.me"
    works = requests.get(f"{line_platform.url}/works/.well-known/openid-configuration", timeout=5).json()
    assert works["issuer"] == "https://auth.worksmobile.com"
    assert works["jwks_uri"].startswith(line_platform.url), "served by the emulator itself"


# Module behaviour as LINE documents it ---------------------------------------------------------------------------


def test_a_coupon_message_needs_coupon_manage(app, client, line_platform):
    attach(client, line_platform, query="scope=message:send")
    token = channel_token(line_platform.url)
    push = {"to": CONY, "messages": [{"type": "coupon", "couponId": "01H0"}]}
    headers = {"Authorization": f"Bearer {token}", "X-Line-Bot-Id": BROWN_CAFE}
    answer = requests.post(f"{line_platform.url}/v2/bot/message/push", json=push, headers=headers, timeout=5)
    assert answer.status_code == 403 and "coupon:manage" in answer.json()["message"]
    text = {"to": CONY, "messages": [{"type": "text", "text": "hi"}]}
    assert requests.post(f"{line_platform.url}/v2/bot/message/push", json=text, headers=headers, timeout=5).ok


def test_webhooks_go_only_to_accounts_that_granted_message_receive(app, client, line_platform, webhook_receiver):
    attach(client, line_platform, query="scope=message:send")  # no message:receive
    with app.app_context():
        app.extensions["line"].module.detach(BROWN_CAFE)
    time.sleep(0.3)
    assert webhook_receiver == [], "no event for an account that did not grant message:receive"


def test_the_list_of_attached_bots_pages_as_the_reference_documents(app, client, line_platform):
    attach(client, line_platform, admin="Brown", account="Brown Cafe")
    attach(client, line_platform, admin="Brown", account="Cony Flowers", query="region=TW")
    headers = {"Authorization": f"Bearer {channel_token(line_platform.url)}"}
    first = requests.get(f"{line_platform.url}/v2/bot/list", params={"limit": 1}, headers=headers, timeout=5).json()
    assert [bot["displayName"] for bot in first["bots"]] == ["Brown Cafe"] and first["next"]
    rest = requests.get(
        f"{line_platform.url}/v2/bot/list", params={"start": first["next"]}, headers=headers, timeout=5
    ).json()
    assert [bot["userId"] for bot in rest["bots"]] == [CONY_FLOWERS] and "next" not in rest
    bad = requests.get(f"{line_platform.url}/v2/bot/list", params={"start": "x"}, headers=headers, timeout=5)
    assert bad.status_code == 400 and bad.json() == {"message": "Invalid start param"}


def test_short_lived_module_tokens_last_30_days_and_30_at_most(line_platform):
    form = {
        "grant_type": "client_credentials",
        "client_id": DEMO_MODULE_CHANNEL_ID,
        "client_secret": DEMO_MODULE_CHANNEL_SECRET,
    }
    tokens = [
        requests.post(f"{line_platform.url}/v2/oauth/accessToken", data=form, timeout=5).json() for _ in range(31)
    ]
    assert tokens[0]["expires_in"] == 2_592_000 and tokens[0]["token_type"] == "Bearer"
    headers = {"X-Line-Bot-Id": BROWN_CAFE}

    def works(token: str) -> int:
        answer = requests.get(
            f"{line_platform.url}/v2/bot/list", headers={"Authorization": f"Bearer {token}", **headers}, timeout=5
        )
        return answer.status_code

    assert works(tokens[0]["access_token"]) == 401, "the oldest was revoked by the 31st"
    assert works(tokens[-1]["access_token"]) == 200
    wrong = requests.post(f"{line_platform.url}/v2/oauth/accessToken", data={**form, "client_secret": "x"}, timeout=5)
    assert wrong.json() == {"error": "invalid_client", "error_description": "invalid client_secret"}
