"""The Flask-Login bridge: used only when the app has a ``LoginManager`` (``flask-line[login]``)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from .._log import log
from ..errors import SignInRefused


def has_flask_login() -> bool:
    """Whether the current app runs Flask-Login (its ``LoginManager.init_app`` sets ``app.login_manager``)."""
    return getattr(current_app, "login_manager", None) is not None


def log_in(user: Any, *, remember: bool) -> None:
    """``login_user(user)``; Flask-Login refuses an inactive user, and so do we."""
    from flask_login import login_user

    if not login_user(user, remember=remember):
        raise SignInRefused("Flask-Login refused the site user (is_active is False).")


def log_out() -> None:
    """``logout_user()``: the site user is signed out with the LINE identity that brought them."""
    from flask_login import logout_user

    logout_user()


def signed_in_user_id() -> str | None:
    """``current_user.get_id()`` when someone is signed in with Flask-Login, else None."""
    from flask_login import current_user

    return str(current_user.get_id()) if current_user.is_authenticated else None


def adopt_login_view() -> None:
    """With Flask-Login and no ``login_view`` (nor an ``unauthorized_handler``), ``@login_required`` would answer a
    bare 401 page: send visitors to LINE sign-in instead, ``next`` kept. Asked once per app, at its first request.
    """
    manager = getattr(current_app, "login_manager", None)
    if manager is None or getattr(manager, "_flask_line_adopted", False):
        return
    manager._flask_line_adopted = True
    if manager.login_view is None and manager.unauthorized_callback is None and not manager.blueprint_login_views:
        manager.login_view = "line.login"
        log.info("Flask-Login had no login_view: @login_required now sends visitors to LINE sign-in (line.login)")
