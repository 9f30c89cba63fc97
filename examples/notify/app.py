"""Notify your members on LINE (the LINE Notify replacement): sign in with LINE asking to add the site's Official
Account as a friend (``bot_prompt=aggressive``), see whether the member did, and push from a background job.

The LINE Login channel and the Messaging API channel must be under the same LINE provider (the user id from
sign-in is then the id the bot pushes to). Without credentials in the environment it uses the local LINE
emulator at LINE_EMULATOR_URL (default http://127.0.0.1:5005): ``make demo EXAMPLE=notify`` starts both.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from flask import Flask, current_app, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from flask_line import LineOAuth, current_line_user, line_login_required
from flask_line.demo import (
    DEMO_CHANNEL_ID,
    DEMO_CHANNEL_SECRET,
    DEMO_MESSAGING_CHANNEL_ID,
    DEMO_MESSAGING_CHANNEL_SECRET,
    DEMO_PROVIDER,
)
from flask_line.errors import LineError, NotAFriend

line = LineOAuth()


def notify_later(app: Flask, user_id: str, text: str) -> threading.Thread:
    """The background job: a real site hands this to its queue (RQ, Celery); a thread keeps the example small."""

    def job() -> None:
        with app.app_context():  # jobs run outside requests: the app context is all line.messaging needs
            try:
                line.messaging.push(user_id, text)
            except NotAFriend:
                app.logger.info("%s has not added the Official Account: nothing sent", user_id)
            except LineError as error:
                app.logger.warning("Push to %s failed (%s); the job may retry", user_id, error.code)

    worker = threading.Thread(target=job, daemon=True)
    worker.start()
    return worker


def create_app() -> Flask:
    """Build the notify example from the environment."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH"))
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    app.config["LINE_LOGIN_BOT_PROMPT"] = "aggressive"  # LINE asks to add the Official Account at sign-in
    if os.environ.get("LINE_LOGIN_CHANNEL_ID"):
        for key in (
            "LINE_LOGIN_CHANNEL_ID",
            "LINE_LOGIN_CHANNEL_SECRET",
            "LINE_MESSAGING_CHANNEL_ID",
            "LINE_MESSAGING_CHANNEL_SECRET",
        ):
            app.config[key] = os.environ.get(key)
        provider = os.environ.get("LINE_PROVIDER")  # the provider both channels belong to, in the Console
    else:
        app.config["LINE_EMULATOR_URL"] = os.environ.get("LINE_EMULATOR_URL", "http://127.0.0.1:5005")
        app.config.update(
            LINE_LOGIN_CHANNEL_ID=DEMO_CHANNEL_ID,
            LINE_LOGIN_CHANNEL_SECRET=DEMO_CHANNEL_SECRET,
            LINE_MESSAGING_CHANNEL_ID=DEMO_MESSAGING_CHANNEL_ID,
            LINE_MESSAGING_CHANNEL_SECRET=DEMO_MESSAGING_CHANNEL_SECRET,
        )
        provider = DEMO_PROVIDER
    app.config.update(LINE_LOGIN_PROVIDER=provider, LINE_MESSAGING_PROVIDER=provider)
    line.init_app(app)

    @app.get("/")
    def home() -> str:
        return render_template("home.html", user=current_line_user)

    @app.get("/settings")
    @line_login_required
    def settings() -> str:
        return render_template("settings.html", user=current_line_user, friend=line.is_friend())

    @app.post("/settings/test-message")
    @line_login_required
    def test_message() -> Response:
        site: Any = current_app._get_current_object()  # type: ignore[attr-defined]
        notify_later(site, current_line_user.user_id, "This is how this site will notify you on LINE.")
        flash("A test message is on its way to your LINE.")
        return redirect(url_for("settings"))

    return app


if __name__ == "__main__":
    create_app().run(port=5000)
