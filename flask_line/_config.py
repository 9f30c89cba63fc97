"""The ``LINE_`` settings table, the typed reader ``init_app`` validates with, and emulator URL rewriting.

Settings are read from ``app.config``; a key the app does not set takes the default below. Endpoint URLs default
to LINE's real ones; ``LINE_EMULATOR_URL`` points every URL the app has not set itself at a local emulator.
Each product validates its own settings beside its code (``_login/settings.py``, ``_module/settings.py``,
``_works/settings.py``); LINE's rules for values live there, not here.
"""

from __future__ import annotations

import difflib
import importlib.util
import logging
import math
import warnings
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError

log = logging.getLogger("flask_line")

#: Endpoint URLs and their real defaults (LINE's docs; see ``shared/spec``).
ENDPOINT_DEFAULTS: dict[str, str] = {
    # LINE Login v2.1 (developers.line.biz/en/reference/line-login/)
    "LINE_LOGIN_AUTHORIZE_URL": "https://access.line.me/oauth2/v2.1/authorize",
    "LINE_LOGIN_TOKEN_URL": "https://api.line.me/oauth2/v2.1/token",
    "LINE_LOGIN_VERIFY_URL": "https://api.line.me/oauth2/v2.1/verify",
    "LINE_LOGIN_REVOKE_URL": "https://api.line.me/oauth2/v2.1/revoke",
    "LINE_LOGIN_JWKS_URL": "https://api.line.me/oauth2/v2.1/certs",
    "LINE_LOGIN_ISSUER": "https://access.line.me",
    "LINE_PROFILE_URL": "https://api.line.me/v2/profile",
    "LINE_FRIENDSHIP_URL": "https://api.line.me/friendship/v1/status",
    # LINE Login v2.0 (developers.line.biz/en/reference/line-login-v2/)
    "LINE_LOGIN_V20_AUTHORIZE_URL": "https://access.line.me/dialog/oauth/weblogin",
    "LINE_LOGIN_V20_TOKEN_URL": "https://api.line.me/v2/oauth/accessToken",
    "LINE_LOGIN_V20_VERIFY_URL": "https://api.line.me/v2/oauth/verify",
    "LINE_LOGIN_V20_REVOKE_URL": "https://api.line.me/v2/oauth/revoke",
    # Module channels (developers.line.biz/en/docs/partner-docs/module-technical-attach-channel/)
    "LINE_MODULE_AUTHORIZE_URL": "https://manager.line.biz/module/auth/v1/authorize",
    "LINE_MODULE_TOKEN_URL": "https://manager.line.biz/module/auth/v1/token",
    # Stateless channel access tokens: unlimited issuance, so workers and restarts never revoke each other's
    # tokens (short-lived ones are capped at 30 per channel, the oldest revoked).
    "LINE_MODULE_CHANNEL_TOKEN_URL": "https://api.line.me/oauth2/v3/token",
    "LINE_MODULE_DETACH_URL": "https://api.line.me/v2/bot/channel/detach",
    "LINE_MESSAGING_API_URL": "https://api.line.me",
    # Message content, rich menu images: the only other host a module's channel token may go to.
    "LINE_MESSAGING_API_DATA_URL": "https://api-data.line.me",
    # LINE WORKS API 2.0 (developers.worksmobile.com/en/docs/auth-oauth and /auth-oidc). The authorize and token
    # URLs are in LINE WORKS' docs. The issuer and key set come from the discovery document at
    # https://auth.worksmobile.com/.well-known/openid-configuration, whose literal values the public docs do not
    # print: these are the documented host and its v2.0 "certs" path; override them if your tenant differs.
    "LINE_WORKS_AUTHORIZE_URL": "https://auth.worksmobile.com/oauth2/v2.0/authorize",
    "LINE_WORKS_TOKEN_URL": "https://auth.worksmobile.com/oauth2/v2.0/token",
    "LINE_WORKS_DISCOVERY_URL": "https://auth.worksmobile.com/.well-known/openid-configuration",
    "LINE_WORKS_API_URL": "https://www.worksapis.com/v1.0",
}

#: Every other setting and its default.
DEFAULTS: dict[str, Any] = {
    "LINE_URL_PREFIX": "/line",
    "LINE_STRICT_CONFIG": False,
    "LINE_EMULATOR_URL": None,
    "LINE_HTTP_TIMEOUT": 10,
    "LINE_FLOW_TTL": 600,
    "LINE_SESSION_SETUP": True,
    "LINE_ID_TOKEN_LEEWAY": 30,
    "LINE_JWKS_CACHE_TTL": 3600,
    "LINE_JWKS_MIN_REFETCH_INTERVAL": 10,
    # Where attachments and account links live (None: SQLite in the instance folder).
    "LINE_DATABASE_URI": None,
    # Flask-Login bridge: login_user(..., remember=LINE_REMEMBER_USER) after a LINE sign-in.
    "LINE_REMEMBER_USER": False,
    "LINE_LOGIN_VERSION": "2.1",
    "LINE_LOGIN_CHANNEL_ID": None,
    "LINE_LOGIN_CHANNEL_SECRET": None,
    "LINE_LOGIN_SCOPES": "profile openid",
    "LINE_LOGIN_PKCE": True,
    "LINE_LOGIN_RESPONSE_MODE": "query",
    "LINE_LOGIN_BOT_PROMPT": None,
    "LINE_LOGIN_PROMPT": None,
    "LINE_LOGIN_UI_LOCALES": None,
    "LINE_LOGIN_MAX_AGE": None,
    "LINE_LOGIN_CALLBACK_URL": None,
    "LINE_LOGIN_DEFAULT_NEXT": "/",
    "LINE_LOGOUT_REDIRECT": "/",
    "LINE_LOGIN_ID_TOKEN_ALGORITHMS": ["HS256", "ES256"],
    # Credentials sent by LIFF apps and native clients (@line_token_required, POST /line/session).
    "LINE_TOKEN_CHANNEL_IDS": [],
    "LINE_TOKEN_CACHE_TTL": 300,
    "LINE_TOKEN_CACHE_SIZE": 10_000,
    "LINE_MODULE_CHANNEL_ID": None,
    "LINE_MODULE_CHANNEL_SECRET": None,
    "LINE_MODULE_SCOPES": "message:send message:receive",
    "LINE_MODULE_REGION": None,
    "LINE_MODULE_BASIC_SEARCH_ID": None,
    "LINE_MODULE_BRAND_TYPE": None,
    "LINE_MODULE_PKCE": True,
    "LINE_MODULE_CALLBACK_URL": None,
    "LINE_MODULE_DEFAULT_NEXT": "/",
    "LINE_MODULE_STORE_URI": None,
    "LINE_MODULE_BOT_ID_HEADER": "X-Line-Bot-Id",
    "LINE_WORKS_CLIENT_ID": None,
    "LINE_WORKS_CLIENT_SECRET": None,
    "LINE_WORKS_SCOPES": "openid",
    "LINE_WORKS_DOMAIN": None,
    "LINE_WORKS_PKCE": True,
    "LINE_WORKS_CALLBACK_URL": None,
    "LINE_WORKS_DEFAULT_NEXT": "/",
    "LINE_WORKS_SERVICE_ACCOUNT": None,
    "LINE_WORKS_PRIVATE_KEY": None,
    "LINE_WORKS_PRIVATE_KEY_PATH": None,
    "LINE_WORKS_SERVICE_SCOPES": "bot",
    # Overrides of what the discovery document says (None: ask the document).
    "LINE_WORKS_ISSUER": None,
    "LINE_WORKS_JWKS_URL": None,
    **ENDPOINT_DEFAULTS,
}


#: Endpoints the emulator serves at another path than LINE: LINE Login's and LINE WORKS' discovery documents
#: share a path on two different hosts, and the emulator is one host.
EMULATOR_PATHS = {"LINE_WORKS_DISCOVERY_URL": "/works/.well-known/openid-configuration"}


class ValueReader:
    """Reads typed values from a mapping; each failure is an ``error`` naming its key.

    ``init_app`` reads ``app.config`` through :class:`ConfigReader`; flows read per-request options (query
    strings) through a plain ``ValueReader`` whose error is :class:`~flask_line.errors.BadRequestOption`.
    """

    def __init__(self, values: Mapping[str, Any], error: type[ConfigurationError] = ConfigurationError) -> None:
        self._values = values
        self._error = error

    def raw(self, key: str) -> Any:
        """The value given for ``key``, or None."""
        return self._values.get(key)

    def fail(self, key: str, message: str) -> ConfigurationError:
        """An error naming ``key``, of the reader's error class."""
        return self._error(key, message)

    def optional_string(self, key: str) -> str | None:
        """A string, or None when unset or empty."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {type(value).__name__}")
        return value

    def string(self, key: str) -> str:
        """A string that must be set."""
        value = self.optional_string(key)
        if value is None:
            raise self.fail(key, "is required")
        return value

    def optional_url(self, key: str) -> str | None:
        """An absolute http(s) URL, or None."""
        value = self.optional_string(key)
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise self.fail(key, f"must be an absolute http(s) URL, got {value!r}")
        return value

    def url(self, key: str) -> str:
        """An absolute http(s) URL that must be set."""
        value = self.optional_url(key)
        if value is None:
            raise self.fail(key, "is required")
        return value

    def boolean(self, key: str) -> bool:
        """True or False (also the strings true/false/1/0, as environment variables give them)."""
        value = self.raw(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise self.fail(key, f"must be True or False, got {value!r}")

    def positive_number(self, key: str) -> float:
        """A finite number above zero."""
        value = self.raw(key)
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise self.fail(key, f"must be a number, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(key, f"must be a number, got {value!r}")
        if value <= 0:
            raise self.fail(key, f"must be positive, got {value!r}")
        return float(value)

    def optional_int(self, key: str, minimum: int = 0) -> int | None:
        """A whole number >= ``minimum``, or None."""
        value = self.raw(key)
        if value is None or value == "":
            return None
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise self.fail(key, f"must be a whole number, got {value!r}") from None
        if isinstance(value, bool) or number < minimum or (isinstance(value, float) and value != number):
            raise self.fail(key, f"must be a whole number >= {minimum}, got {value!r}")
        return number

    def choice(self, key: str, choices: Collection[str], optional: bool = True) -> str | None:
        """One of ``choices`` (None when unset and ``optional``)."""
        value = self.optional_string(key)
        if value is None and optional:
            return None
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def words(self, key: str, allowed: Collection[str] | None = None) -> tuple[str, ...]:
        """A list, or a space-separated string, of distinct words (scopes, algorithms), in the given order."""
        value = self.raw(key)
        if value is None:
            items: Iterable[object] = ()
        elif isinstance(value, str):
            items = value.replace(",", " ").split()
        elif isinstance(value, list | tuple | set | frozenset):
            items = value
        else:
            raise self.fail(key, f"must be a list or a space-separated string, got {type(value).__name__}")
        words: list[str] = []
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise self.fail(key, f"has an entry that is not a word: {item!r}")
            if allowed is not None and item not in allowed:
                raise self.fail(key, f"unknown value {item!r}; known: {', '.join(sorted(allowed))}")
            if item not in words:
                words.append(item)
        return tuple(words)


class ConfigReader(ValueReader):
    """Reads ``app.config``: unset keys take their default, and endpoint URLs follow ``LINE_EMULATOR_URL``."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__(config)
        self._emulator = self.optional_url("LINE_EMULATOR_URL")

    def raw(self, key: str) -> Any:
        """The app's value for ``key``, or the default."""
        if key in self._values:
            return self._values[key]
        if key in ENDPOINT_DEFAULTS and self._emulator:
            if key in EMULATOR_PATHS:
                return self._emulator.rstrip("/") + EMULATOR_PATHS[key]
            return emulated_url(ENDPOINT_DEFAULTS[key], self._emulator)
        return DEFAULTS.get(key)

    def is_set(self, key: str) -> bool:
        """Whether the app set ``key`` itself."""
        return key in self._values

    def identifier(self, key: str) -> str | None:
        """A channel or client id: a string, or a whole number (``from_prefixed_env`` turns digits into ints)."""
        value = self.raw(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return str(value)
        return self.optional_string(key)

    def credentials(self, id_key: str, secret_key: str) -> tuple[str, str]:
        """A client id and secret that are set together or not at all (then both are empty: the flow is off)."""
        client_id = self.identifier(id_key)
        secret = self.optional_string(secret_key)
        if secret is not None and not secret.strip():
            raise self.fail(secret_key, "is only whitespace")
        if secret and not client_id:
            raise self.fail(id_key, f"is required when {secret_key} is set")
        if client_id and not secret:
            raise self.fail(secret_key, f"is required when {id_key} is set")
        return client_id or "", secret or ""


def check_unknown_keys(config: Mapping[str, Any], read: ConfigReader) -> None:
    """Warn about ``LINE_`` keys nobody reads (a typo passes silently otherwise); an error when strict."""
    known = set(DEFAULTS)
    for key in config:
        if not isinstance(key, str) or not key.startswith("LINE_") or key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]}?" if close else ""
        if read.boolean("LINE_STRICT_CONFIG"):
            raise ConfigurationError(key, f"is not a flask-line setting{hint}")
        message = f"{key} is not a flask-line setting{hint}"
        warnings.warn(message, UserWarning, stacklevel=4)
        log.warning(message)


def emulated_url(real_url: str, emulator: str) -> str:
    """``real_url`` with LINE's host replaced by the emulator's base URL (path and query kept)."""
    parts = urlsplit(real_url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return emulator.rstrip("/") + rest


@dataclass(frozen=True)
class CommonSettings:
    """The settings every product shares."""

    url_prefix: str
    http_timeout: float
    flow_ttl: int
    session_setup: bool
    id_token_leeway: int
    jwks_cache_ttl: int
    jwks_min_refetch_interval: float
    #: ``LINE_EMULATOR_URL``: a local emulator stands in for LINE (None: the real LINE).
    emulator_url: str | None
    #: ``LINE_DATABASE_URI``: an SQLAlchemy URL for attachments and account links (None: the embedded SQLite).
    database_uri: str | None = field(repr=False)  # it may carry the database password
    #: ``LINE_REMEMBER_USER``: the Flask-Login bridge signs users in with a remember-me cookie.
    remember_user: bool


def load_common(read: ConfigReader) -> CommonSettings:
    """The shared settings."""
    prefix = read.string("LINE_URL_PREFIX")
    if not prefix.startswith("/"):
        raise read.fail("LINE_URL_PREFIX", "must start with '/'")
    return CommonSettings(
        url_prefix=prefix.rstrip("/"),
        http_timeout=read.positive_number("LINE_HTTP_TIMEOUT"),
        flow_ttl=int(read.positive_number("LINE_FLOW_TTL")),
        session_setup=read.boolean("LINE_SESSION_SETUP"),
        id_token_leeway=read.optional_int("LINE_ID_TOKEN_LEEWAY") or 0,
        jwks_cache_ttl=int(read.positive_number("LINE_JWKS_CACHE_TTL")),
        jwks_min_refetch_interval=read.positive_number("LINE_JWKS_MIN_REFETCH_INTERVAL"),
        emulator_url=read.optional_url("LINE_EMULATOR_URL"),
        database_uri=_database_uri(read),
        remember_user=read.boolean("LINE_REMEMBER_USER"),
    )


def _database_uri(read: ConfigReader) -> str | None:
    uri = read.optional_string("LINE_DATABASE_URI")
    if uri is None or uri.startswith("sqlite:///"):
        return uri
    if "://" not in uri:
        raise read.fail("LINE_DATABASE_URI", "must be a database URL such as postgresql+psycopg://user@host/db")
    if importlib.util.find_spec("sqlalchemy") is None:
        raise read.fail("LINE_DATABASE_URI", "needs SQLAlchemy: pip install 'flask-line[sqlalchemy]'")
    return uri
