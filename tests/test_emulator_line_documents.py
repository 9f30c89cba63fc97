"""The emulator against LINE's documents and OpenAPI descriptions (line/line-openapi), point by point, over real
HTTP: what the product meets in production, it meets in its tests."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import requests

from flask_line.testing import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET

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
