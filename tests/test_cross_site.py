"""State-changing POSTs of the blueprint (logout, LINE WORKS logout) refuse requests from other sites,
including ``Origin: null``, and still let this site through behind a TLS-terminating proxy."""

from __future__ import annotations

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from flask_line import signals
from tests.conftest import captured, follow_login

LOGOUTS = {"/line/logout": "/profile", "/line/works/logout": "/works/me"}


def sign_in_both(client, line_platform):
    follow_login(client, line_platform, user="Brown")
    start = client.get("/line/works/login")
    client.get(line_platform.consent(start.location).path)


@pytest.mark.parametrize("logout", LOGOUTS)
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "https://evil.example"},
        {"Origin": "http://app.test.evil.example"},
        {"Origin": "http://app.test:8443"},
        {"Origin": "http://evil.example/http://app.test"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "", "Sec-Fetch-Site": "cross-site"},
    ],
    ids=[
        "null",
        "null-with-fetch-metadata",
        "other-host",
        "suffix-host",
        "other-port",
        "path-trick",
        "fetch-cross",
        "empty-origin-cross",
    ],
)
def test_cross_site_logout_is_refused_and_changes_nothing(app, client, line_platform, logout, headers):
    sign_in_both(client, line_platform)
    with captured(signals.logged_out) as logged_out:
        response = client.post(logout, headers=headers)
    assert response.status_code == 403
    assert logged_out == []
    for page in LOGOUTS.values():
        assert client.get(page).status_code == 200, "still signed in everywhere"
    assert line_platform.platform.calls("/oauth2/v2.1/revoke") == 0, "the token was not revoked"


@pytest.mark.parametrize("logout", LOGOUTS)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Origin": "http://app.test"}, {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "same-site"}],
    ids=["no-headers", "same-origin", "fetch-same-origin", "fetch-same-site"],
)
def test_same_site_logout_works(app, client, line_platform, logout, headers):
    sign_in_both(client, line_platform)
    assert client.post(logout, headers=headers).status_code == 302
    assert client.get(LOGOUTS[logout]).status_code == 302, "signed out"


def test_behind_a_tls_proxy_without_proxyfix_an_https_origin_of_this_host_passes(client, line_platform):
    sign_in_both(client, line_platform)  # Flask sees http://app.test; the browser is on https://app.test
    assert client.post("/line/logout", headers={"Origin": "https://app.test"}).status_code == 302
    assert client.get("/profile").status_code == 302


def test_behind_a_tls_proxy_with_proxyfix(make_app, line_platform):
    app = make_app()
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    client = app.test_client()
    sign_in_both(client, line_platform)
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.test"}
    assert client.post("/line/logout", headers={**proxied, "Origin": "http://app.test"}).status_code == 403, (
        "an http page may not post to the https site"
    )
    assert client.post("/line/logout", headers={**proxied, "Origin": "https://app.test"}).status_code == 302


@pytest.mark.parametrize(
    "callback,signal",
    [
        ("/line/callback", signals.login_failed),
        ("/line/attach/callback", signals.module_attach_failed),
        ("/line/works/callback", signals.works_login_failed),
    ],
)
@pytest.mark.parametrize("state", [None, "", "x" * 43, "unknown-state"])
def test_an_error_callback_without_our_state_is_a_failure_and_shows_no_free_text(
    client, line_platform, callback, signal, state
):
    follow_login(client, line_platform, user="Brown")
    spoof = "Your account is locked. Call 0120-000-000"
    query = f"error=access_denied&error_description={spoof.replace(' ', '+')}"
    if state is not None:
        query += f"&state={state}"
    with captured(signal) as failed, captured(signals.login_denied) as denied:
        response = client.get(f"{callback}?{query}")
    assert response.status_code == 400
    assert failed and denied == []
    assert b"0120-000-000" not in response.data
    assert client.get("/profile").status_code == 200, "the signed-in user is untouched"


def test_a_denial_with_our_state_is_still_a_denial(client, line_platform):
    with captured(signals.login_denied) as denied:
        response = follow_login(client, line_platform, allow=False)
    assert response.status_code == 403
    assert denied[0]["error"] == "access_denied"
