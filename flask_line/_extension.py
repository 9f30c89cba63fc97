"""The ``LineOAuth`` extension object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.wrappers import Response as BaseResponse

from ._accounts.flask_login_bridge import adopt_login_view
from ._accounts.linking import LinkUndoHook, LinkUserHook
from ._cli import line_cli
from ._config import COMMON_SETTINGS, ConfigReader, load_common
from ._hints import emulator_command
from ._i18n.languages import LANGUAGES_KEY, RENDERED_PAGE_KEY, Languages
from ._log import log
from ._login.channels import ChannelLoader, LoginChannel
from ._login.service import LoginService
from ._responses import error_response, refuse_framing
from ._runtime import EXTENSION_KEY, AppHooks, EmulatorWatch, Runtime, runtime
from ._sessions.outage import OutageTolerantSessions
from ._sessions.setup import setup_server_side_sessions
from ._settings import LINE_WORKS, MODULE_CHANNELS, Settings, every_setting
from ._store.links import LINE, AccountLinkStore
from ._views import create_blueprint
from ._wire.tokens import LineToken
from .errors import ConfigurationError, LineError

if TYPE_CHECKING:  # the products a site may leave out load when the app uses them (OptionalProducts)
    from ._messaging.channels import MessagingChannelLoader
    from ._messaging.routing import Messaging
    from ._module.service import AccessRule, ModuleService
    from ._store.attachments import AttachmentStore
    from ._works.companies import CompanyLoader, WorksCompany
    from ._works.service import WorksService


class Storage(Protocol):
    """Anything holding both stores, such as :class:`flask_line.sqlalchemy.SQLAlchemyStorage`."""

    @property
    def attachments(self) -> AttachmentStore: ...

    @property
    def links(self) -> AccountLinkStore: ...


class LineOAuth:
    """LINE sign-in and LINE Official Account integration for Flask.

    Use ``LineOAuth(app)``, or ``line = LineOAuth()`` then ``line.init_app(app)`` in an app factory; one object
    can serve several apps. Settings are read from ``app.config`` (``LINE_*`` keys) and validated at once.

    :param storage: keeps both module attachments and account links, such as
        :class:`flask_line.sqlalchemy.SQLAlchemyStorage` (default: ``LINE_DATABASE_URI``, else SQLite in the
        instance folder).
    :param store: where module attachments are kept (overrides ``storage`` for them).
    :param links: where account links are kept (overrides ``storage`` for them).
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        storage: Storage | None = None,
        store: AttachmentStore | None = None,
        links: AccountLinkStore | None = None,
    ) -> None:
        #: The module attachment store given by the app (None: ``LINE_DATABASE_URI`` or the SQLite file).
        self.store = store or (storage.attachments if storage is not None else None)
        #: The account-link store given by the app (None: ``LINE_DATABASE_URI`` or the SQLite file).
        self.links = links or (storage.links if storage is not None else None)
        self._module_access_rule: AccessRule | None = None
        self._link_user: LinkUserHook | None = None
        self._link_user_undo: LinkUndoHook | None = None
        self._channel_loader: ChannelLoader | None = None
        self._emulator_watch = EmulatorWatch()
        self._works_company_loader: CompanyLoader | None = None
        self._messaging_channel_loader: MessagingChannelLoader | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate the settings, register the ``line`` blueprint, and set up server-side sessions.

        :raises ~flask_line.errors.ConfigurationError: naming the first invalid ``LINE_`` setting.
        """
        if not app.config.get("SECRET_KEY"):
            raise ConfigurationError(
                "SECRET_KEY",
                "is required: flask-line binds each sign-in to the browser's session, which Flask signs with it. "
                "Set app.config['SECRET_KEY'] to a long random string (python -c 'import secrets; "
                "print(secrets.token_hex())') before LineOAuth(app).",
            )
        settings = self._configure(app)
        app.extensions["line"] = self
        _setup_sessions(app, settings)
        app.register_blueprint(create_blueprint(), url_prefix=settings.common.url_prefix)
        _warn_about_unserved_callbacks(app, settings)
        app.before_request(_adopt_login_view_when_line_login_exists)
        app.after_request(_refuse_framing_of_our_pages)
        app.before_request(self._check_the_emulator)
        app.cli.add_command(line_cli)
        if LineError not in app.error_handler_spec[None][None]:
            # An app that registered its own handler for LineError keeps it.
            app.register_error_handler(LineError, error_response)

    def _check_the_emulator(self) -> None:
        """In emulator mode, say (log, or a page for a sign-in) when nobody runs the emulator, with the command."""
        emulator_url = runtime().settings.common.emulator_url
        if emulator_url is not None and not self._emulator_watch.answered(emulator_url):
            sends_the_browser = request.endpoint in SENDS_THE_BROWSER_TO_LINE
            self._emulator_watch.check(emulator_url, _emulator_command_here, sends_the_browser=sends_the_browser)

    def reload_config(self, app: Flask) -> None:
        """Read ``app.config`` again, for an app whose ``LINE_`` settings changed after ``init_app``.

        Tests of a module-level app use it (through :func:`flask_line.testing.configure_app`) to point the app at
        their own emulator. The blueprint and hooks stay; the server-side sessions flask-line set up are set up
        again when a ``SESSION_`` setting changed (a test's temporary session folder); a new ``LINE_URL_PREFIX``
        cannot be applied.

        :raises ~flask_line.errors.ConfigurationError: naming the first invalid setting, or a changed prefix.
        """
        before = runtime(app).settings.common.url_prefix
        reader = ConfigReader(app.config, COMMON_SETTINGS, every_setting)
        if load_common(reader).url_prefix != before:
            raise ConfigurationError("LINE_URL_PREFIX", "cannot change after init_app: the routes are registered")
        settings = self._configure(app)
        set_up_from = app.extensions.get(SESSION_CONFIG_KEY)
        if set_up_from is not None and set_up_from != _session_config(app):
            app.session_interface = SecureCookieSessionInterface()
            _setup_sessions(app, settings)

    def _configure(self, app: Flask) -> Settings:
        """Validate the settings and build what serves them (the runtime and the languages)."""
        settings = Settings(app.config)
        hooks = AppHooks(
            self.store,
            self.links,
            lambda: self._module_access_rule,
            lambda: self._link_user,
            lambda: self._link_user_undo,
            lambda: self._channel_loader,
            lambda: self._works_company_loader,
            lambda: self._messaging_channel_loader,
        )
        app.extensions[EXTENSION_KEY] = Runtime.build(app, settings, hooks)
        app.extensions[LANGUAGES_KEY] = Languages(settings.languages, app.root_path)
        return settings

    def channel_loader(self, loader: ChannelLoader) -> ChannelLoader:
        """Decorator: choose the LINE Login channel of each request (many shops or regions, one app).

        ``loader()`` runs once per request and returns a :class:`~flask_line.LoginChannel`, the name of one in
        ``LINE_LOGIN_CHANNELS``, or None when this request's site does not use LINE Login (a 404, never another
        site's channel; a loader that raises is a 404 too, and logged)::

            @line.channel_loader
            def shop_channel():
                shop = Shop.query.filter_by(host=request.host).first()
                if shop is None or shop.line_channel_id is None:
                    return None
                return LoginChannel(shop.line_channel_id, shop.line_channel_secret, bot_prompt="aggressive")

        A loader that reads a path segment or a query parameter (``/shops/<shop>/``, ``?shop=``) names it in
        ``LINE_URL_VALUES``: flask-line keeps it on every ``line.*`` URL it builds for the visitor (the sign-in
        redirect of the decorators and of Flask-Login, retry links, the sign-out form, ``url_for("line.login")``
        in your templates). A callback needs no shop: it completes at the channel that started the sign-in.

        Everything of LINE Login then follows the request's channel: the authorize request, the callback, ID-token
        checks (``aud``, HS256 secret), refresh, revoke, friendship, logout, ``@line_token_required``, the module
        chooser's admin, and the signals (``channel_id``). One person per browser: a visitor may be signed in at
        several channels as the same person; another person's sign-in anywhere ends the first one's everywhere.
        Account links are shared only by channels that declare the same ``provider``. ``async def`` loaders
        work too. See :doc:`multi_channel`.
        """
        self._channel_loader = loader
        return loader

    def works_company_loader(self, loader: CompanyLoader) -> CompanyLoader:
        """Decorator: choose the LINE WORKS company of each request (one app serving many customer companies).

        ``loader()`` runs once per request and returns a :class:`~flask_line.WorksCompany`, the name of one in
        ``LINE_WORKS_COMPANIES``, or None when this request belongs to no company (a 404, never another company's
        app; a loader that raises is a 404 too, and logged)::

            @line.works_company_loader
            def company_of_request():
                tenant = Tenant.query.filter_by(host=request.host).first()
                if tenant is None or tenant.works_client_id is None:
                    return None
                return WorksCompany(
                    tenant.works_client_id,
                    tenant.works_client_secret,
                    callback_url=f"https://{tenant.host}/line/works/callback",
                    service_account=tenant.works_service_account,
                    private_key=tenant.works_private_key,
                )

        Everything of LINE WORKS then follows the request's company: the authorize request, the callback (it
        completes at the company that started it, and refuses another company's sign-in), ID-token checks
        (``aud`` is that company's client id), refresh, logout, account links (scoped ``company:<client id>``),
        the signals (``company_id``) and the service token (one per company). A loader that reads a path segment
        or a query parameter names it in ``LINE_URL_VALUES``. ``async def`` loaders work too. See
        :doc:`works_companies`.
        """
        self._works_company_loader = loader
        return loader

    def messaging_channel_loader(self, loader: MessagingChannelLoader) -> MessagingChannelLoader:
        """Decorator: choose the Messaging API channel (the Official Account) of each request's shop.

        ``loader()`` returns a :class:`~flask_line.MessagingChannel`, the name of one in
        ``LINE_MESSAGING_CHANNELS``, or None when this request's shop has no Official Account. It reads the shop
        as the ``channel_loader`` does (host, a path segment or query parameter named in ``LINE_URL_VALUES``)::

            @line.messaging_channel_loader
            def shop_official_account():
                shop = Shop.query.filter_by(host=request.host).first()
                if shop is None or shop.messaging_channel_id is None:
                    return None
                return MessagingChannel(shop.messaging_channel_id, shop.messaging_channel_secret, shop.line_provider)

        The shop's webhook (``/line/messaging/webhook`` on the shop's URL) is checked with that channel's secret,
        ``/line/bot-link`` links under its provider, and ``line.messaging.push`` in a request of the shop goes
        through it. In a background job there is no request: a push goes through the channel under the provider
        the member signed in with (configured, or used recently by this worker), or pass ``channel=``. A loader
        that raises is a 404 and logged; ``async def`` loaders work too. See :doc:`notify` (Several shops).
        """
        self._messaging_channel_loader = loader
        return loader

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

    def link_user(self, hook: LinkUserHook) -> LinkUserHook:
        """Decorator: turn a verified LINE identity into your site's user (the one hook of account linking).

        ``hook(identity, linked_user_id)`` gets a :class:`~flask_line.LineUser` (or a
        :class:`~flask_line.WorksUser`) whose token and ID token have passed every check, and the id of the site
        user that identity was linked to before (None at its first sign-in). Return your user (found or just
        created), or None to refuse the sign-in. With SQLAlchemy (Flask-SQLAlchemy's ``db.session``), add a new
        user and do **not** commit: flask-line adds the link and commits both in one transaction, so a failure
        leaves neither::

            @line.link_user
            def user_for(identity, linked_user_id):
                if linked_user_id is not None:
                    return db.session.get(User, int(linked_user_id))
                user = User(name=identity.display_name)
                db.session.add(user)  # no commit: flask-line commits the user and the link together
                return user

        Users kept elsewhere: register :meth:`link_user_undo` too. The user's id is read from ``get_id()``
        (Flask-Login's ``UserMixin``) or ``id``. flask-line records the first link, keeps the site user in the
        session (:meth:`site_user_id`), and with Flask-Login calls ``login_user``. None (or an inactive user) is
        a 403 and an exception a 500; either sends ``login_failed`` and leaves the session as it was. It also
        enables ``/line/link`` and ``/line/unlink`` (and ``/line/works/link``, ``/line/works/unlink``) for a
        signed-in site user.
        """
        self._link_user = hook
        return hook

    def link_user_undo(self, undo: LinkUndoHook) -> LinkUndoHook:
        """Decorator: remove a site user the ``@line.link_user`` hook just created, whose link could not be written.

        For sites whose users are not in the SQLAlchemy session flask-line writes links with (an API, another
        database): ``undo(user, identity)`` runs when recording a first sign-in's link fails (the database is
        away, or the same person's sign-in in another tab linked first), so no site user is left without a link::

            @line.link_user_undo
            def forget(user, identity):
                members_api.delete(user.id)

        It runs only for a user created at a first sign-in, never for one found through a link.
        """
        self._link_user_undo = undo
        return undo

    @property
    def account_links(self) -> AccountLinkStore:
        """The current app's account-link store (to show a member which accounts are linked)."""
        return runtime().accounts.links

    def site_user_id(self) -> str | None:
        """The id of this session's site user: Flask-Login's ``current_user``, or the one a LINE sign-in set."""
        return runtime().accounts.signed_in_user_id()

    @property
    def settings(self) -> Settings:
        """The current app's validated settings (read-only; secrets are left out of their ``repr``)."""
        return runtime().settings

    @property
    def login(self) -> LoginService:
        """The current app's LINE Login service: ``identity``, ``flow``, ``bearer``, ``is_friend()``, ``logout()``.

        With a ``channel_loader``, the service of this request's channel.
        """
        return runtime().require_login()

    def login_for(self, channel: LoginChannel | str) -> LoginService:
        """The LINE Login service of ``channel`` (or of the configured channel of that name: ``"default"`` is
        ``LINE_LOGIN_CHANNEL_ID``'s), whatever the request (a job, a test, another shop's page)."""
        return runtime().channels.service(channel)

    @property
    def module(self) -> ModuleService:
        """The current app's module service: attachments, ``select``, ``detach``, ``api(bot_id)``."""
        return runtime().require_module()

    @property
    def messaging(self) -> Messaging:
        """The site's Messaging API channels: ``push(user, messages)``, ``multicast``, ``issue_link_token``,
        ``channel(name)``.

        Usable in requests and in background jobs (inside ``app.app_context()``); with several shops each push
        goes through ``channel=``, the request's shop's channel, or the channel of the member's provider::

            line.messaging.push(order.customer, "Your order has shipped.")
        """
        return runtime().require_messaging()

    @property
    def works(self) -> WorksService:
        """The current app's LINE WORKS service: ``service_token()``, ``api()``, ``get_access_token()``.

        With a ``works_company_loader``, the service of this request's company.
        """
        return runtime().require_works()

    def works_for(self, company: WorksCompany | str) -> WorksService:
        """The LINE WORKS service of ``company`` (or of the configured company of that name: ``"default"`` is
        ``LINE_WORKS_CLIENT_ID``'s), whatever the request: a batch job or a bot running for each company needs
        only an app context::

            with app.app_context():
                for tenant in Tenant.query.all():
                    line.works_for(tenant.works_company()).api().post(f"/bots/{tenant.bot_id}/...", json=...)

        :raises ~flask_line.errors.CompanyNotFound: no configured company has that name.
        """
        return runtime().companies.service(company)

    def current_token(self) -> LineToken | None:
        """The signed-in user's LINE token as stored (it may have expired), or None."""
        login = runtime().login
        return login.identity.current_token() if login is not None else None

    def get_access_token(self) -> str:
        """A valid access token for the user signed in with LINE Login, refreshed first if it expired.

        Fires :data:`~flask_line.signals.token_refreshed` after a refresh.

        :raises ~flask_line.errors.NotAuthenticated: nobody is signed in, or the refresh token was refused.
        """
        return runtime().require_login().identity.fresh_token().access_token

    def deauthorize(self) -> None:
        """For a user deleting their account: remove their consent at LINE, unlink them, and sign them out.

        LINE's development guidelines require deauthorizing when a user unregisters. Call it from your
        "delete my account" view while the user is still signed in, then delete your own user::

            @app.post("/account/delete")
            @login_required
            def delete_account():
                line.deauthorize()  # LINE forgets the consent; the link and the session go too
                db.session.delete(current_user)
                db.session.commit()
                return redirect("/")

        :raises ~flask_line.errors.NotAuthenticated: nobody is signed in with LINE Login.
        """
        state = runtime()
        login = state.require_login()
        login.deauthorize()  # first: if LINE cannot be reached, nothing here has changed
        if state.accounts.enabled and state.accounts.signed_in_user_id() is not None:
            state.accounts.unlink_signed_in_user(LINE)
        login.identity.sign_out()

    def is_friend(self) -> bool:
        """Ask LINE whether the signed-in user is a friend of the channel's linked Official Account."""
        return runtime().require_login().is_friend()


def _adopt_login_view_when_line_login_exists() -> None:
    """With Flask-Login, ``@login_required`` sends visitors to LINE sign-in (at their own shop: the URL keeps its
    values) whenever the app has LINE Login: its own channel, listed channels or a ``channel_loader``."""
    channels = runtime().channels
    if channels.configured or channels.active:
        adopt_login_view()


def _refuse_framing_of_our_pages(response: BaseResponse) -> BaseResponse:
    """Every page flask-line rendered (on its routes or a site's: error pages) refuses framing per
    ``LINE_FRAME_ANCESTORS``: a framed "Sign out" or "Detach" button would post as this site."""
    ancestors = runtime().settings.common.frame_ancestors
    if ancestors is not None and g.get(RENDERED_PAGE_KEY):
        refuse_framing(response, ancestors)
    return response


def _same_site_lax_unless_set(app: Flask, settings: Settings) -> None:
    """The session cookie is ``SameSite=Lax`` unless the app chose (``SESSION_COOKIE_SAMESITE``): other sites'
    requests then carry no session. A LINE Login answered by a cross-site POST (``form_post`` response modes)
    needs the cookie on that POST, so those apps keep the browser's default and the log says why."""
    if app.config.get("SESSION_COOKIE_SAMESITE") is not None:
        return
    if settings.login.response_mode.startswith("form_post"):
        log.info(
            "SESSION_COOKIE_SAMESITE is left unset: LINE_LOGIN_RESPONSE_MODE=%s answers with a cross-site POST, "
            "which a SameSite=Lax session cookie would not reach",
            settings.login.response_mode,
        )
        return
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"


#: ``app.extensions`` key: the ``SESSION_`` settings the sessions were set up with (None: flask-line set none up).
SESSION_CONFIG_KEY = "line.session_config"


def _session_config(app: Flask) -> dict[str, object]:
    return {key: value for key, value in app.config.items() if key.startswith("SESSION_")}


def _setup_sessions(app: Flask, settings: Settings) -> None:
    """Keep the app's sessions server-side (unless ``LINE_SESSION_SETUP`` is off), and remember from what."""
    if not settings.common.session_setup:
        app.extensions[SESSION_CONFIG_KEY] = None
        return
    _same_site_lax_unless_set(app, settings)
    setup_server_side_sessions(app, pending_ttl=settings.common.pending_ttl)
    if not isinstance(app.session_interface, OutageTolerantSessions):
        app.session_interface = OutageTolerantSessions(app.session_interface)
    app.extensions[SESSION_CONFIG_KEY] = _session_config(app)


def _warn_about_unserved_callbacks(app: Flask, settings: Settings) -> None:
    """Warn, at ``init_app``, about a ``*_CALLBACK_URL`` whose path is not the callback flask-line serves.

    The callbacks are flask-line's own routes, registered just before, so the check needs no later request. A
    path that ends with the served one is taken for a proxy's prefix (``/app/line/callback``) and passes.
    """
    module, works = MODULE_CHANNELS.name in settings.given, LINE_WORKS.name in settings.given  # else: no URL set
    for key, url, endpoint in (
        ("LINE_LOGIN_CALLBACK_URL", settings.login.callback_url, "line.callback"),
        ("LINE_MODULE_CALLBACK_URL", settings.module.callback_url if module else None, "line.attach_callback"),
        ("LINE_WORKS_CALLBACK_URL", settings.works.callback_url if works else None, "line.works_callback"),
    ):
        if not url:
            continue
        served = next(rule.rule for rule in app.url_map.iter_rules(endpoint))
        parts = urlsplit(url)
        if parts.path.endswith(served):
            continue
        log.warning(
            "%s is %s, but this app serves that callback at %s: LINE would send visitors to a page that does not "
            "exist after they consent. Set %s to %s and register that URL in the LINE Developers Console.",
            key,
            url,
            served,
            key,
            parts._replace(path=served, query="", fragment="").geturl(),
        )


#: The routes that send the browser to LINE's authorize page: in emulator mode, that page must be there.
SENDS_THE_BROWSER_TO_LINE = frozenset({"line.login", "line.link", "line.attach", "line.works_login", "line.works_link"})


def _emulator_command_here() -> str:
    """The emulator command this app needs, with the port this request reached the app at.

    A ``LINE_EMULATOR_URL`` changed after ``init_app`` (a test's config applied to an app made at import) is named
    too: the app still uses the one it read.
    """
    command = emulator_command(current_app.config, current_app.import_name, urlsplit(f"//{request.host}").port)
    configured = current_app.config.get("LINE_EMULATOR_URL")
    if configured and configured != runtime().settings.common.emulator_url:
        command += (
            f". LINE_EMULATOR_URL is now {configured}, set after flask-line read it: in a test, apply the config "
            "with flask_line.testing.configure_app(app, line_app_config), which reloads it"
        )
    return command
