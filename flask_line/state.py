"""What flask-line keeps per app: settings, the HTTP client, and the enabled flows."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from werkzeug.exceptions import NotFound

from .config import Settings
from .http import LineHttp
from .login.flow import LineLogin
from .module.service import ModuleService
from .pending import PendingFlows
from .works.flow import WorksLogin
from .works.service import WorksService

STATE_KEY = "line.state"


@dataclass
class AppState:
    """The per-app objects ``init_app`` builds (one extension object may serve several apps)."""

    settings: Settings
    http: LineHttp
    pending: PendingFlows
    login: LineLogin | None
    module: ModuleService | None
    works: WorksService | None

    def require_works(self) -> WorksService:
        """The LINE WORKS service; a 404 when the app has not configured LINE WORKS."""
        if self.works is None:
            raise NotFound("LINE WORKS is not configured (set LINE_WORKS_CLIENT_ID and LINE_WORKS_CLIENT_SECRET).")
        return self.works

    def require_works_login(self) -> WorksLogin:
        """The LINE WORKS sign-in flow."""
        login = self.require_works().login
        if login is None:
            raise NotFound("LINE WORKS sign-in is not configured.")
        return login

    def require_module(self) -> ModuleService:
        """The module service; a 404 when the app has not configured a module channel."""
        if self.module is None:
            raise NotFound(
                "Module attach is not configured (set LINE_MODULE_CHANNEL_ID and LINE_MODULE_CHANNEL_SECRET)."
            )
        return self.module

    def require_login(self) -> LineLogin:
        """The LINE Login flow; a 404 when the app has not configured a LINE Login channel."""
        if self.login is None:
            raise NotFound("LINE Login is not configured (set LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET).")
        return self.login


def app_state(app: Flask | None = None) -> AppState:
    """The state of ``app`` (default: the current app); a clear error when ``init_app`` was never called."""
    target = app or current_app
    try:
        return target.extensions[STATE_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("flask-line is not initialised on this app: call LineOAuth(app) or init_app(app).") from None
