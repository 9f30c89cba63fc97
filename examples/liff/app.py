"""A LIFF-style site: the page gets LINE credentials the way a LIFF app does (``liff.getAccessToken()``,
``liff.getIDToken()``) and calls the site's JSON API with them; it can also trade its ID token for a session.

With the local emulator (LINE_EMULATOR_URL, default http://127.0.0.1:5005) the page asks the emulator for the
credentials; in a real LIFF app, the LIFF SDK hands them over. ``client.py`` is the same API called by a native
app's backend client.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, render_template

from flask_line import LineOAuth, current_line_user, line_login_required, line_token_required
from flask_line.demo import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET

line = LineOAuth()


def create_app() -> Flask:
    """Build the LIFF example from the environment."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH"))  # where its SQLite files go
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
    app.config["LINE_LOGIN_CHANNEL_ID"] = os.environ.get("LINE_LOGIN_CHANNEL_ID", DEMO_CHANNEL_ID)
    app.config["LINE_LOGIN_CHANNEL_SECRET"] = os.environ.get("LINE_LOGIN_CHANNEL_SECRET", DEMO_CHANNEL_SECRET)
    line.init_app(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html", emulator=app.config["LINE_EMULATOR_URL"])

    @app.get("/api/profile")
    @line_token_required(scopes=["profile"])
    def api_profile():  # type: ignore[no-untyped-def]
        """Who sent this request: verified from the LINE credentials it carries, never from a posted user id."""
        return jsonify(user_id=current_line_user.user_id, name=current_line_user.display_name)

    @app.get("/me")
    @line_login_required
    def me() -> str:
        return render_template("me.html", user=current_line_user)

    return app


if __name__ == "__main__":
    create_app().run(port=5000)
