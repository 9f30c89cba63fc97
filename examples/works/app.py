"""LINE WORKS sign-in for an intranet page.

With LINE_WORKS_CLIENT_ID / LINE_WORKS_CLIENT_SECRET set it talks to LINE WORKS; without them it uses the local
emulator at LINE_EMULATOR_URL (default http://127.0.0.1:5005).
"""

from __future__ import annotations

import os

from flask import Flask, render_template

from flask_line import LineOAuth, current_works_user, works_login_required
from flask_line.testing import DEMO_WORKS_CLIENT_ID, DEMO_WORKS_CLIENT_SECRET

line = LineOAuth()


def create_app() -> Flask:
    """Build the LINE WORKS example from the environment."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH"))  # where its SQLite files go
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    app.config["LINE_WORKS_SCOPES"] = "openid profile email"
    if os.environ.get("LINE_WORKS_CLIENT_ID"):
        app.config["LINE_WORKS_CLIENT_ID"] = os.environ["LINE_WORKS_CLIENT_ID"]
        app.config["LINE_WORKS_CLIENT_SECRET"] = os.environ.get("LINE_WORKS_CLIENT_SECRET")
    else:
        app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
        app.config["LINE_WORKS_CLIENT_ID"] = DEMO_WORKS_CLIENT_ID
        app.config["LINE_WORKS_CLIENT_SECRET"] = DEMO_WORKS_CLIENT_SECRET
    line.init_app(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html", user=current_works_user)

    @app.get("/intranet")
    @works_login_required
    def intranet() -> str:
        return render_template("intranet.html", user=current_works_user)

    return app


if __name__ == "__main__":
    create_app().run(port=5000)
