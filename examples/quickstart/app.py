"""The quickstart: LINE Login, a protected profile page, and logout.

Run it with real credentials by setting LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET (and registering
http://127.0.0.1:5000/line/callback as the channel's callback URL). Without them it uses the local LINE emulator
at LINE_EMULATOR_URL (default http://127.0.0.1:5005): start one with ``flask line emulator`` or ``make demo``.
"""

from __future__ import annotations

import os

from flask import Flask, render_template

from flask_line import LineOAuth, current_line_user, line_login_required
from flask_line.demo import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET

line = LineOAuth()


def create_app() -> Flask:
    """Build the quickstart app from the environment."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH"))  # where its SQLite files go
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    if os.environ.get("LINE_LOGIN_CHANNEL_ID"):
        app.config["LINE_LOGIN_CHANNEL_ID"] = os.environ["LINE_LOGIN_CHANNEL_ID"]
        app.config["LINE_LOGIN_CHANNEL_SECRET"] = os.environ.get("LINE_LOGIN_CHANNEL_SECRET")
    else:
        app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
        app.config["LINE_LOGIN_CHANNEL_ID"] = DEMO_CHANNEL_ID
        app.config["LINE_LOGIN_CHANNEL_SECRET"] = DEMO_CHANNEL_SECRET
    line.init_app(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html", user=current_line_user)

    @app.get("/profile")
    @line_login_required
    def profile() -> str:
        return render_template("profile.html", user=current_line_user)

    return app


if __name__ == "__main__":
    create_app().run(port=5000)
