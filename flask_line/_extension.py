"""The ``LineOAuth`` extension object."""

from __future__ import annotations

from flask import Flask

from ._cli import line_cli
from ._config import ConfigReader, check_unknown_keys
from ._flow.session import setup_server_side_sessions
from ._module.service import AccessRule, ModuleService
from ._module.store import AttachmentStore
from ._responses import error_response
from ._runtime import EXTENSION_KEY, Runtime, Settings, load_settings, runtime
from ._views import create_blueprint
from ._wire.tokens import LineToken
from ._works.service import WorksService
from .errors import LineError


class LineOAuth:
    """LINE sign-in and LINE Official Account integration for Flask.

    Use ``LineOAuth(app)``, or ``line = LineOAuth()`` then ``line.init_app(app)`` in an app factory; one object
    can serve several apps. Settings are read from ``app.config`` (``LINE_*`` keys) and validated at once.

    :param store: where module attachments are kept (default: SQLite in the instance folder).
    """

    def __init__(self, app: Flask | None = None, *, store: AttachmentStore | None = None) -> None:
        #: The module attachment store given by the app (None: the default SQLite store).
        self.store = store
        self._module_access_rule: AccessRule | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate the settings, register the ``line`` blueprint, and set up server-side sessions.

        :raises ~flask_line.errors.ConfigurationError: naming the first invalid ``LINE_`` setting.
        """
        reader = ConfigReader(app.config)
        settings = load_settings(reader)
        check_unknown_keys(app.config, reader)
        app.extensions["line"] = self
        app.extensions[EXTENSION_KEY] = Runtime.build(app, settings, self.store, lambda: self._module_access_rule)
        if settings.common.session_setup:
            setup_server_side_sessions(app, pending_ttl=settings.common.flow_ttl)
        app.register_blueprint(create_blueprint(), url_prefix=settings.common.url_prefix)
        app.cli.add_command(line_cli)
        if LineError not in app.error_handler_spec[None][None]:
            # An app that registered its own handler for LineError keeps it.
            app.register_error_handler(LineError, error_response)

    def module_access_rule(self, rule: AccessRule) -> AccessRule:
        """Decorator: let ``rule(attachment, user)`` decide who may use a module attachment in a request.

        By default only the LINE user who attached may use it (``attachment.attached_by``), and an attachment made
        without a signed-in LINE user is usable by nobody in a request. Register a rule for sites whose admins
        share Official Accounts::

            @line.module_access_rule
            def shared_with_team(attachment, user):
                return user.is_authenticated and is_admin_of(user.user_id, attachment.bot_id)

        ``user`` is :data:`~flask_line.current_line_user`. The rule applies to ``current_attachment``,
        ``@requires_module_scope``, ``line.module.select``, ``api(bot_id)`` and ``detach`` in a request; outside
        a request (CLI commands, jobs) the app is trusted and the rule is not asked.
        """
        self._module_access_rule = rule
        return rule

    @property
    def settings(self) -> Settings:
        """The current app's validated settings (read-only; secrets are left out of their ``repr``)."""
        return runtime().settings

    @property
    def module(self) -> ModuleService:
        """The current app's module service: attachments, ``select``, ``detach``, ``api(bot_id)``."""
        return runtime().require_module()

    @property
    def works(self) -> WorksService:
        """The current app's LINE WORKS service: ``service_token()``, ``api()``, ``get_access_token()``."""
        return runtime().require_works()

    def current_token(self) -> LineToken | None:
        """The signed-in user's LINE token as stored (it may have expired), or None."""
        login = runtime().login
        return login.current_token() if login is not None else None

    def get_access_token(self) -> str:
        """A valid access token for the user signed in with LINE Login, refreshed first if it expired.

        Fires :data:`~flask_line.signals.token_refreshed` after a refresh.

        :raises ~flask_line.errors.NotAuthenticated: nobody is signed in, or the refresh token was refused.
        """
        return runtime().require_login().fresh_token().access_token

    def is_friend(self) -> bool:
        """Ask LINE whether the signed-in user is a friend of the channel's linked Official Account."""
        return runtime().require_login().is_friend()
