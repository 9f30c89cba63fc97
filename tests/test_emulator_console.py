"""The LINE Developers Console, modelled: per-channel email permission, "Developing" status with its roles, and
the provider each channel belongs to (one user id per provider). Against the emulator over real HTTP, and the
product meeting each as it would in production."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import OctKey

from flask_line import signals
from flask_line.testing import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET
from flask_line.testing.accounts import DEVELOPING_REFUSAL, Channel
from tests.conftest import captured, deliver, follow_login

REDIRECT_URI = "http://app.test/line/callback"
BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"


def authorize_url(line_platform, channel_id: str, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": channel_id,
        "redirect_uri": REDIRECT_URI,
        "state": "s" * 43,
        "scope": "profile openid email",
        "nonce": "n" * 22,
        **extra,
    }
    return f"{line_platform.url}/oauth2/v2.1/authorize?{urlencode(query)}"


def sign_in(line_platform, channel: Channel, user: str, browser: requests.Session | None = None) -> dict:
    """``user``'s login at ``channel`` through the consent screen: the token answer."""
    back = line_platform.consent(
        authorize_url(line_platform, channel.channel_id), user=user, browser=browser or requests.Session()
    )
    form = {
        "grant_type": "authorization_code",
        "code": back.params["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": channel.channel_id,
        "client_secret": channel.secret,
    }
    answer = requests.post(f"{line_platform.url}/oauth2/v2.1/token", data=form, timeout=5)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def id_token_claims(token: dict, channel: Channel) -> dict:
    return dict(jwt.decode(token["id_token"], OctKey.import_key(channel.secret), algorithms=["HS256"]).claims)


# Email permission ------------------------------------------------------------------------------------------------


def test_a_channel_without_email_permission_gives_no_email_even_when_asked(line_platform, line_login_channel):
    demo = line_platform.platform.channels[DEMO_CHANNEL_ID]
    assert id_token_claims(sign_in(line_platform, demo, "Brown"), demo)["email"] == "brown@example.com"
    unapplied = line_login_channel("1660000001", "unapplied-channel-secret-00000001", email_permission=False)
    claims = id_token_claims(sign_in(line_platform, unapplied, "Brown"), unapplied)
    assert "email" not in claims and claims["sub"] == BROWN, "signed in, without the email LINE would not give"


def test_an_app_asking_for_email_at_such_a_channel_signs_in_without_one(make_app, line_platform, line_login_channel):
    unapplied = line_login_channel("1660000002", "unapplied-channel-secret-00000002", email_permission=False)
    client = make_app(LINE_LOGIN_SCOPES=["profile", "openid", "email"], **unapplied.app_settings()).test_client()
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    profile = client.get("/profile", headers={"Accept": "application/json"}).json
    assert profile["name"] == "Brown" and profile["email"] is None


# "Developing" status and roles ------------------------------------------------------------------------------------


def consent_page(line_platform, url: str, user: str, browser: requests.Session) -> requests.Response:
    """Pick ``user`` and Allow; LINE's answer as the browser gets it (a redirect, or a page)."""
    page = browser.get(url, allow_redirects=False, timeout=5)
    form = {"request_id": page.headers["X-Emulator-Request-Id"], "user_id": user, "decision": "allow"}
    return browser.post(f"{line_platform.url}/_emulator/consent", data=form, allow_redirects=False, timeout=5)


def test_a_developing_channel_lets_only_people_with_a_role_log_in(line_platform, line_login_channel):
    developing = line_login_channel("1660000003", "developing-channel-secret-0000003", status="developing")
    developing.roles.add(BROWN)
    cony = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"
    answer = consent_page(line_platform, authorize_url(line_platform, developing.channel_id), cony, requests.Session())
    assert answer.status_code == 400 and "Location" not in answer.headers, "LINE's own page: the app hears nothing"
    assert DEVELOPING_REFUSAL in answer.text
    assert line_platform.platform.authorizations[-1][3:5] == (cony, "refused")
    assert "email" in id_token_claims(sign_in(line_platform, developing, "Brown"), developing), "Brown has a role"


def test_a_silent_login_at_a_developing_channel_is_refused_too(line_platform, line_login_channel):
    browser = requests.Session()
    sign_in(line_platform, line_platform.platform.channels[DEMO_CHANNEL_ID], "Cony", browser)  # an emulator session
    developing = line_login_channel("1660000004", "developing-channel-secret-0000004", status="developing")
    url = authorize_url(line_platform, developing.channel_id, prompt="none")
    answer = browser.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302 and "INTERACTION_REQUIRED" in answer.headers["Location"], "no consent yet"
    line_platform.platform.browser_sessions[browser.cookies["line_emulator_session"]]["consents"][
        developing.channel_id
    ] = {"profile", "openid", "email"}
    refused = browser.get(url, allow_redirects=False, timeout=5)
    assert refused.status_code == 400 and DEVELOPING_REFUSAL in refused.text


def test_liff_at_a_developing_channel_needs_a_role(line_platform, line_login_channel):
    line_login_channel("1660000005", "developing-channel-secret-0000005", status="developing", roles=["Cony"])
    form = {"channel_id": "1660000005"}
    refused = requests.post(f"{line_platform.url}/_emulator/liff/token", data={**form, "user": "Brown"}, timeout=5)
    assert refused.status_code == 400 and refused.json()["error_description"] == DEVELOPING_REFUSAL
    assert line_platform.liff_login("Cony", channel_id="1660000005")["access_token"]


def test_an_app_at_a_developing_channel_signs_in_its_testers_only(make_app, line_platform, line_login_channel):
    channel = line_login_channel(
        DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET, status="developing", roles=["Brown"], email_permission=True
    )
    client = make_app(**channel.app_settings()).test_client()
    start = client.get("/line/login")
    with (
        captured(signals.login_failed) as failed,
        captured(signals.login_denied) as denied,
        pytest.raises(requests.HTTPError) as stopped,
    ):
        line_platform.consent(start.location, user="Cony")
    assert stopped.value.response.status_code == 400 and DEVELOPING_REFUSAL in stopped.value.response.text
    assert failed == [] and denied == [], "LINE never calls the app back"
    back = line_platform.consent(client.get("/line/login").location, user="Brown")
    assert deliver(client, back).status_code == 302
    assert client.get("/profile", headers={"Accept": "application/json"}).json["name"] == "Brown"


def test_a_channel_status_is_one_the_console_has():
    with pytest.raises(ValueError, match="developing, published"):
        Channel("1", "s", status="draft")


# One user id per provider ------------------------------------------------------------------------------------------

USER_ID = re.compile(r"U[0-9a-f]{32}")


def ids_seen(line_platform, channel: Channel, user: str) -> set[str]:
    """Every id ``channel`` meets for ``user``: the ID token's ``sub``, the profile, userinfo."""
    token = sign_in(line_platform, channel, user)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    profile = requests.get(f"{line_platform.url}/v2/profile", headers=headers, timeout=5).json()
    userinfo = requests.get(f"{line_platform.url}/oauth2/v2.1/userinfo", headers=headers, timeout=5).json()
    return {id_token_claims(token, channel)["sub"], profile["userId"], userinfo["sub"]}


def test_one_person_has_one_id_per_provider(line_platform, line_login_channel):
    demo = line_platform.platform.channels[DEMO_CHANNEL_ID]
    same_provider = line_login_channel("1660000006", "same-provider-channel-secret-0006")
    acme = line_login_channel("1660000007", "acme-provider-channel-secret-0007", provider="acme")
    acme_shop = line_login_channel("1660000008", "acme-provider-channel-secret-0008", provider="acme")
    assert ids_seen(line_platform, demo, "Brown") == ids_seen(line_platform, same_provider, "Brown") == {BROWN}
    (acme_id,) = ids_seen(line_platform, acme, "Brown")
    assert acme_id != BROWN and USER_ID.fullmatch(acme_id), "another provider: another id, shaped as LINE's"
    assert ids_seen(line_platform, acme_shop, "Brown") == {acme_id}, "the same id at every channel of a provider"
    assert ids_seen(line_platform, acme, "Brown") == {acme_id}, "and the same at every login"
    assert ids_seen(line_platform, acme, "Cony") != {acme_id}
    assert line_platform.platform.user_id_at(acme.channel_id, BROWN) == acme_id


def test_verify_names_the_providers_id(line_platform, line_login_channel):
    acme = line_login_channel("1660000009", "acme-provider-channel-secret-0009", provider="acme")
    token = sign_in(line_platform, acme, "Brown")
    acme_id = line_platform.platform.user_id_at(acme.channel_id, BROWN)
    form = {"id_token": token["id_token"], "client_id": acme.channel_id}
    verify = f"{line_platform.url}/oauth2/v2.1/verify"
    assert requests.post(verify, data={**form, "user_id": acme_id}, timeout=5).json()["sub"] == acme_id
    assert requests.post(verify, data={**form, "user_id": BROWN}, timeout=5).status_code == 400


def test_a_linked_account_of_another_provider_knows_the_user_by_that_providers_id(line_platform, line_login_channel):
    acme = line_login_channel("1660000010", "acme-provider-channel-secret-0010", provider="acme", linked_bot=None)
    account = line_platform.platform.messaging.add_channel(
        "2100000010", "acme-messaging-secret", provider="acme", login_channels=(acme.channel_id,)
    )
    url = authorize_url(line_platform, acme.channel_id, bot_prompt="normal")
    back = line_platform.consent(url, user="Brown", add_friend=True, browser=requests.Session())
    assert back.params["friendship_status_changed"] == "true"
    assert account.friends == {line_platform.platform.user_id_at(acme.channel_id, BROWN)}


def test_an_app_at_a_channel_of_another_provider_meets_that_providers_id(make_app, line_platform, line_login_channel):
    acme = line_login_channel(DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET, provider="acme")
    client = make_app(**acme.app_settings()).test_client()
    follow_login(client, line_platform, user="Brown")
    user_id = client.get("/profile", headers={"Accept": "application/json"}).json["user_id"]
    assert user_id == line_platform.platform.user_id_at(DEMO_CHANNEL_ID, BROWN) and user_id != BROWN
