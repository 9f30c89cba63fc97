"""What the session holds after login: rotation, several tabs, refresh, logout, and the decorator."""

from __future__ import annotations

import pytest

from flask_line import errors, signals
from tests.conftest import captured, deliver, expire_token, follow_login


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session", domain="app.test")
    return cookie.value if cookie else None


def test_tokens_stay_server_side(client, line_platform):
    follow_login(client, line_platform)
    cookie = session_cookie(client)
    assert cookie and len(cookie) < 100
    for token in line_platform.platform.access_tokens:
        assert token not in cookie


def test_session_id_is_rotated_at_login(client, line_platform):
    client.get("/line/login")
    planted = session_cookie(client)
    follow_login(client, line_platform)
    assert session_cookie(client) != planted
    client.set_cookie("session", planted, domain="app.test")
    assert client.get("/profile", headers={"Accept": "application/json"}).status_code == 401


def test_two_tabs_can_log_in_from_one_session(client, line_platform):
    first = client.get("/line/login?next=/first")
    second = client.get("/line/login?next=/second")
    back_first = line_platform.consent(first.location, user="Brown")
    back_second = line_platform.consent(second.location, user="Cony")
    assert deliver(client, back_second).location == "/second"
    assert deliver(client, back_first).location == "/first"
    assert client.get("/profile").json["name"] == "Brown"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/%09/evil.example".replace("%09", "\t"),
        "http:/evil.example",
        "evil.example",
        "",
    ],
)
def test_next_never_leaves_the_site(client, line_platform, target):
    start = client.get("/line/login", query_string={"next": target})
    response = deliver(client, line_platform.consent(start.location))
    assert response.location == "/"


def test_next_keeps_a_same_site_path_and_query(client, line_platform):
    start = client.get("/line/login", query_string={"next": "/orders?page=2&sort=new"})
    assert deliver(client, line_platform.consent(start.location)).location == "/orders?page=2&sort=new"


def test_decorator_redirects_a_browser_to_login_with_next(client):
    response = client.get("/profile?tab=settings")
    assert response.status_code == 302
    assert response.location == "/line/login?next=/profile?tab%3Dsettings"


def test_decorator_answers_json_clients_with_401(client):
    response = client.get("/profile", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json["error"] == "not_authenticated"


def test_decorator_answers_xhr_with_401(client):
    assert client.get("/profile", headers={"X-Requested-With": "XMLHttpRequest"}).status_code == 401


def test_decorator_can_be_called_with_parentheses(make_app, line_platform):
    from flask_line import line_login_required

    app = make_app()

    @app.get("/called")
    @line_login_required()
    def called() -> str:
        return "ok"

    client = app.test_client()
    assert client.get("/called").status_code == 302
    follow_login(client, line_platform)
    assert client.get("/called").data == b"ok"


def test_logout_revokes_the_token_and_signs_out(client, line_platform):
    follow_login(client, line_platform, user="Brown")
    token = next(iter(line_platform.platform.access_tokens))
    with captured(signals.logged_out) as logged_out:
        response = client.post("/line/logout", data={"next": "/bye"})
    assert response.location == "/bye"
    assert token not in line_platform.platform.access_tokens
    assert logged_out[0]["user"].display_name == "Brown"
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize("path", ["/line/logout", "/line/works/logout"])
def test_logout_by_get_signs_nobody_out_and_asks_with_a_button(client, line_platform, path):
    follow_login(client, line_platform)
    page = client.get(f"{path}?next=/bye")
    assert page.status_code == 200, "a page that looks like the product, not a bare 405"
    text = page.get_data(as_text=True)
    assert f'action="{path}"' in text and 'method="post"' in text and 'value="/bye"' in text
    assert client.get("/profile").status_code == 200, "still signed in: a GET changes nothing"
    assert client.get(f"{path}?next=https://evil.example").get_data(as_text=True).count("evil.example") == 0


@pytest.mark.parametrize(
    "headers", [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}], ids=["fetch metadata", "origin"]
)
def test_cross_site_logout_is_refused(client, line_platform, headers):
    follow_login(client, line_platform)
    assert client.post("/line/logout", headers=headers).status_code == 403
    assert client.get("/profile").status_code == 200


def test_same_site_logout_with_origin_is_accepted(client, line_platform):
    follow_login(client, line_platform)
    response = client.post("/line/logout", headers={"Origin": "http://app.test", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 302


def test_logout_goes_to_the_configured_page_and_ignores_foreign_next(make_app, line_platform):
    client = make_app(LINE_LOGOUT_REDIRECT="/goodbye").test_client()
    follow_login(client, line_platform)
    assert client.post("/line/logout?next=https://evil.example").location == "/goodbye"


def test_logout_still_signs_out_when_line_is_down(client, line_platform):
    follow_login(client, line_platform)
    line_platform.platform.inject("POST /oauth2/v2.1/revoke", status=500)
    assert client.post("/line/logout").status_code == 302
    assert client.get("/profile").status_code == 302


@pytest.fixture
def token_view(app):
    @app.get("/token")
    def token() -> str:
        return app.extensions["line"].get_access_token()

    return app


def test_expired_token_is_refreshed_transparently(token_view, line_platform):
    client = token_view.test_client()
    follow_login(client, line_platform)
    old = client.get("/token").data.decode()
    expire_token(client)
    with captured(signals.token_refreshed) as refreshed:
        new = client.get("/token").data.decode()
    assert new != old
    assert new in line_platform.platform.access_tokens
    assert refreshed[0]["token"].access_token == new
    assert client.get("/token").data.decode() == new, "the refreshed token is saved"


def test_refused_refresh_signs_the_user_out(token_view, line_platform):
    client = token_view.test_client()
    follow_login(client, line_platform)
    expire_token(client)
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=400, body={"error": "invalid_grant"})
    response = client.get("/token", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json["error"] == errors.NotAuthenticated.code
    assert client.get("/profile").status_code == 302


def test_current_token_hides_secrets_in_repr(app, line_platform):
    @app.get("/repr")
    def show() -> str:
        return repr(app.extensions["line"].current_token())

    client = app.test_client()
    follow_login(client, line_platform)
    shown = client.get("/repr").data.decode()
    assert "LineToken(" in shown
    for token in line_platform.platform.access_tokens:
        assert token not in shown
