"""LINE's key set endpoint failing: cached keys keep working, a new key fails cleanly, recovery works."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from flask_line import errors, signals
from tests.conftest import captured, follow_login


@pytest.fixture
def es256_app(make_app, line_platform):
    line_platform.platform.sign_id_tokens_with("ES256")
    return make_app(LINE_JWKS_CACHE_TTL=1, LINE_JWKS_MIN_REFETCH_INTERVAL=0.5)


def test_cached_keys_keep_working_while_the_jwks_endpoint_is_down(es256_app, line_platform):
    client = es256_app.test_client()
    follow_login(client, line_platform, user="Brown")
    line_platform.platform.inject("GET /oauth2/v2.1/certs", status=503, body="down", times=100)
    time.sleep(1.1)  # the cache is now stale; the refetch fails and the cached keys are used
    client.post("/line/logout")
    assert follow_login(client, line_platform, user="Cony").status_code == 302
    assert client.get("/profile").json["name"] == "Cony"


def test_a_new_key_while_the_jwks_endpoint_is_down_fails_cleanly_then_recovers(es256_app, line_platform):
    client = es256_app.test_client()
    follow_login(client, line_platform, user="Brown")
    line_platform.platform.rotate_keys()
    line_platform.platform.inject("GET /oauth2/v2.1/certs", status=500, body="down", times=2)
    with captured(signals.login_failed) as failed:
        response = follow_login(client, line_platform, user="Cony")
    assert response.status_code == 502
    assert isinstance(failed[0]["error"], errors.UpstreamUnavailable)
    assert client.get("/profile").json["name"] == "Brown", "the existing login is untouched"
    line_platform.platform.faults.clear()
    time.sleep(0.6)  # an unknown kid refetches at most once per LINE_JWKS_MIN_REFETCH_INTERVAL
    assert follow_login(client, line_platform, user="Cony").status_code == 302
    assert client.get("/profile").json["name"] == "Cony"


def test_garbage_key_set_is_an_upstream_error(es256_app, line_platform):
    client = es256_app.test_client()
    line_platform.platform.inject("GET /oauth2/v2.1/certs", status=200, body={"keys": [{"kty": "nonsense"}]})
    assert follow_login(client, line_platform).status_code == 502


def storm(app, line_platform, *, works: bool, same_kid: bool) -> list[int]:
    """20 browsers finish a sign-in at once, each with an ID token naming an unknown key; return the statuses."""
    token_request = "POST /oauth2/v2.0/token" if works else "POST /oauth2/v2.1/token"
    for index in range(20):
        kid = "kid-nobody-published" if same_kid else f"kid-unknown-{index}"
        line_platform.platform.inject(token_request, id_token={"header": {"kid": kid}})
    statuses: list[int] = []

    def one() -> None:
        client = app.test_client()
        start = client.get("/line/works/login" if works else "/line/login")
        back = line_platform.consent(start.location, browser=requests.Session())
        statuses.append(client.get(back.path).status_code)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("same_kid", [False, True], ids=["distinct-kids", "same-kid"])
@pytest.mark.parametrize("works", [False, True], ids=["line-login", "line-works"])
def test_unknown_kids_cannot_cause_a_jwks_fetch_storm(make_app, line_platform, works, same_kid):
    line_platform.platform.sign_id_tokens_with("ES256")
    app = make_app()
    statuses = storm(app, line_platform, works=works, same_kid=same_kid)
    assert statuses == [400] * 20
    certs = "/oauth2/v2.0/certs" if works else "/oauth2/v2.1/certs"
    # One fetch to load the keys and at most one refetch for the unknown kids (it was 21).
    assert line_platform.platform.calls(certs) <= 2


def test_a_real_key_rotation_is_still_picked_up_after_the_interval(make_app, line_platform):
    line_platform.platform.sign_id_tokens_with("ES256")
    client = make_app(LINE_JWKS_MIN_REFETCH_INTERVAL=0.3).test_client()
    follow_login(client, line_platform, user="Brown")
    line_platform.platform.inject("POST /oauth2/v2.1/token", id_token={"header": {"kid": "kid-nobody"}})
    assert follow_login(client, line_platform, user="Cony").status_code == 400  # uses up the refetch
    line_platform.platform.rotate_keys()
    time.sleep(0.35)
    assert follow_login(client, line_platform, user="Cony").status_code == 302
