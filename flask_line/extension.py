"""The ``LineOAuth`` extension object."""

from __future__ import annotations

import logging
import os
import warnings

from flask import Flask

from .cli import line_cli
from .config import LoginSettings, Settings, load_settings
from .errors import LineError
from .http import LineHttp
from .idtoken import IdTokenVerifier
from .jwks import JwksCache
from .login.flow import LineLogin
from .login.protocol import LoginProtocol
from .login.v20 import LoginV20
from .login.v21 import LoginV21
from .module.flow import ModuleAttachFlow
from .module.selection import AttachmentSelection
from .module.service import ModuleService
from .module.store import AttachmentStore, SQLiteAttachmentStore
from .pending import PendingFlows
from .responses import error_response
from .sessions import setup_server_side_sessions
from .state import STATE_KEY, AppState, app_state
from .tokens import LineToken
from .views import create_blueprint
from .works.flow import WorksLogin
from .works.service import WorksService

log = logging.getLogger("flask_line")


class LineOAuth:
    """LINE sign-in and LINE Official Account integration for Flask.

    Use ``LineOAuth(app)``, or ``line = LineOAuth()`` then ``line.init_app(app)`` in an app factory; one object
    can serve several apps. Settings are read from ``app.config`` (``LINE_*`` keys) and validated at once.
    """

    def __init__(self, app: Flask | None = None, *, store: AttachmentStore | None = None) -> None:
        #: The module attachment store given by the app (default: SQLite in the instance folder).
        self.store = store
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate the settings, register the ``line`` blueprint, and set up server-side sessions.

        :raises ~flask_line.errors.ConfigurationError: naming the first invalid ``LINE_`` setting.
        """
        settings = load_settings(app.config)
        http = LineHttp(settings.http_timeout)
        pending = PendingFlows(settings.flow_ttl)
        login = _build_login(settings, http, pending) if settings.login.enabled else None
        state = AppState(
            settings=settings,
            http=http,
            pending=pending,
            login=login,
            module=self._build_module(app, settings, http, pending, login) if settings.module.enabled else None,
            works=_build_works(settings, http, pending) if settings.works.enabled else None,
        )
        app.extensions["line"] = self
        app.extensions[STATE_KEY] = state
        if settings.session_setup:
            setup_server_side_sessions(app)
        app.register_blueprint(create_blueprint(), url_prefix=settings.url_prefix)
        app.cli.add_command(line_cli)
        if LineError not in app.error_handler_spec[None][None]:
            # An app that registered its own handler for LineError keeps it.
            app.register_error_handler(LineError, error_response)

    @property
    def module(self) -> ModuleService:
        """The current app's module service: attachments, ``select``, ``detach``, ``api(bot_id)``."""
        return app_state().require_module()

    @property
    def works(self) -> WorksService:
        """The current app's LINE WORKS service: ``service_token()``, ``api()``, the signed-in member's token."""
        return app_state().require_works()

    def _build_module(
        self, app: Flask, settings: Settings, http: LineHttp, pending: PendingFlows, login: LineLogin | None
    ) -> ModuleService:
        store = self.store
        if store is None:
            uri = settings.module.store_uri or f"sqlite:///{os.path.join(app.instance_path, 'flask_line.sqlite3')}"
            store = SQLiteAttachmentStore.from_uri(uri)
        flow = ModuleAttachFlow(settings.module, pending, http, store, AttachmentSelection(store), login)
        return ModuleService(settings.module, http, store, flow)

    def current_token(self) -> LineToken | None:
        """The signed-in user's LINE token as stored (it may have expired), or None."""
        login = app_state().login
        return login.current_token() if login is not None else None

    def get_access_token(self) -> str:
        """A valid access token for the signed-in user, refreshed first if it expired.

        Fires :data:`~flask_line.signals.token_refreshed` after a refresh.

        :raises ~flask_line.errors.NotAuthenticated: nobody is signed in, or the refresh token was refused.
        """
        return app_state().require_login().fresh_token().access_token

    def is_friend(self) -> bool:
        """Ask LINE whether the signed-in user is a friend of the channel's linked Official Account."""
        return app_state().require_login().is_friend()


def _build_login(settings: Settings, http: LineHttp, pending: PendingFlows) -> LineLogin:
    login = settings.login
    protocol: LoginProtocol
    if login.version == "2.0":
        warnings.warn(
            "LINE Login v2.0 is deprecated by LINE; set LINE_LOGIN_VERSION='2.1' to migrate.",
            DeprecationWarning,
            stacklevel=3,
        )
        log.warning("LINE Login v2.0 is deprecated by LINE; set LINE_LOGIN_VERSION='2.1' to migrate.")
        protocol = LoginV20(login, http)
    else:
        protocol = LoginV21(login, http, _id_token_verifier(settings, login, http))
    return LineLogin(login, pending, protocol)


def _id_token_verifier(settings: Settings, login: LoginSettings, http: LineHttp) -> IdTokenVerifier:
    return IdTokenVerifier(
        issuer=login.endpoints.issuer,
        client_id=login.channel_id,
        algorithms=login.id_token_algorithms,
        leeway=settings.id_token_leeway,
        client_secret=login.channel_secret,
        jwks=JwksCache(http, login.endpoints.jwks, settings.jwks_cache_ttl),
    )


def _build_works(settings: Settings, http: LineHttp, pending: PendingFlows) -> WorksService:
    works = settings.works
    verifier = IdTokenVerifier(
        issuer=works.issuer,
        client_id=works.client_id,
        algorithms=("RS256",),
        leeway=settings.id_token_leeway,
        jwks=JwksCache(http, works.jwks_url, settings.jwks_cache_ttl),
    )
    return WorksService(works, http, WorksLogin(works, pending, http, verifier))
