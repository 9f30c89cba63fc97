"""The ``line`` blueprint: thin views that hand each request to its flow."""

from __future__ import annotations

from flask import Blueprint, redirect, request
from werkzeug.wrappers import Response

from .redirects import safe_next
from .state import app_state


def create_blueprint() -> Blueprint:
    """A fresh ``line`` blueprint (one per app, so each app can use its own URL prefix)."""
    blueprint = Blueprint("line", __name__, template_folder="templates")
    blueprint.add_url_rule("/login", "login", login, methods=["GET"])
    blueprint.add_url_rule("/callback", "callback", callback, methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", "logout", logout, methods=["POST"])
    return blueprint


def login() -> Response:
    """Start a LINE Login; ``next`` says where to land afterwards."""
    flow = app_state().require_login()
    return flow.start(request.args.get("next"), flow.options_from(request.args))


def callback() -> Response:
    """LINE's redirect back (GET), or its form post (``LINE_LOGIN_RESPONSE_MODE='form_post'``)."""
    flow = app_state().require_login()
    return flow.finish(request.form if request.method == "POST" else request.args)


def logout() -> Response:
    """Sign out (POST only: a link or an image tag must not log anyone out)."""
    flow = app_state().require_login()
    flow.logout()
    target = request.form.get("next") or request.args.get("next")
    return redirect(safe_next(target, flow.settings.logout_redirect))
