"""Framing: every page flask-line renders refuses to be framed (a framed "Sign out" or "Detach" would post as this
site), and the session flask-line sets up is ``SameSite=Lax``."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_line.errors import ConfigurationError

from .conftest import AppFactory
from .test_module import attach


def assert_unframeable(answer: Any, option: str | None = "DENY", ancestors: str = "'none'") -> None:
    assert f"frame-ancestors {ancestors}" in answer.headers["Content-Security-Policy"]
    assert answer.headers.get("X-Frame-Options") == option


def test_the_sign_out_page_refuses_framing(client):
    answer = client.get("/line/logout")
    assert answer.status_code == 200 and b"<form" in answer.data
    assert_unframeable(answer)


def test_the_account_chooser_refuses_framing(client, line_platform):
    attach(client, line_platform)
    answer = client.get("/line/accounts")
    assert answer.status_code == 200 and b"Detach" in answer.data
    assert_unframeable(answer)


def test_an_error_page_refuses_framing(client):
    answer = client.get("/line/callback?state=" + "a" * 43 + "&code=x")
    assert answer.status_code == 400 and b"<html" in answer.data.lower()
    assert_unframeable(answer)


def test_an_error_page_on_a_site_route_refuses_framing(client, line_platform):
    attach(client, line_platform, scopes=["message:receive"])  # the admin declines message:send
    answer = client.get("/insights")
    assert answer.status_code == 403 and b"<html" in answer.data.lower()
    assert_unframeable(answer)


def test_the_sites_own_pages_are_left_alone(client):
    answer = client.get("/")
    assert "Content-Security-Policy" not in answer.headers and "X-Frame-Options" not in answer.headers


def test_a_site_may_let_its_own_pages_frame_flask_lines(make_app: AppFactory):
    answer = make_app(LINE_FRAME_ANCESTORS="'self'").test_client().get("/line/logout")
    assert_unframeable(answer, "SAMEORIGIN", "'self'")


def test_a_partner_origin_is_said_in_csp_alone(make_app: AppFactory):
    answer = make_app(LINE_FRAME_ANCESTORS="https://partner.example").test_client().get("/line/logout")
    assert_unframeable(answer, None, "https://partner.example")


def test_none_leaves_framing_to_the_site(make_app: AppFactory):
    answer = make_app(LINE_FRAME_ANCESTORS=None).test_client().get("/line/logout")
    assert "Content-Security-Policy" not in answer.headers and "X-Frame-Options" not in answer.headers


def test_the_sites_own_csp_is_kept_and_completed(make_app: AppFactory):
    app = make_app()

    @app.after_request
    def site_policy(response: Any) -> Any:
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        return response

    answer = app.test_client().get("/line/logout")
    assert answer.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"


@pytest.mark.parametrize("value", ["'none'; script-src *", "a,b", "x\r\nSet-Cookie: y", "   ", 5])
def test_a_bad_frame_ancestors_fails_init_app(make_app: AppFactory, value: Any):
    with pytest.raises(ConfigurationError, match="LINE_FRAME_ANCESTORS"):
        make_app(LINE_FRAME_ANCESTORS=value)


# The session cookie ----------------------------------------------------------------------------------------------


def session_cookie(app: Flask, line_platform: Any) -> str:
    client = app.test_client()
    start = client.get("/line/login")
    back = line_platform.consent(start.location, user="Brown")
    answer = client.get(back.path)
    cookies = [value for value in answer.headers.getlist("Set-Cookie") if value.startswith("session=")]
    cookies += [value for value in start.headers.getlist("Set-Cookie") if value.startswith("session=")]
    assert cookies
    return cookies[0]


def test_the_session_flask_line_sets_up_is_same_site_lax(app, line_platform):
    assert "SameSite=Lax" in session_cookie(app, line_platform)


def test_the_apps_own_same_site_choice_is_kept(make_app: AppFactory, line_platform):
    app = make_app(SESSION_COOKIE_SAMESITE="Strict")
    assert "SameSite=Strict" in session_cookie(app, line_platform)


def test_a_form_post_login_keeps_the_browsers_default(make_app: AppFactory, line_platform):
    app = make_app(LINE_LOGIN_RESPONSE_MODE="form_post")
    assert app.config["SESSION_COOKIE_SAMESITE"] is None
