"""Security suite in the style of the OpenID Foundation's relying-party conformance tests.

The ID-token cases (bad signature, ``alg=none``, HS256 keyed with the public key, wrong ``iss``/``aud``, several
``aud`` without ``azp``, expired, ``iat`` in the future, missing or wrong nonce, unknown ``kid`` and rotation) are
in ``test_callback_rejections.py`` and ``test_works.py``; state (missing, foreign, replayed, expired), code
replay, open redirects and session fixation in ``test_callback_rejections.py`` and ``test_session.py``. This file
adds PKCE, parameter abuse, flow mix-up, and a property-based fuzz of the callback.

This is the one test module that reads and writes flask-line's private Flask session keys (``_line_pending``,
``_line_login``): its point is what happens when the stored state is tampered with, or how much of it is kept,
which no public API shows. Every other test goes through ``flask_line.testing``'s helpers.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_line import errors, signals
from tests.conftest import captured, deliver, follow_login


def test_pending_authorizations_are_bounded(client):
    for _ in range(30):
        client.get("/line/login")
    with client.session_transaction() as stored:
        assert len(stored["_line_pending"]) <= 8


def test_pkce_verifier_mismatch_is_refused_by_line_and_rejected(client, line_platform):
    start = client.get("/line/login")
    back = line_platform.consent(start.location)
    with client.session_transaction() as stored:
        flows = stored["_line_pending"]
        flows[back.params["state"]]["code_verifier"] = "x" * 64  # an attacker's verifier
        stored["_line_pending"] = flows
    with captured(signals.login_failed) as failed:
        response = deliver(client, back)
    assert response.status_code == 400
    assert failed[0]["error"].error == "invalid_grant"
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        "code=" + "A" * 100_000 + "&state=" + "B" * 43,
        "code=abc&state=" + "S" * 10_000,
        "code=%ff%fe%fd&state=%c3%28" + "x" * 41,
        "error=" + "E" * 50_000,
        "code=abc&state=%00%01%02",
    ],
    ids=["huge code", "huge state", "not utf-8", "huge error", "control characters"],
)
def test_abusive_callback_parameters_get_a_clean_400(client, query):
    response = client.get(f"/line/callback?{query}")
    assert 400 <= response.status_code < 500
    assert b"Traceback" not in response.data


def test_login_state_sent_to_the_works_callback_is_a_mix_up(client, line_platform):
    back = line_platform.consent(client.get("/line/login").location)
    with captured(signals.works_login_failed) as failed:
        response = client.get(f"/line/works/callback?code={back.params['code']}&state={back.params['state']}")
    assert response.status_code == 400
    assert isinstance(failed[0]["error"], errors.StateError)
    assert deliver(client, back).status_code == 302, "the login flow itself still completes"


def test_works_state_sent_to_the_login_callback_is_a_mix_up(client, line_platform, caplog):
    back = line_platform.consent(client.get("/line/works/login").location)
    response = client.get(f"/line/callback?code={back.params['code']}&state={back.params['state']}")
    assert response.status_code == 400
    assert "belongs to a works:" in caplog.text


def test_form_post_callback_cannot_smuggle_query_parameters(make_app, line_platform):
    client = make_app(LINE_LOGIN_RESPONSE_MODE="form_post").test_client()
    back = line_platform.consent(client.get("/line/login").location)
    response = client.post("/line/callback?state=forged&code=forged", data=back.params)
    assert response.status_code == 302, "the POST body, not the query string, is read"


def test_a_login_does_not_reuse_the_pre_login_session(client, line_platform):
    follow_login(client, line_platform, user="Brown")
    with client.session_transaction() as stored:
        assert "_line_login" in stored
        assert stored.get("_line_pending") == {}, "the used state is gone"


callback_values = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
callback_params = st.dictionaries(
    st.sampled_from(["code", "state", "error", "error_description", "friendship_status_changed", "errorCode", "x"]),
    callback_values,
    max_size=6,
)


@pytest.fixture
def fuzz_apps(make_app):
    """One app per response mode, shared by every generated example (the callback must not care)."""
    return {"GET": make_app(), "POST": make_app(LINE_LOGIN_RESPONSE_MODE="form_post")}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=callback_params, method=st.sampled_from(["GET", "POST"]))
def test_fuzzed_callback_never_produces_a_server_error(fuzz_apps, params, method):
    client = fuzz_apps[method].test_client()
    client.get("/line/login")  # a pending flow exists, as in a real attack on a user mid-login
    if method == "POST":
        response = client.post("/line/callback", data=params)
    else:
        response = client.get("/line/callback", query_string=params)
    assert response.status_code < 500, response.data[:300]
