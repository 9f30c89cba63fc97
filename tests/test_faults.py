"""LINE's key set endpoint failing: cached keys keep working, a new key fails cleanly, recovery works."""

from __future__ import annotations

import time

import pytest

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
