"""What flask-line keeps per app (its :class:`Runtime`): settings, the HTTP client and the enabled flows."""

from __future__ import annotations

import hashlib
import os
import socket
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, request

from ._accounts.linking import AccountLinking, LinkUndoHook, LinkUserHook
from ._flow.origin import Origin, origin_here
from ._flow.pending import PendingAuthorizations
from ._flows import WORKS_SIGN_IN_KIND
from ._identity.anonymous import AnonymousUser
from ._identity.household import Identities
from ._log import log
from ._login.assembly import login_service
from ._login.channels import ChannelLoader, LoginChannels
from ._login.service import LoginService
from ._login.user import LineUser
from ._login.versions import VERSIONS
from ._parts import SharedParts
from ._settings import LINE_WORKS, MESSAGING_API, MODULE_CHANNELS, Settings
from ._store.abilities import DatabaseBacked, ManagedDatabase
from ._store.checked import CheckedAttachments, checked_links
from ._store.lazy import LazyAttachments, LazyLinks, OnFirstUse
from ._store.links import AccountLinkStore
from ._wire.http import LineHttp
from ._wire.shared_cache import NOT_SHARED, CachelibBackend, RedisBackend, SharedCache
from .errors import ChannelNotFound, ConfigurationError, EmulatorNotAnswering, NotConfigured

if TYPE_CHECKING:  # the products a site may leave out are imported by OptionalProducts, when the app uses them
    from ._messaging.channels import MessagingChannelLoader
    from ._messaging.routing import Messaging
    from ._messaging.service import MessagingService
    from ._module.service import AccessRule, ModuleService
    from ._store.attachments import AttachmentStore
    from ._store.sql import SQLAlchemyStorage  # SQLAlchemy is an optional extra: imported when a store needs it
    from ._works.companies import CompanyLoader, WorksCompanies
    from ._works.flow import WorksSignInFlow
    from ._works.service import WorksService

ProductT = TypeVar("ProductT")

#: Key of the runtime in ``app.extensions`` (``app.extensions["line"]`` is the :class:`~flask_line.LineOAuth`).
EXTENSION_KEY = "line.runtime"


@dataclass(eq=False)  # one app's objects, not a value: equal only to itself
class Runtime:
    """The per-app objects ``init_app`` builds (one extension object may serve several apps)."""

    settings: Settings
    #: The HTTP client every call to LINE goes through (one keep-alive connection pool).
    http: LineHttp
    pending: PendingAuthorizations
    #: Every signed-in identity and what belongs to it, asked together at sign-out.
    identities: Identities
    accounts: AccountLinking
    #: Every LINE Login channel (``LINE_LOGIN_CHANNEL_ID`` is the one named ``"default"``) and each request's.
    channels: LoginChannels
    module: ModuleService | None
    #: LINE WORKS, when the app uses it (see :attr:`companies`).
    works_product: OnDemand[WorksCompanies]
    #: Where attachments and links live (``flask line db`` asks it for the databases).
    stores: Stores
    #: The Messaging API, when the app uses it (see :attr:`messaging`).
    messaging_product: OnDemand[Messaging]

    @property
    def companies(self) -> WorksCompanies:
        """Every LINE WORKS company (``LINE_WORKS_CLIENT_ID`` is the one named ``"default"``) and each request's
        (built when first asked for, by an app without LINE WORKS settings too: ``line.works_for(company)``)."""
        return self.works_product.get()

    @property
    def messaging(self) -> Messaging:
        """The app's Messaging API channels (``LINE_MESSAGING_CHANNEL_ID`` is the one named ``"default"``), as the
        app sends through them (``line.messaging``)."""
        return self.messaging_product.get()

    @property
    def login(self) -> LoginService | None:
        """The LINE Login service of this request's channel (None: the app has no LINE Login).

        :raises ~flask_line.errors.ChannelNotFound: the loader found no channel for this request (a 404).
        """
        return self.channels.current()

    @property
    def works(self) -> WorksService | None:
        """The LINE WORKS service of this request's company (None: the app has no LINE WORKS).

        :raises ~flask_line.errors.CompanyNotFound: the loader found no company for this request (a 404).
        """
        companies = self.works_product.in_use()
        return companies.current() if companies is not None else None

    @classmethod
    def build(cls, app: Flask, settings: Settings, hooks: AppHooks) -> Runtime:
        """Build the products ``settings`` enable, with the stores and hooks the app gave."""
        common = settings.common
        http = LineHttp(common.http_timeout, emulator_url=common.emulator_url)
        shared = shared_cache_of(app)

        def current_login() -> LoginService | None:
            try:
                return channels.current()
            except ChannelNotFound:  # a page outside every shop: nobody is signed in with LINE Login here
                return None

        def origin(kind: str) -> Origin:
            login = current_login()
            channel_id = login.settings.channel_id if login is not None else None
            if kind.split(":", 1)[0] != WORKS_SIGN_IN_KIND:
                return origin_here(common.url_values, channel_id, with_url=channels.active)
            works_companies = companies.get()
            works = works_companies.current()  # the company whose sign-in starts: its callback completes there
            company_id = works.settings.client_id if works is not None else None
            with_url = channels.active or works_companies.active
            return origin_here(common.url_values, channel_id, company_id, with_url=with_url)

        pending = PendingAuthorizations(common.pending_ttl, origin)
        identities = Identities(pending)
        stores = Stores(app, settings, hooks)
        accounts = AccountLinking(
            checked_links(stores.links()), hooks.link_user, remember=common.remember_user, undo=hooks.link_user_undo
        )
        parts = SharedParts(common, http, pending, identities, accounts, shared)
        version = VERSIONS[settings.login.version]
        channels = LoginChannels(
            settings.login, version, lambda login: login_service(parts, login, settings.login), hooks.channel_loader
        )
        if version.deprecation and channels.configured:
            warnings.warn(version.deprecation, DeprecationWarning, stacklevel=4)
            log.warning(version.deprecation)
        channels.current()  # the default channel's service, built (and its settings checked) now
        products = OptionalProducts(parts, settings, hooks, stores, channels, current_login)
        given = settings.given  # the products the config has keys of: the others' settings are not read yet
        module = products.module() if MODULE_CHANNELS.name in given and settings.module.enabled else None
        companies = OnDemand(
            products.works,
            lambda: hooks.works_company_loader() is not None,
            now=LINE_WORKS.name in given and (settings.works.enabled or bool(settings.works.companies)),
        )
        if companies.in_use() is not None:
            companies.get().current()  # the default company's service, built (and its settings checked) now
        messaging = OnDemand(
            products.messaging,
            lambda: hooks.messaging_channel_loader() is not None,
            now=MESSAGING_API.name in given and (settings.messaging.enabled or bool(settings.messaging.channels)),
        )
        messaging.in_use()  # a configured channel is built (and its settings checked) now
        return cls(settings, http, pending, identities, accounts, channels, module, companies, stores, messaging)

    def require_login(self) -> LoginService:
        """The LINE Login service; a 404 when the app has not configured a LINE Login channel."""
        try:
            login = self.login
        except ChannelNotFound:
            if not self.settings.common.url_values:
                log.warning(
                    "The channel_loader found no LINE Login channel for %s: if it reads a path segment or a query "
                    "parameter (such as <shop> or ?shop=), name it in LINE_URL_VALUES so flask-line keeps it on "
                    "its own URLs",
                    request.path,
                )
            raise
        if login is None:
            raise NotConfigured(
                "LINE Login is not configured (set LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET)."
            )
        return login

    def require_module(self) -> ModuleService:
        """The module service; a 404 when the app has not configured a module channel."""
        if self.module is None:
            raise NotConfigured(
                "Module attach is not configured (set LINE_MODULE_CHANNEL_ID and LINE_MODULE_CHANNEL_SECRET)."
            )
        return self.module

    def require_works(self) -> WorksService:
        """The LINE WORKS service of this request's company; a 404 when the app has not configured LINE WORKS, or
        when the ``works_company_loader`` found no company for this request (never another company's)."""
        works = self.works
        if works is None:
            raise NotConfigured("LINE WORKS is not configured (set LINE_WORKS_CLIENT_ID and LINE_WORKS_CLIENT_SECRET).")
        return works

    def require_messaging(self) -> Messaging:
        """The app's Messaging API channels; a 404 when the app has none (no channel and no loader)."""
        messaging = self.messaging_product.in_use()
        if messaging is None or not messaging.channels.any:
            raise NotConfigured(
                "The Messaging API channel is not configured (set LINE_MESSAGING_CHANNEL_ID, "
                "LINE_MESSAGING_CHANNEL_SECRET and LINE_MESSAGING_PROVIDER, or LINE_MESSAGING_CHANNELS)."
            )
        return messaging

    def messaging_channel(self, name: str | None) -> MessagingService:
        """The Messaging API channel of a webhook or ``/line/bot-link`` request: the listed channel ``name`` (its
        own URL), else the request's; a 404 when there is none."""
        channels = self.require_messaging().channels
        return channels.use(name) if name is not None else channels.current()

    def require_works_sign_in(self) -> WorksSignInFlow:
        """The LINE WORKS sign-in flow."""
        sign_in = self.require_works().sign_in
        if sign_in is None:
            raise NotConfigured("LINE WORKS sign-in is not configured.")
        return sign_in


def shared_cache_of(app: Flask) -> SharedCache:
    """The fleet's cache ``LINE_SHARED_CACHE`` names: by default the app's Flask-Session Redis, if it has one.

    :raises ~flask_line.errors.ConfigurationError: the setting is neither False, a ``redis.Redis`` nor a cachelib
        cache.
    """
    setting = app.config.get("LINE_SHARED_CACHE")
    if setting is False:
        return NOT_SHARED
    if setting is None or setting is True:
        redis_of_sessions = app.config.get("SESSION_REDIS") if app.config.get("SESSION_TYPE") == "redis" else None
        if redis_of_sessions is None:
            if setting is True:
                raise ConfigurationError("LINE_SHARED_CACHE", "is True, but the app keeps no sessions in Redis")
            return NOT_SHARED
        setting = redis_of_sessions
    namespace = hashlib.sha256(f"{app.import_name}\0{app.config['SECRET_KEY']}".encode()).hexdigest()[:16]
    if type(setting).__module__.split(".")[0] == "redis":
        return SharedCache(RedisBackend(setting), namespace)
    if type(setting).__module__.split(".")[0] == "cachelib":
        return SharedCache(CachelibBackend(setting), namespace)
    raise ConfigurationError(
        "LINE_SHARED_CACHE", f"must be a redis.Redis, a cachelib cache or False, not {type(setting).__name__}"
    )


def emulator_answers(emulator_url: str) -> bool:
    """Whether something listens at ``LINE_EMULATOR_URL`` (a quick local connect)."""
    parts = urlsplit(emulator_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=0.25):
            return True
    except OSError:
        return False


class EmulatorWatch:
    """Whether ``LINE_EMULATOR_URL`` answers, asked at requests until it has answered once (then never again).

    A page request while it is down logs the command that starts it, once; a sign-in about to send the browser
    there is refused with that command instead (the browser would show "connection refused", the app log nothing).
    Asked at requests, not at ``init_app``, so a CLI command (``flask line emulator`` itself) does not print it.
    """

    def __init__(self) -> None:
        self._answered: set[str] = set()
        self._warned: set[str] = set()

    def answered(self, emulator_url: str) -> bool:
        """Whether the emulator at ``emulator_url`` has answered once (then it is not asked again)."""
        return emulator_url in self._answered

    def check(self, emulator_url: str, command: Callable[[], str], *, sends_the_browser: bool) -> None:
        """Log (once) or, for a sign-in, raise :class:`~flask_line.errors.EmulatorNotAnswering` when it is down."""
        if emulator_url in self._answered or (emulator_url in self._warned and not sends_the_browser):
            return
        if emulator_answers(emulator_url):
            self._answered.add(emulator_url)
            return
        self._warned.add(emulator_url)
        hint = command()
        log.warning("The LINE emulator at %s is not answering: start it with %s.", emulator_url, hint)
        if sends_the_browser:
            raise EmulatorNotAnswering(emulator_url, hint)


def runtime(app: Flask | None = None) -> Runtime:
    """The runtime of ``app`` (default: the current app); a clear error when ``init_app`` was never called."""
    target = app or current_app
    try:
        return target.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("flask-line is not initialised on this app: call LineOAuth(app) or init_app(app).") from None


@dataclass(eq=False)  # what one extension object holds, not a value
class AppHooks:
    """What the app gave the extension object: stores, and functions it registered (asked for at each use)."""

    attachments: AttachmentStore | None = None
    links: AccountLinkStore | None = None
    access_rule: Callable[[], AccessRule | None] = lambda: None
    link_user: Callable[[], LinkUserHook | None] = lambda: None
    link_user_undo: Callable[[], LinkUndoHook | None] = lambda: None
    channel_loader: Callable[[], ChannelLoader | None] = lambda: None
    works_company_loader: Callable[[], CompanyLoader | None] = lambda: None
    messaging_channel_loader: Callable[[], MessagingChannelLoader | None] = lambda: None


class Stores:
    """Where attachments and account links live: the app's stores, ``LINE_DATABASE_URI``, or the SQLite file.

    A store the app did not give is built on first use (SQLAlchemy and its connection only when needed).
    """

    def __init__(self, app: Flask, settings: Settings, hooks: AppHooks) -> None:
        self.hooks = hooks
        uri = settings.common.database_uri
        #: ``LINE_DATABASE_URI`` when it names a database other than an SQLite file.
        self.sqlalchemy_uri = uri if uri is not None and not uri.startswith("sqlite:///") else None
        self.sqlite_file = _sqlite_path(uri) or os.path.join(app.instance_path, DEFAULT_STORE_FILE)
        #: ``LINE_MODULE_STORE_URI``: an SQLite file for attachments alone (unset when the app has no module keys).
        module_store = settings.module.store_uri if MODULE_CHANNELS.name in settings.given else None
        self.attachments_file = _sqlite_path(module_store)
        self._sqlalchemy = OnFirstUse(self._build_sqlalchemy)
        #: The app's Flask-SQLAlchemy storage, when the app runs Flask-SQLAlchemy and set no other database (or
        #: named the app's own, as the test fixtures do).
        joins_app_database = uri is None or uri == app.config.get("SQLALCHEMY_DATABASE_URI")
        self.flask_sqlalchemy = _flask_sqlalchemy_storage(app) if joins_app_database else None

    def _build_sqlalchemy(self) -> SQLAlchemyStorage:
        from ._store.sql import SQLAlchemyStorage

        return SQLAlchemyStorage(str(self.sqlalchemy_uri))

    def databases(self) -> list[ManagedDatabase]:
        """The SQLAlchemy databases the stores use (``flask line db``); an SQLite file store upgrades itself."""
        found: list[ManagedDatabase] = []
        for store in (self.hooks.attachments, self.hooks.links):
            if isinstance(store, DatabaseBacked):
                found.append(store.database)
        uses_own_attachments = self.hooks.attachments is None and self.attachments_file is None
        if self.flask_sqlalchemy is not None and (self.hooks.links is None or uses_own_attachments):
            found.append(self.flask_sqlalchemy.database)
        elif self.sqlalchemy_uri is not None and (self.hooks.links is None or uses_own_attachments):
            found.append(self._sqlalchemy.get().database)
        unique: list[ManagedDatabase] = []
        for database in found:
            if all(database is not known for known in unique):
                unique.append(database)
        return unique

    def attachments(self) -> AttachmentStore:
        """The module attachment store."""
        if self.hooks.attachments is not None:
            return self.hooks.attachments
        if self.attachments_file is None and self.flask_sqlalchemy is not None:
            return cast("AttachmentStore", self.flask_sqlalchemy.attachments)
        if self.attachments_file is None and self.sqlalchemy_uri is not None:
            return LazyAttachments(lambda: self._sqlalchemy.get().attachments)
        return _sqlite_attachments(self.attachments_file or self.sqlite_file)

    def links(self) -> AccountLinkStore:
        """The account-link store."""
        if self.hooks.links is not None:
            return self.hooks.links
        if self.flask_sqlalchemy is not None:
            return cast(AccountLinkStore, self.flask_sqlalchemy.links)
        if self.sqlalchemy_uri is not None:
            return LazyLinks(lambda: self._sqlalchemy.get().links)
        return LazyLinks(lambda: _sqlite_links(self.sqlite_file))


def _sqlite_attachments(path: str) -> AttachmentStore:
    """The SQLite attachment store at ``path``."""
    from ._store.sqlite import SQLiteAttachmentStore  # on demand: only an app storing in SQLite loads sqlite3

    return SQLiteAttachmentStore(path)


def _sqlite_links(path: str) -> AccountLinkStore:
    """The SQLite account-link store at ``path``."""
    from ._store.sqlite import SQLiteAccountLinks  # on demand: only an app storing in SQLite loads sqlite3

    return SQLiteAccountLinks(path)


def _flask_sqlalchemy_storage(app: Flask) -> Any:
    """Flask-SQLAlchemy's ``db`` of ``app`` as flask-line's storage: the tables join ``db.metadata`` (Flask-Migrate
    and ``db.create_all()`` see them) and a first sign-in's user and link share ``db.session``.

    A database server restarts under a pool of connections: unless they are checked before use, a warning says so
    (an SQLite file has no server to restart, so none is said for it)."""
    db = app.extensions.get("sqlalchemy")
    if db is None or not hasattr(db, "metadata") or not hasattr(db, "session"):
        return None
    from ._store.sql import SQLAlchemyStorage

    log.info("flask-line keeps attachments and account links in the app's Flask-SQLAlchemy database")
    on_a_server = not str(app.config.get("SQLALCHEMY_DATABASE_URI") or "sqlite:").startswith("sqlite:")
    if on_a_server and not (app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}).get("pool_pre_ping"):
        log.warning(
            "Flask-SQLAlchemy's pooled connections are not checked before use: after a database restart each "
            'worker\'s first request fails. Set SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}.'
        )
    return SQLAlchemyStorage.for_flask_sqlalchemy(db)


def _sqlite_path(uri: str | None) -> str | None:
    return uri.removeprefix("sqlite:///") if uri is not None and uri.startswith("sqlite:///") else None


#: The embedded store's file (attachments, account links) in the app's instance folder.
DEFAULT_STORE_FILE = "flask_line.sqlite3"


class OnDemand(Generic[ProductT]):
    """A product a site may leave out: built at ``init_app`` when the settings configure it (``now``), else when it
    is first asked for while ``wanted()`` (a loader registered after ``init_app``) or first named (``get``).

    A site that never uses it never builds it, nor imports its code.
    """

    def __init__(self, build: Callable[[], ProductT], wanted: Callable[[], bool], *, now: bool) -> None:
        self._product = OnFirstUse(build)
        self._wanted = wanted
        if now:
            self._product.get()

    def get(self) -> ProductT:
        """The product, built now if it was not (thread-safely, once)."""
        return self._product.get()

    def in_use(self) -> ProductT | None:
        """The product if the app uses it (configured, or its loader registered); None otherwise."""
        if not self._product.built and not self._wanted():
            return None
        return self._product.get()


class OptionalProducts:
    """Builds the products a site may leave out: module channels, LINE WORKS and the Messaging API.

    Each product's code is imported here and only here, when the app uses the product: a LINE Login site never
    loads it (``import flask_line`` and ``LineOAuth(app)`` stay as cheap as the site's own needs).
    """

    def __init__(
        self,
        parts: SharedParts,
        settings: Settings,
        hooks: AppHooks,
        stores: Stores,
        channels: LoginChannels,
        current_login: Callable[[], LoginService | None],
    ) -> None:
        self.parts = parts
        self.settings = settings
        self.hooks = hooks
        self.stores = stores
        self.channels = channels
        self.current_login = current_login

    def module(self) -> ModuleService:
        """The module service; its admins are whoever is signed in with LINE Login at the request's channel."""
        from ._module.assembly import module_service  # on demand: only a site with a module channel loads its code

        current_login = self.current_login

        def current_user() -> LineUser | AnonymousUser:
            login = current_login()
            return login.identity.current_user() if login is not None else AnonymousUser()

        def signed_in_user_id() -> str | None:
            user = current_user()
            return user.user_id if isinstance(user, LineUser) else None

        store = CheckedAttachments(self.stores.attachments())
        return module_service(
            self.parts, self.settings.module, store, current_user, signed_in_user_id, self.hooks.access_rule
        )

    def works(self) -> WorksCompanies:
        """Every LINE WORKS company of the app, and the company of each request."""
        from ._works.assembly import works_companies  # on demand: only a site with LINE WORKS loads its code

        return works_companies(self.parts, self.settings.works, self.hooks.works_company_loader)

    def messaging(self) -> Messaging:
        """The app's Messaging API channels, as it sends through them."""
        from ._messaging.assembly import messaging  # on demand: only a site with a Messaging API channel loads it

        login = self.settings.login
        return messaging(
            self.parts,
            self.settings.messaging,
            login_provider=login.provider if login.enabled else None,
            links=self.parts.accounts.links,
            provider_of=self.channels.provider_of,
            nonce_file=self.stores.sqlite_file,
            loader=self.hooks.messaging_channel_loader,
        )
