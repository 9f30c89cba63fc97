"""What flask-line keeps per app (its :class:`Runtime`): settings, the HTTP client and the enabled flows."""

from __future__ import annotations

import logging
import os
import socket
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Flask, current_app

from . import _login
from ._config import CommonSettings, ConfigReader, load_common
from ._flow.accounts import AccountLinking, LinkUserHook
from ._flow.anonymous import AnonymousUser
from ._flow.pending import PendingAuthorizations
from ._login.flow import LoginFlow
from ._login.settings import LoginSettings
from ._login.user import LineUser
from ._module.flow import AttachFlow
from ._module.selection import SESSION_KEY as SELECTION_KEY
from ._module.selection import AttachmentSelection
from ._module.service import AccessRule, ModuleService
from ._module.settings import ModuleSettings
from ._module.settings import load_settings as load_module_settings
from ._store.attachments import AttachmentStore, SQLiteAttachmentStore
from ._store.lazy import LazyStore
from ._store.links import AccountLinkStore, SQLiteAccountLinks
from ._wire.discovery import DiscoveryDocument
from ._wire.http import LineHttp
from ._wire.idtoken import IdTokenVerifier
from ._wire.jwks import JwksCache
from ._works.flow import WorksSignInFlow
from ._works.service import WorksService
from ._works.settings import WorksSettings
from ._works.settings import load_settings as load_works_settings
from .errors import NotConfigured

log = logging.getLogger("flask_line")

#: Key of the runtime in ``app.extensions`` (``app.extensions["line"]`` is the :class:`~flask_line.LineOAuth`).
EXTENSION_KEY = "line.runtime"


@dataclass(frozen=True)
class Settings:
    """All validated settings of one app."""

    common: CommonSettings
    login: LoginSettings
    module: ModuleSettings
    works: WorksSettings


def load_settings(config: ConfigReader) -> Settings:
    """Read and validate every ``LINE_`` setting; raise ``ConfigurationError`` naming the first bad key."""
    return Settings(
        common=load_common(config),
        login=_login.load_settings(config),
        module=load_module_settings(config),
        works=load_works_settings(config),
    )


@dataclass
class Runtime:
    """The per-app objects ``init_app`` builds (one extension object may serve several apps)."""

    settings: Settings
    http: LineHttp
    pending: PendingAuthorizations
    login: LoginFlow | None
    module: ModuleService | None
    works: WorksService | None

    accounts: AccountLinking

    @classmethod
    def build(cls, app: Flask, settings: Settings, hooks: AppHooks) -> Runtime:
        """Build the flows ``settings`` enable, with the stores and hooks the app gave."""
        common = settings.common
        http = LineHttp(common.http_timeout, emulator_url=common.emulator_url)
        if common.emulator_url:
            warn_if_not_answering(common.emulator_url)
        pending = PendingAuthorizations(common.flow_ttl)
        stores = Stores(app, settings, hooks)
        accounts = AccountLinking(stores.links(), hooks.link_user, remember=common.remember_user)
        login = _build_login(settings, http, pending) if settings.login.enabled else None
        module = None
        if settings.module.enabled:
            module = _build_module(settings.module, http, pending, stores.attachments(), login, hooks.access_rule)
        works = _build_works(settings, http, pending) if settings.works.enabled else None
        for flow in (login, works.sign_in if works else None):
            if flow is not None:
                flow.accounts = accounts
        return cls(settings, http, pending, login, module, works, accounts)

    def require_login(self) -> LoginFlow:
        """The LINE Login flow; a 404 when the app has not configured a LINE Login channel."""
        if self.login is None:
            raise NotConfigured(
                "LINE Login is not configured (set LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET)."
            )
        return self.login

    def require_module(self) -> ModuleService:
        """The module service; a 404 when the app has not configured a module channel."""
        if self.module is None:
            raise NotConfigured(
                "Module attach is not configured (set LINE_MODULE_CHANNEL_ID and LINE_MODULE_CHANNEL_SECRET)."
            )
        return self.module

    def require_works(self) -> WorksService:
        """The LINE WORKS service; a 404 when the app has not configured LINE WORKS."""
        if self.works is None:
            raise NotConfigured("LINE WORKS is not configured (set LINE_WORKS_CLIENT_ID and LINE_WORKS_CLIENT_SECRET).")
        return self.works

    def require_works_sign_in(self) -> WorksSignInFlow:
        """The LINE WORKS sign-in flow."""
        sign_in = self.require_works().sign_in
        if sign_in is None:
            raise NotConfigured("LINE WORKS sign-in is not configured.")
        return sign_in


def warn_if_not_answering(emulator_url: str) -> None:
    """Log once, at start-up, when nothing listens at ``LINE_EMULATOR_URL`` (a quick local connect)."""
    parts = urlsplit(emulator_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=0.25):
            return
    except OSError:
        log.warning(
            "The LINE emulator at %s is not answering: start it with `line-emulator` (or `flask line emulator`).",
            emulator_url,
        )


def runtime(app: Flask | None = None) -> Runtime:
    """The runtime of ``app`` (default: the current app); a clear error when ``init_app`` was never called."""
    target = app or current_app
    try:
        return target.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("flask-line is not initialised on this app: call LineOAuth(app) or init_app(app).") from None


def _build_login(settings: Settings, http: LineHttp, pending: PendingAuthorizations) -> LoginFlow:
    login = settings.login
    flow_class = _login.FLOWS[login.version]
    if flow_class.deprecation:
        warnings.warn(flow_class.deprecation, DeprecationWarning, stacklevel=4)
        log.warning(flow_class.deprecation)
    common = settings.common
    verifier = None
    if flow_class.has_id_tokens:
        verifier = IdTokenVerifier(
            issuer=login.endpoints.issuer,
            client_id=login.channel_id,
            algorithms=login.id_token_algorithms,
            leeway=common.id_token_leeway,
            client_secret=login.channel_secret,
            jwks=JwksCache(http, login.endpoints.jwks, common.jwks_cache_ttl, common.jwks_min_refetch_interval),
        )
    return flow_class(login, pending, http, verifier)


@dataclass
class AppHooks:
    """What the app gave the extension object: stores, and functions it registered (asked for at each use)."""

    attachments: AttachmentStore | None = None
    links: AccountLinkStore | None = None
    access_rule: Callable[[], AccessRule | None] = lambda: None
    link_user: Callable[[], LinkUserHook | None] = lambda: None


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
        #: ``LINE_MODULE_STORE_URI``: an SQLite file for attachments alone.
        self.attachments_file = _sqlite_path(settings.module.store_uri)
        self._sqlalchemy = LazyStore(self._build_sqlalchemy)

    def _build_sqlalchemy(self) -> Any:
        from ._store.sql import SQLAlchemyStorage

        return SQLAlchemyStorage(str(self.sqlalchemy_uri))

    def attachments(self) -> AttachmentStore:
        """The module attachment store."""
        if self.hooks.attachments is not None:
            return self.hooks.attachments
        if self.attachments_file is None and self.sqlalchemy_uri is not None:
            return cast(AttachmentStore, LazyStore(lambda: self._sqlalchemy.attachments))
        return SQLiteAttachmentStore(self.attachments_file or self.sqlite_file)

    def links(self) -> AccountLinkStore:
        """The account-link store."""
        if self.hooks.links is not None:
            return self.hooks.links
        if self.sqlalchemy_uri is not None:
            return cast(AccountLinkStore, LazyStore(lambda: self._sqlalchemy.links))
        return cast(AccountLinkStore, LazyStore(lambda: SQLiteAccountLinks(self.sqlite_file)))


def _sqlite_path(uri: str | None) -> str | None:
    return uri.removeprefix("sqlite:///") if uri is not None and uri.startswith("sqlite:///") else None


#: The embedded store's file (attachments, account links) in the app's instance folder.
DEFAULT_STORE_FILE = "flask_line.sqlite3"


def _build_module(
    settings: ModuleSettings,
    http: LineHttp,
    pending: PendingAuthorizations,
    store: AttachmentStore,
    login: LoginFlow | None,
    access_rule: Callable[[], AccessRule | None],
) -> ModuleService:
    def current_user() -> LineUser | AnonymousUser:
        return login.current_user() if login is not None else AnonymousUser()

    def signed_in_user_id() -> str | None:
        user = current_user()
        return user.user_id if isinstance(user, LineUser) else None

    selection = AttachmentSelection(store)
    if login is not None:
        # The selected Official Account belongs to the LINE Login identity: it goes when that person does.
        login.linked_session_keys.append(SELECTION_KEY)
        login.linked_pending_kinds.add(AttachFlow.kind)
    flow = AttachFlow(settings, pending, http, store, selection, signed_in_user_id)
    return ModuleService(settings, http, store, flow, current_user, access_rule)


def _build_works(settings: Settings, http: LineHttp, pending: PendingAuthorizations) -> WorksService:
    works, common = settings.works, settings.common
    discovery = DiscoveryDocument(http, works.discovery_url)
    verifier = IdTokenVerifier(
        issuer=works.issuer or discovery.issuer,
        client_id=works.client_id,
        algorithms=("RS256",),
        leeway=common.id_token_leeway,
        jwks=JwksCache(
            http, works.jwks_url or discovery.jwks_uri, common.jwks_cache_ttl, common.jwks_min_refetch_interval
        ),
    )
    return WorksService(works, http, WorksSignInFlow(works, pending, http, verifier))
