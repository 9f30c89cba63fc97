"""A module provider's site: an "Attach module" button, a dashboard that needs ``message:send``, a test push.

With LINE_MODULE_CHANNEL_ID / LINE_MODULE_CHANNEL_SECRET set it talks to LINE; without them it uses the local
emulator at LINE_EMULATOR_URL (default http://127.0.0.1:5005).
"""

from __future__ import annotations

import os

from flask import Flask, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from flask_line import LineOAuth, current_attachment, requires_module_scope
from flask_line.errors import LineError
from flask_line.testing import DEMO_MODULE_CHANNEL_ID, DEMO_MODULE_CHANNEL_SECRET

line = LineOAuth()


def create_app() -> Flask:
    """Build the module provider app from the environment."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    if os.environ.get("LINE_MODULE_CHANNEL_ID"):
        app.config["LINE_MODULE_CHANNEL_ID"] = os.environ["LINE_MODULE_CHANNEL_ID"]
        app.config["LINE_MODULE_CHANNEL_SECRET"] = os.environ.get("LINE_MODULE_CHANNEL_SECRET")
    else:
        app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
        app.config["LINE_MODULE_CHANNEL_ID"] = DEMO_MODULE_CHANNEL_ID
        app.config["LINE_MODULE_CHANNEL_SECRET"] = DEMO_MODULE_CHANNEL_SECRET
    line.init_app(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html", attachment=current_attachment)

    @app.get("/dashboard")
    @requires_module_scope("message:send")
    def dashboard() -> str:
        return render_template("dashboard.html", attachment=current_attachment, result=request.args.get("result"))

    @app.post("/dashboard/test-push")
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
