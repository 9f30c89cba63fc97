"""``async def`` views and hooks: every decorator and hook runs them as Flask runs async views (asgiref).

Each decorator is driven signed in, signed out in a browser (a redirect to sign in) and signed out as an API
client (a 401 or 403 JSON body).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from flask import Flask, jsonify, request

from flask_line import (
    LoginChannel,
    current_attachment,
    current_line_user,
    current_works_user,
    line_login_required,
    line_token_required,
    requires_module_scope,
    works_login_required,
)
from flask_line.demo import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET
from flask_line.signals import login_succeeded
from flask_line.testing import EmulatorServer

from .conftest import AppFactory, follow_login
from .test_module import attach
from .test_works import works_login

API = {"Accept": "application/json"}


@pytest.fixture
def async_app(make_app: AppFactory) -> Flask:
    app = make_app()

    @app.get("/async/profile")
    @line_login_required
    async def async_profile() -> Any:
        await asyncio.sleep(0)
        return jsonify(user_id=current_line_user.user_id)

    @app.get("/async/works")
    @works_login_required
    async def async_works() -> Any:
        await asyncio.sleep(0)
        return jsonify(user_id=current_works_user.user_id)

    @app.get("/async/token")
    @line_token_required
    async def async_token() -> Any:
        await asyncio.sleep(0)
        return jsonify(user_id=current_line_user.user_id)

    @app.get("/async/module")
    @requires_module_scope("message:send")
    async def async_module() -> Any:
        await asyncio.sleep(0)
        return jsonify(bot_id=current_attachment.bot_id)

    return app


def test_an_async_view_behind_line_login_required_runs_for_a_signed_in_user(async_app, line_platform):
    client = async_app.test_client()
    follow_login(client, line_platform, user="Brown")
    answer = client.get("/async/profile")
    assert answer.status_code == 200 and answer.json["user_id"].startswith("U")


def test_an_async_view_behind_line_login_required_sends_a_browser_to_sign_in(async_app):
    answer = async_app.test_client().get("/async/profile")
    assert answer.status_code == 302 and "/line/login?next=/async/profile" in answer.location


def test_an_async_view_behind_line_login_required_answers_an_api_client_401(async_app):
    answer = async_app.test_client().get("/async/profile", headers=API)
    assert answer.status_code == 401 and answer.json["error"] == "not_authenticated"
    assert answer.headers["WWW-Authenticate"].startswith("LINE-Login")


def test_an_async_view_behind_works_login_required_runs_for_a_signed_in_member(async_app, line_platform):
    client = async_app.test_client()
    works_login(client, line_platform)
    answer = client.get("/async/works")
    assert answer.status_code == 200 and answer.json["user_id"]


def test_an_async_view_behind_works_login_required_refuses_the_signed_out(async_app):
    client = async_app.test_client()
    browser = client.get("/async/works")
    assert browser.status_code == 302 and "/line/works/login" in browser.location
    api = client.get("/async/works", headers=API)
    assert api.status_code == 401 and api.json["error"] == "not_authenticated"


def test_an_async_view_behind_line_token_required_runs_with_a_valid_token(async_app, line_platform):
    credentials = line_platform.liff_login("Brown")
    answer = async_app.test_client().get(
        "/async/token", headers={"Authorization": f"Bearer {credentials['access_token']}", **API}
    )
    assert answer.status_code == 200 and answer.json["user_id"].startswith("U")


def test_an_async_view_behind_line_token_required_refuses_a_missing_token_with_json(async_app):
    # Even a browser loading the page: a credential route answers JSON.
    answer = async_app.test_client().get("/async/token")
    assert answer.status_code == 401 and answer.json["error"] == "missing_token"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_async_view_behind_requires_module_scope_runs_with_the_scope(async_app, line_platform):
    client = async_app.test_client()
    attach(client, line_platform)
    answer = client.get("/async/module")
    assert answer.status_code == 200 and answer.json["bot_id"]


def test_an_async_view_behind_requires_module_scope_refuses_the_signed_out(async_app):
    client = async_app.test_client()
    browser = client.get("/async/module")
    assert browser.status_code == 302 and "/line/login" in browser.location
    api = client.get("/async/module", headers=API)
    assert api.status_code == 403 and api.json["missing_scopes"] == ["message:send"]


# Hooks ---------------------------------------------------------------------------------------------------------


class SiteUser:
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def test_an_async_link_user_hook_signs_the_site_user_in(make_app: AppFactory, line_platform: EmulatorServer):
    app = make_app()
    line = app.extensions["line"]
    seen: list[str] = []

    @line.link_user
    async def user_for(identity: Any, linked_user_id: str | None) -> SiteUser:
        await asyncio.sleep(0)
        seen.append(identity.display_name)
        return SiteUser(linked_user_id or "42")

    @app.get("/site-user")
    def site_user() -> Any:
        return jsonify(id=line.site_user_id())

    client = app.test_client()
    answer = follow_login(client, line_platform, user="Brown")
    assert answer.status_code == 302
    assert seen == ["Brown"]
    assert client.get("/site-user").json["id"] == "42"


def test_an_async_link_user_hook_that_refuses_is_a_403(make_app: AppFactory, line_platform: EmulatorServer):
    app = make_app()

    @app.extensions["line"].link_user
    async def nobody(identity: Any, linked_user_id: str | None) -> None:
        return None

    assert follow_login(app.test_client(), line_platform, user="Brown").status_code == 403


def test_an_async_channel_loader_chooses_the_channel(make_app: AppFactory, line_platform: EmulatorServer):
    line_platform.platform.add_channel("1111111111", "secret-of-shop-a")
    app = make_app()

    @app.extensions["line"].channel_loader
    async def shop_channel() -> LoginChannel | str | None:
        await asyncio.sleep(0)
        if request.args.get("shop") == "a":
            return LoginChannel("1111111111", "secret-of-shop-a")
        return LoginChannel(DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET)

    start = app.test_client().get("/line/login?shop=a")
    assert start.status_code == 302 and "client_id=1111111111" in start.location


def test_an_async_access_rule_is_asked(make_app: AppFactory, line_platform: EmulatorServer):
    app = make_app()
    asked: list[str] = []

    @app.extensions["line"].module_access_rule
    async def rule(attachment: Any, user: Any) -> bool:
        asked.append(attachment.bot_id)
        return True

    client = app.test_client()
    attach(client, line_platform)
    assert client.get("/bots/current").json["bot_id"] is not None
    assert asked


def test_an_async_signal_receiver_runs(async_app, line_platform):
    received: list[str] = []

    async def receiver(sender: Any, user: Any, **extra: Any) -> None:
        await asyncio.sleep(0)
        received.append(user.display_name)

    login_succeeded.connect(receiver, sender=async_app)
    try:
        follow_login(async_app.test_client(), line_platform, user="Brown")
    finally:
        login_succeeded.disconnect(receiver)
    assert received == ["Brown"]
