"""A module provider's site: the admin signs in with LINE, attaches the module, and sends a test push.

Each attachment belongs to the LINE user who attached it (flask-line's default access rule), so an admin signs
in with LINE Login first. With LINE_MODULE_CHANNEL_ID / LINE_MODULE_CHANNEL_SECRET (and the LINE Login channel
settings) set it talks to LINE; without them it uses the local emulator at LINE_EMULATOR_URL
(default http://127.0.0.1:5005).
"""

from __future__ import annotations

import os

from flask import Flask, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from flask_line import LineOAuth, current_attachment, current_line_user, line_login_required, requires_module_scope
from flask_line.demo import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET, DEMO_MODULE_CHANNEL_ID, DEMO_MODULE_CHANNEL_SECRET
from flask_line.errors import LineError

line = LineOAuth()


def create_app() -> Flask:
    """Build the module provider app from the environment."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH"))  # where its SQLite files go
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    if os.environ.get("LINE_MODULE_CHANNEL_ID"):
        for key in ("CHANNEL_ID", "CHANNEL_SECRET"):
            app.config[f"LINE_MODULE_{key}"] = os.environ.get(f"LINE_MODULE_{key}")
            app.config[f"LINE_LOGIN_{key}"] = os.environ.get(f"LINE_LOGIN_{key}")
    else:
        app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
        app.config["LINE_MODULE_CHANNEL_ID"] = DEMO_MODULE_CHANNEL_ID
        app.config["LINE_MODULE_CHANNEL_SECRET"] = DEMO_MODULE_CHANNEL_SECRET
        app.config["LINE_LOGIN_CHANNEL_ID"] = DEMO_CHANNEL_ID
        app.config["LINE_LOGIN_CHANNEL_SECRET"] = DEMO_CHANNEL_SECRET
    line.init_app(app)
    if os.environ.get("SHARED_ACCOUNTS"):
        # One team's site: every signed-in admin may use every Official Account attached here. Without this rule,
        # each account belongs to the admin who attached it.
        line.module_access_rule(lambda attachment, admin: admin.is_authenticated)

    def account_name() -> str | None:
        """The Official Account's display name ("Brown Cafe"), as LINE gives it; None without an attachment."""
        if not current_attachment:
            return None
        return line.module.bot_info(current_attachment.bot_id).get("displayName") or current_attachment.bot_id

    @app.get("/")
    def home() -> str:
        return render_template(
            "home.html", attachment=current_attachment, account_name=account_name(), admin=current_line_user
        )

    @app.get("/dashboard")
    @line_login_required
    @requires_module_scope("message:send")
    def dashboard() -> str:
        return render_template(
            "dashboard.html",
            attachment=current_attachment,
            account_name=account_name(),
            result=request.args.get("result"),
        )

    @app.post("/dashboard/test-push")
    @line_login_required
    @requires_module_scope("message:send")
    def test_push() -> Response:
        message = {"type": "text", "text": "Hello from the module!"}
        try:
            answer = line.module.api(current_attachment.bot_id).post(
                "/v2/bot/message/push", json={"to": request.form["to"], "messages": [message]}
            )
            result = "sent" if answer.ok else f"LINE answered {answer.status_code}"
        except LineError as error:
            result = error.message
        return redirect(url_for("dashboard", result=result))

    return app


if __name__ == "__main__":
    create_app().run(port=5000)
