"""The app the two-host test runs under gunicorn: production settings (Redis sessions, PostgreSQL stores)."""

from __future__ import annotations

import os
from typing import Any

import redis
from flask import Flask, jsonify
from werkzeug.wrappers import Response

from flask_line import (
    LineOAuth,
    current_attachment,
    current_line_user,
    line_login_required,
    line_token_required,
    requires_module_scope,
)


class SiteUser:
    def __init__(self, user_id: str) -> None:
        self.id = user_id


def create_app() -> Flask:
    """Everything comes from the environment the test sets."""
    app = Flask(__name__, instance_path=os.environ["SCALE_INSTANCE"])
    app.config.update(
        SECRET_KEY="scale-test",
        SESSION_TYPE="redis",
        SESSION_REDIS=redis.from_url(os.environ["SCALE_REDIS_URL"]),
        LINE_EMULATOR_URL=os.environ["LINE_EMULATOR_URL"],
        LINE_LOGIN_CHANNEL_ID=os.environ["LINE_LOGIN_CHANNEL_ID"],
        LINE_LOGIN_CHANNEL_SECRET=os.environ["LINE_LOGIN_CHANNEL_SECRET"],
        LINE_MODULE_CHANNEL_ID=os.environ["LINE_MODULE_CHANNEL_ID"],
        LINE_MODULE_CHANNEL_SECRET=os.environ["LINE_MODULE_CHANNEL_SECRET"],
        # Both hosts sit behind one public URL (the load balancer): LINE redirects there, whichever host started.
        LINE_LOGIN_CALLBACK_URL=os.environ["SCALE_PUBLIC_URL"] + "/line/callback",
        LINE_MODULE_CALLBACK_URL=os.environ["SCALE_PUBLIC_URL"] + "/line/attach/callback",
        LINE_DATABASE_URI=os.environ["SCALE_DATABASE_URL"],
    )
    line = LineOAuth(app)

    @line.link_user
    def site_user(identity: Any, linked_user_id: str | None) -> SiteUser:
        # The site's users are named after the LINE user: what matters here is that every link is stored.
        return SiteUser(linked_user_id or f"site-{identity.user_id}")

    @app.after_request
    def tag_worker(response: Response) -> Response:
        response.headers["X-Worker"] = f"{os.environ['SCALE_HOST']}:{os.getpid()}"
        return response

    @app.get("/profile")
    @line_login_required
    def profile() -> Any:
        return jsonify(
            user_id=current_line_user.user_id, name=current_line_user.display_name, site_user=line.site_user_id()
        )

    @app.get("/token/me")
    @line_token_required
    def token_me() -> Any:
        return jsonify(channel=current_line_user.channel_id)

    @app.get("/dashboard")
    @requires_module_scope("message:send")
    def dashboard() -> Any:
        return jsonify(bot_id=current_attachment.bot_id)

    return app
