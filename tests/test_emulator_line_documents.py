"""The emulator against LINE's documents and OpenAPI descriptions (line/line-openapi), point by point, over real
HTTP: what the product meets in production, it meets in its tests."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import KeySet

from flask_line.testing import (
    DEMO_CHANNEL_ID,
    DEMO_CHANNEL_SECRET,
    DEMO_MODULE_CHANNEL_ID,
    DEMO_MODULE_CHANNEL_SECRET,
    DEMO_WORKS_CLIENT_ID,
    DEMO_WORKS_CLIENT_SECRET,
)
from flask_line.testing.pytest_plugin import WORKS_CALLBACK
from tests.test_module import BROWN_CAFE

REDIRECT_URI = "http://app.test/line/callback"


def authorize(line_platform, **extra: str) -> requests.Response:
    params = {
        "response_type": "code",
        "client_id": DEMO_CHANNEL_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "s" * 43,
        "scope": "profile openid",
        **extra,
    }
    return requests.get(f"{line_platform.url}/oauth2/v2.1/authorize", params=params, allow_redirects=False, timeout=5)


# A failed auto login ---------------------------------------------------------------------------------------------


def test_a_failed_auto_login_answers_with_an_unusable_code_and_a_state_never_issued(line_platform):
    line_platform.platform.fail_auto_login()
    answer = authorize(line_platform)
    assert answer.status_code == 302, "no screen: auto login happens without the user"
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert back["state"] != ["s" * 43]
    token = requests.post(
        f"{line_platform.url}/oauth2/v2.1/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"][0],
            "redirect_uri": REDIRECT_URI,
            "client_id": DEMO_CHANNEL_ID,
            "client_secret": DEMO_CHANNEL_SECRET,
        },
        timeout=5,
    )
    assert token.status_code == 400 and token.json()["error"] == "invalid_grant"
    assert authorize(line_platform).status_code == 200, "one failure was asked for: the next shows the screen"


def test_auto_login_turned_off_shows_the_screen_even_where_it_fails(line_platform):
    line_platform.platform.fail_auto_login(times=2)
    assert authorize(line_platform, disable_auto_login="true").status_code == 200
    assert authorize(line_platform, prompt="login").status_code == 200, "prompt=login disables auto login"


# 3. LINE WORKS logout (RP-Initiated Logout) ---------------------------------------------------------------------


def works_id_token(line_platform) -> str:
    """An ID token of Alice's LINE WORKS sign-in, through the emulator's own screens."""
    query = {
        "response_type": "code",
        "client_id": DEMO_WORKS_CLIENT_ID,
        "redirect_uri": WORKS_CALLBACK,
        "scope": "openid",
        "state": "w" * 43,
    }
    back = line_platform.consent(f"{line_platform.url}/oauth2/v2.0/authorize?{urlencode(query)}", user="Alice")
    form = {
        "grant_type": "authorization_code",
        "code": back.params["code"],
        "redirect_uri": WORKS_CALLBACK,
        "client_id": DEMO_WORKS_CLIENT_ID,
        "client_secret": DEMO_WORKS_CLIENT_SECRET,
    }
    return str(requests.post(f"{line_platform.url}/oauth2/v2.0/token", data=form, timeout=5).json()["id_token"])


def works_logout(line_platform, **params: str) -> requests.Response:
    return requests.get(f"{line_platform.url}/oauth2/v2.0/logout", params=params, allow_redirects=False, timeout=5)


def test_works_discovery_advertises_its_logout(line_platform):
    document = requests.get(f"{line_platform.url}/works/.well-known/openid-configuration", timeout=5).json()
    assert document["end_session_endpoint"] == f"{line_platform.url}/oauth2/v2.0/logout"


def test_works_logout_returns_only_to_a_registered_https_url(line_platform):
    line_platform.platform.register_logout_url(DEMO_WORKS_CLIENT_ID, "https://app.test/bye")
    hint = works_id_token(line_platform)
    back = works_logout(line_platform, id_token_hint=hint, post_logout_redirect_uri="https://app.test/bye", state="x")
    assert back.status_code == 302 and back.headers["Location"] == "https://app.test/bye?state=x"
    for refused in ("http://app.test/bye", "https://elsewhere.test/bye"):
        answer = works_logout(line_platform, id_token_hint=hint, post_logout_redirect_uri=refused)
        assert answer.status_code == 400 and "Location" not in answer.headers, refused
    assert works_logout(line_platform, id_token_hint=hint).status_code == 200, "no redirect URI: LINE WORKS' page"


def test_works_logout_needs_an_id_token_it_issued(line_platform):
    line_platform.platform.register_logout_url(DEMO_WORKS_CLIENT_ID, "https://app.test/bye")
    answer = works_logout(line_platform, id_token_hint="a.b.c", post_logout_redirect_uri="https://app.test/bye")
    assert answer.status_code == 400 and "Location" not in answer.headers
    hint = works_id_token(line_platform)
    other = works_logout(line_platform, id_token_hint=hint, client_id="someone-else")
    assert other.status_code == 400


# 1c. Scopes: the token answer and verify agree ------------------------------------------------------------------


def test_the_token_answer_and_verify_list_the_same_scopes_never_email(line_platform):
    query = {
        "response_type": "code",
        "client_id": DEMO_CHANNEL_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "s" * 43,
        "scope": "profile openid email",
        "nonce": "n" * 22,
    }
    back = line_platform.consent(f"{line_platform.url}/oauth2/v2.1/authorize?{urlencode(query)}", user="Brown")
    form = {
        "grant_type": "authorization_code",
        "code": back.params["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": DEMO_CHANNEL_ID,
        "client_secret": DEMO_CHANNEL_SECRET,
    }
    token = requests.post(f"{line_platform.url}/oauth2/v2.1/token", data=form, timeout=5).json()
    verified = requests.get(
        f"{line_platform.url}/oauth2/v2.1/verify", params={"access_token": token["access_token"]}, timeout=5
    ).json()
    assert verified["scope"] == token["scope"] == "profile openid"
    liff = line_platform.liff_login("Brown", scope="profile openid email")
    assert liff["scope"] == "profile openid"


# 2. v2.0 verify speaks v2.0 ---------------------------------------------------------------------------------------


def test_v20_verify_refuses_a_bad_token_in_v20s_words(line_platform):
    answer = requests.post(f"{line_platform.url}/v2/oauth/verify", data={"access_token": "nonsense"}, timeout=5)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_request", "error_description": "access_token invalid"}


# 9. Short-lived channel access tokens: verify and revoke -----------------------------------------------------------


def short_lived_channel_token(line_platform) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": DEMO_MODULE_CHANNEL_ID,
        "client_secret": DEMO_MODULE_CHANNEL_SECRET,
    }
    return str(requests.post(f"{line_platform.url}/v2/oauth/accessToken", data=form, timeout=5).json()["access_token"])


def test_a_short_lived_channel_token_verifies_and_stops_working_once_revoked(line_platform):
    token = short_lived_channel_token(line_platform)
    verified = requests.post(f"{line_platform.url}/v2/oauth/verify", data={"access_token": token}, timeout=5)
    assert verified.status_code == 200
    body = verified.json()
    assert body["client_id"] == DEMO_MODULE_CHANNEL_ID and 0 < body["expires_in"] <= 2_592_000
    by_get = requests.get(f"{line_platform.url}/oauth2/v2.1/verify", params={"access_token": token}, timeout=5)
    assert by_get.status_code == 200 and by_get.json()["client_id"] == DEMO_MODULE_CHANNEL_ID
    revoked = requests.post(f"{line_platform.url}/v2/oauth/revoke", data={"access_token": token}, timeout=5)
    assert revoked.status_code == 200
    after = requests.post(f"{line_platform.url}/v2/oauth/verify", data={"access_token": token}, timeout=5)
    assert after.status_code == 400
    headers = {"Authorization": f"Bearer {token}", "X-Line-Bot-Id": BROWN_CAFE}
    listed = requests.get(f"{line_platform.url}/v2/bot/list", headers=headers, timeout=5)
    assert listed.status_code == 401, "a revoked token no longer works"


# 5 and 10. Push: the module's L... user ids, and one to five messages ------------------------------------------------


def push(line_platform, body: dict) -> requests.Response:
    platform = line_platform.platform
    platform.attachments[(DEMO_MODULE_CHANNEL_ID, BROWN_CAFE)] = frozenset({"message:send"})
    headers = {"Authorization": f"Bearer {short_lived_channel_token(line_platform)}", "X-Line-Bot-Id": BROWN_CAFE}
    return requests.post(f"{line_platform.url}/v2/bot/message/push", json=body, headers=headers, timeout=5)


def test_a_push_to_a_module_user_id_is_accepted_as_chat_control_accepts_it(line_platform):
    module_user = "L" + "a1b2c3d4e5f6" * 5 + "a1b2c3d"
    assert len(module_user) == 68
    answer = push(line_platform, {"to": module_user, "messages": [{"type": "text", "text": "hi"}]})
    assert answer.status_code == 200 and len(answer.json()["sentMessages"]) == 1


def test_a_push_needs_one_to_five_messages(line_platform):
    to = "U4af4980629a1b2c3d4e5f60718293a4b"
    text = {"type": "text", "text": "hi"}
    for body in ({"to": to}, {"to": to, "messages": []}, {"to": to, "messages": [text] * 6}):
        answer = push(line_platform, body)
        assert answer.status_code == 400, body
        assert answer.json()["details"][0]["property"] == "messages"
    assert push(line_platform, {"to": to, "messages": [text] * 5}).status_code == 200


# 4. Friendship follows the consent, per channel's linked Official Account -----------------------------------------

OTHER_CHANNEL = ("1999999999", "another-channel-secret-000000000")


def sign_in(line_platform, user: str, channel: tuple[str, str] = (DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET), **extra):
    """``user``'s consent at ``channel`` (``add_friend`` ticked or not): the callback's parameters and a token."""
    add_friend = bool(extra.pop("add_friend", False))
    query = {
        "response_type": "code",
        "client_id": channel[0],
        "redirect_uri": REDIRECT_URI,
        "state": "s" * 43,
        "scope": "profile openid",
        "nonce": "n" * 22,
        **extra,
    }
    url = f"{line_platform.url}/oauth2/v2.1/authorize?{urlencode(query)}"
    back = line_platform.consent(url, user=user, add_friend=add_friend, browser=requests.Session())
    form = {
        "grant_type": "authorization_code",
        "code": back.params["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": channel[0],
        "client_secret": channel[1],
    }
    token = requests.post(f"{line_platform.url}/oauth2/v2.1/token", data=form, timeout=5).json()
    return back.params, token


def friend_flag(line_platform, token: dict) -> bool:
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    answer = requests.get(f"{line_platform.url}/friendship/v1/status", headers=headers, timeout=5)
    assert answer.status_code == 200
    return bool(answer.json()["friendFlag"])


def test_adding_the_account_at_consent_makes_the_user_a_friend(line_platform):
    params, token = sign_in(line_platform, "Brown")
    assert friend_flag(line_platform, token) is False
    params, token = sign_in(line_platform, "Brown", bot_prompt="normal", add_friend=True)
    assert params["friendship_status_changed"] == "true"
    assert friend_flag(line_platform, token) is True
    params, token = sign_in(line_platform, "Brown", bot_prompt="normal", add_friend=True)
    assert params["friendship_status_changed"] == "false", "already a friend: nothing changed"


def test_friendship_is_with_the_channels_own_linked_account(line_platform):
    platform = line_platform.platform
    cony_flowers = "Uc2a1d3b4e5f60718293a4b5c6d7e8f90"
    platform.add_channel(*OTHER_CHANNEL, linked_bot=cony_flowers)
    platform.register_callback(OTHER_CHANNEL[0], REDIRECT_URI)
    sign_in(line_platform, "Brown", bot_prompt="normal", add_friend=True)
    params, token = sign_in(line_platform, "Brown", OTHER_CHANNEL, bot_prompt="normal")
    assert params["friendship_status_changed"] == "false"
    assert friend_flag(line_platform, token) is False, "a friend of Brown Cafe, not of Cony Flowers"


def test_a_channel_without_a_linked_account_offers_no_friend_and_is_no_friend(line_platform):
    platform = line_platform.platform
    platform.add_channel(*OTHER_CHANNEL, linked_bot=None)
    platform.register_callback(OTHER_CHANNEL[0], REDIRECT_URI)
    query = {
        "response_type": "code",
        "client_id": OTHER_CHANNEL[0],
        "redirect_uri": REDIRECT_URI,
        "state": "s" * 43,
        "scope": "profile",
        "bot_prompt": "normal",
    }
    page = requests.get(f"{line_platform.url}/oauth2/v2.1/authorize", params=query, timeout=5).text
    assert 'name="add_friend"' not in page
    params, token = sign_in(line_platform, "Cony", OTHER_CHANNEL, bot_prompt="normal", add_friend=True)
    assert "friendship_status_changed" not in params, "LINE sends it only when the option was shown"
    assert friend_flag(line_platform, token) is False, "Cony is a friend of every account, but none is linked"


# 6. A LINE WORKS refresh token lasts 90 days ----------------------------------------------------------------------


def test_a_works_refresh_token_expires_after_90_days(line_platform):
    query = {
        "response_type": "code",
        "client_id": DEMO_WORKS_CLIENT_ID,
        "redirect_uri": WORKS_CALLBACK,
        "scope": "user.read",
        "state": "w" * 43,
    }
    back = line_platform.consent(f"{line_platform.url}/oauth2/v2.0/authorize?{urlencode(query)}", user="Alice")
    client = {"client_id": DEMO_WORKS_CLIENT_ID, "client_secret": DEMO_WORKS_CLIENT_SECRET}
    form = {"grant_type": "authorization_code", "code": back.params["code"], "redirect_uri": WORKS_CALLBACK, **client}
    refresh = requests.post(f"{line_platform.url}/oauth2/v2.0/token", data=form, timeout=5).json()["refresh_token"]
    grant = line_platform.platform.refresh_tokens[refresh]
    assert abs(grant.expires_at - (time.time() + 90 * 86400)) < 60, "issued for 90 days by the emulator's clock"
    renew = {"grant_type": "refresh_token", "refresh_token": refresh, **client}
    assert requests.post(f"{line_platform.url}/oauth2/v2.0/token", data=renew, timeout=5).status_code == 200
    grant.expires_at = time.time() - 1  # 90 days later
    expired = requests.post(f"{line_platform.url}/oauth2/v2.0/token", data=renew, timeout=5)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


# 7. LINE WORKS' implicit flow: the ID token (and access token) in the URL fragment ---------------------------------


def works_implicit(line_platform, response_type: str, **extra: str):
    query = {
        "response_type": response_type,
        "client_id": DEMO_WORKS_CLIENT_ID,
        "redirect_uri": WORKS_CALLBACK,
        "scope": "openid profile email",
        "state": "w" * 43,
        "nonce": "implicit-nonce-0001",
        **extra,
    }
    url = f"{line_platform.url}/oauth2/v2.0/authorize?{urlencode(query)}"
    return line_platform.consent(url, user="Alice", browser=requests.Session())


def works_claims(line_platform, id_token: str) -> dict:
    keys = KeySet.import_key_set(requests.get(f"{line_platform.url}/oauth2/v2.0/certs", timeout=5).json())
    return dict(jwt.decode(id_token, keys, algorithms=["RS256"]).claims)


def test_works_response_type_id_token_answers_in_the_fragment_with_the_nonce(line_platform):
    back = works_implicit(line_platform, "id_token")
    parts = urlsplit(back.url)
    assert parts.query == "" and set(parse_qs(parts.fragment)) == {"id_token", "state"}, "no code, no token"
    assert back.params["state"] == "w" * 43
    claims = works_claims(line_platform, back.params["id_token"])
    assert claims["nonce"] == "implicit-nonce-0001" and claims["aud"] == DEMO_WORKS_CLIENT_ID
    assert claims["email"] == "alice@works.example" and "at_hash" not in claims, "no access token: no at_hash"


@pytest.mark.parametrize("response_type", ["token id_token", "id_token token"])
def test_works_token_id_token_adds_an_access_token_bound_by_at_hash(line_platform, response_type):
    back = works_implicit(line_platform, response_type)
    fragment = parse_qs(urlsplit(back.url).fragment)
    assert set(fragment) == {"access_token", "token_type", "expires_in", "id_token", "state"}, "no refresh token"
    assert back.params["token_type"] == "Bearer" and int(back.params["expires_in"]) > 0
    claims = works_claims(line_platform, back.params["id_token"])
    assert claims["at_hash"] == create_half_hash(back.params["access_token"], "RS256").decode()
    assert claims["nonce"] == "implicit-nonce-0001"
    headers = {"Authorization": f"Bearer {back.params['access_token']}"}
    me = requests.get(f"{line_platform.url}/v1.0/users/me", headers=headers, timeout=5)
    assert me.status_code == 200 and me.json()["email"] == "alice@works.example"


@pytest.mark.parametrize(
    "change,error",
    [({"nonce": ""}, "invalid_request"), ({"scope": "profile"}, "invalid_scope")],
    ids=["without-nonce", "without-openid"],
)
def test_an_implicit_request_without_nonce_or_openid_is_refused_in_the_fragment(line_platform, change, error):
    query = {
        "response_type": "id_token",
        "client_id": DEMO_WORKS_CLIENT_ID,
        "redirect_uri": WORKS_CALLBACK,
        "scope": "openid",
        "state": "w" * 43,
        "nonce": "n",
        **change,
    }
    answer = requests.get(f"{line_platform.url}/oauth2/v2.0/authorize", params=query, allow_redirects=False, timeout=5)
    location = urlsplit(answer.headers["Location"])
    assert location.query == "" and parse_qs(location.fragment)["error"] == [error]


def test_works_code_flow_still_answers_in_the_query(line_platform):
    back = works_implicit(line_platform, "code")
    assert "code" in parse_qs(urlsplit(back.url).query) and urlsplit(back.url).fragment == ""


# Where LINE's documents are silent: the emulator's decisions (docs/testing.rst) -----------------------------------

CLIENT = {"client_id": DEMO_CHANNEL_ID, "client_secret": DEMO_CHANNEL_SECRET}


def verify(line_platform, access_token: str) -> requests.Response:
    return requests.get(f"{line_platform.url}/oauth2/v2.1/verify", params={"access_token": access_token}, timeout=5)


def refresh(line_platform, path: str, refresh_token: str) -> requests.Response:
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, **CLIENT}
    return requests.post(f"{line_platform.url}{path}", data=form, timeout=5)


def test_revoking_a_v21_access_token_leaves_its_refresh_token_working(line_platform):
    _, token = sign_in(line_platform, "Brown")
    revoke = {"access_token": token["access_token"], **CLIENT}
    assert requests.post(f"{line_platform.url}/oauth2/v2.1/revoke", data=revoke, timeout=5).status_code == 200
    assert verify(line_platform, token["access_token"]).json()["error_description"] == "The access token revoked"
    renewed = refresh(line_platform, "/oauth2/v2.1/token", token["refresh_token"])
    assert renewed.status_code == 200 and verify(line_platform, renewed.json()["access_token"]).status_code == 200


def test_a_revoke_sent_as_rfc7009s_token_is_answered_200_and_revokes_nothing(line_platform):
    _, token = sign_in(line_platform, "Brown")
    form = {"token": token["access_token"], "token_type_hint": "access_token", **CLIENT}  # what Authlib sends
    assert requests.post(f"{line_platform.url}/oauth2/v2.1/revoke", data=form, timeout=5).status_code == 200
    assert verify(line_platform, token["access_token"]).status_code == 200, "LINE reads access_token only"


def test_a_refresh_token_is_accepted_at_either_versions_endpoint_in_that_endpoints_format(line_platform):
    _, token = sign_in(line_platform, "Brown")
    at_v20 = refresh(line_platform, "/v2/oauth/accessToken", token["refresh_token"])
    assert at_v20.status_code == 200 and at_v20.json()["scope"] == "P", "v2.0's format"
    at_v21 = refresh(line_platform, "/oauth2/v2.1/token", token["refresh_token"])
    assert at_v21.status_code == 200 and at_v21.json()["scope"] == "profile openid", "v2.1's format"
    assert "id_token" not in at_v21.json(), "a refresh brings no ID token"
