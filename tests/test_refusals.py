"""Every refusal is raised as a ``LineError`` and answered by one registered handler: a site's own handler for
``LineError`` sees the decorators' refusals too."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, jsonify

from flask_line import current_line_user, errors, line_token_required
from flask_line.signals import login_failed

from .conftest import AppFactory, captured

API = {"Accept": "application/json"}


@pytest.fixture
def site_handled(make_app: AppFactory) -> tuple[Flask, list[errors.LineError]]:
    app = make_app(LINE_MAX_BODY_SIZE=65_536)
    seen: list[errors.LineError] = []

    @app.errorhandler(errors.LineError)
    def site_page(error: errors.LineError) -> Any:
        seen.append(error)
        return jsonify(site=True, code=error.code), error.status_code

    @app.post("/api/me")
    @line_token_required
    def api_me() -> Any:
        return jsonify(user_id=current_line_user.user_id)

    return app, seen


@pytest.mark.parametrize(
    ("method", "path", "headers", "kind", "status"),
    [
        ("GET", "/profile", {}, errors.LoginRequired, 401),  # a browser: the site decides, not a redirect
        ("GET", "/profile", API, errors.LoginRequired, 401),
        ("GET", "/works/me", API, errors.LoginRequired, 401),
        ("POST", "/api/me", API, errors.TokenAuthError, 401),
        ("GET", "/insights", API, errors.MissingModuleScope, 403),
        ("GET", "/line/accounts", API, errors.LoginRequired, 401),
    ],
)
def test_the_sites_handler_sees_every_decorator_refusal(site_handled, method, path, headers, kind, status):
    app, seen = site_handled
    answer = app.test_client().open(path, method=method, headers=headers)
    assert answer.status_code == status and answer.json["site"] is True
    assert len(seen) == 1 and isinstance(seen[0], kind)


def test_the_sites_handler_sees_an_oversized_body(site_handled):
    app, seen = site_handled
    answer = app.test_client().post("/api/me", data=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "a/json"})
    assert answer.status_code == 413 and answer.json["site"] is True
    assert isinstance(seen[0], errors.RequestTooLarge)


def test_a_refused_credential_still_sends_login_failed_with_the_sites_handler(site_handled):
    app, _ = site_handled
    with captured(login_failed) as failed:
        app.test_client().post("/api/me", headers={"Authorization": "Bearer nope", **API})
    assert len(failed) == 1 and failed[0]["error"].code == "invalid_token"


def test_without_a_site_handler_a_browser_is_still_sent_to_sign_in(client):
    answer = client.get("/profile")
    assert answer.status_code == 302 and "/line/login?next=/profile" in answer.location
