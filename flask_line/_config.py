"""How a ``LINE_`` setting is declared, the typed reader ``init_app`` validates with, and emulator URL rewriting.

Each product declares its settings once, beside its code (``_login/settings.py``, ``_module/settings.py``,
``_works/settings.py``; the shared ones below): key, default, kind and documentation. A key the app does not set
takes its declared default. Endpoint URLs default to LINE's real ones; ``LINE_EMULATOR_URL`` points every URL
the app has not set itself at a local emulator. LINE's rules for values live beside each product too.
"""

from __future__ import annotations

import difflib
import importlib.util
import math
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError


class Setting:
    """One ``LINE_`` setting, declared once beside the product that reads it.

    The reader takes its default from here, ``init_app`` knows every key from the tables, and the
    configuration reference in the docs is generated from them (``docs/_ext/line_settings.py``).

    :param kind: what the value is, in words a reader of the reference understands ("seconds", "URL"...).
    :param endpoint: a LINE endpoint: its default is LINE's real URL, and ``LINE_EMULATOR_URL`` moves it.
    :param emulator_path: where the emulator serves this endpoint when the path differs from LINE's.
    :param renamed_from: the key's former name, still read (with a deprecation warning) when the new one is unset.
    """

    # A plain class, not a dataclass: about seventy are built at import, and import time is measured.
    __slots__ = ("default", "doc", "emulator_path", "endpoint", "key", "kind", "renamed_from")

    def __init__(
        self,
        key: str,
        default: Any,
        kind: str,
        doc: str,
        *,
        endpoint: bool = False,
        emulator_path: str | None = None,
        renamed_from: str | None = None,
    ) -> None:
        self.key = key
        self.default = default
        self.kind = kind
        self.doc = doc
        self.endpoint = endpoint
        self.emulator_path = emulator_path
        self.renamed_from = renamed_from

    def __repr__(self) -> str:
        return f"<Setting {self.key}>"


#: The settings every product shares.
COMMON_SETTINGS = (
    Setting("LINE_URL_PREFIX", "/line", "path", "The ``line`` blueprint's URL prefix."),
    Setting(
        "LINE_STRICT_CONFIG",
        False,
        "True/False",
        "An unknown ``LINE_`` key is an error at ``init_app``, not a warning.",
    ),
    Setting(
        "LINE_EMULATOR_URL",
        None,
        "URL",
        "Points every endpoint URL the app has not set itself at a LINE emulator (``flask line emulator``).",
    ),
    Setting(
        "LINE_URL_VALUES",
        [],
        "words",
        "Names of the request values (a path segment such as ``<shop>``, or a query parameter) a ``channel_loader`` "
        "reads: flask-line keeps them on every ``line.*`` URL it builds for a visitor (see Many channels).",
    ),
    Setting("LINE_HTTP_TIMEOUT", 10, "seconds", "How long to wait for LINE on each call."),
    Setting(
        "LINE_FRAME_ANCESTORS",
        "'none'",
        "CSP sources",
        "Who may frame the pages flask-line renders (sign-out, the account chooser, error pages): the "
        "``frame-ancestors`` of their ``Content-Security-Policy``, with ``X-Frame-Options: DENY`` for ``'none'`` "
        "and ``SAMEORIGIN`` for ``'self'``. None: flask-line sends neither (the site sends its own).",
    ),
    Setting(
        "LINE_MAX_BODY_SIZE",
        1024 * 1024,
        "bytes",
        "The largest request body flask-line reads (its forms, ``POST /line/session``, the module webhook, and "
        "the routes behind ``@line_token_required``), with or without ``Content-Length``: a longer one is a 413, "
        "refused after reading one byte past the limit. At least 65536.",
    ),
    Setting(
        "LINE_PENDING_TTL",
        600,
        "seconds",
        "How long a pending authorization (a started sign-in or attach) may take to come back.",
        renamed_from="LINE_FLOW_TTL",
    ),
    Setting(
        "LINE_SESSION_SETUP",
        True,
        "True/False",
        "Set up server-side Flask sessions (an SQLite file in the instance folder) when the app has none.",
    ),
    Setting("LINE_ID_TOKEN_LEEWAY", 30, "seconds", "Clock skew allowed on an ID token's ``exp`` and ``iat``."),
    Setting("LINE_JWKS_CACHE_TTL", 3600, "seconds", "How long LINE's public keys are cached."),
    Setting(
        "LINE_JWKS_MIN_REFETCH_INTERVAL",
        10,
        "seconds",
        "Least time between two refetches of the keys caused by an unknown ``kid``.",
    ),
    Setting(
        "LINE_DATABASE_URI",
        None,
        "SQLAlchemy URL",
        "Where attachments and account links live (unset: ``flask_line.sqlite3`` in the instance folder). Any "
        "other database (``postgresql+psycopg://...``) needs ``flask-line[sqlalchemy]``.",
    ),
    Setting(
        "LINE_REMEMBER_USER", False, "True/False", "The Flask-Login bridge calls ``login_user(user, remember=True)``."
    ),
    Setting(
        "LINE_SHARED_CACHE",
        None,
        "redis.Redis, cachelib cache, or False",
        "Where the workers of a fleet share verified bearer tokens, revocations and service tokens. Unset: the "
        "app's Flask-Session Redis (``SESSION_TYPE = 'redis'``) when it has one; ``False``: each process alone.",
    ),
    # Shared by module channels and the Messaging API: either product reads them, whichever the app uses.
    Setting(
        "LINE_MESSAGING_API_URL",
        "https://api.line.me",
        "URL",
        "Base of the Messaging API: ``module.api()``, and pushes through ``line.messaging``.",
        endpoint=True,
    ),
    Setting(
        "LINE_MESSAGING_API_DATA_URL",
        "https://api-data.line.me",
        "URL",
        "The other host ``module.api()`` may send the token to (message content, rich menu images).",
        endpoint=True,
    ),
)


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
    """Reads ``app.config``: unset keys take their declared default, endpoint URLs follow ``LINE_EMULATOR_URL``.

    :param settings: the declared settings of the products the app uses (their tables).
    :param every_setting: every declared setting, asked for only when a key is not among ``settings`` (a setting
        the app mistyped, or names from a product it does not use): the other products' tables load then.
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        settings: Iterable[Setting],
        every_setting: Callable[[], Iterable[Setting]] | None = None,
    ) -> None:
        super().__init__(config)
        #: The declared settings by key (every one, once a key was not among the app's products').
        self.settings = {setting.key: setting for setting in settings}
        self._every_setting = every_setting
        self._emulator = self.optional_url("LINE_EMULATOR_URL")

    def including(self, settings: Iterable[Setting]) -> ConfigReader:
        """A reader of the same values that knows ``settings`` too (a product's table, imported later)."""
        return ConfigReader(self._values, [*self.settings.values(), *settings], self._every_setting)

    def declaration(self, key: str) -> Setting | None:
        """The declared setting ``key``, looked for in every product's table when not among the app's."""
        if key not in self.settings and self._every_setting is not None:
            self.settings = {setting.key: setting for setting in self._every_setting()}
            self._every_setting = None
        return self.settings.get(key)

    def raw(self, key: str) -> Any:
        """The app's value for ``key``, or the default."""
        if key in self._values:
            return self._values[key]
        setting = self.declaration(key)
        if setting is None:
            raise LookupError(f"{key} is read but not declared: add a Setting beside the product that reads it")
        if setting.renamed_from is not None and setting.renamed_from in self._values:
            return self._values[setting.renamed_from]
        if setting.endpoint and self._emulator:
            if setting.emulator_path is not None:
                return self._emulator.rstrip("/") + setting.emulator_path
            return emulated_url(setting.default, self._emulator)
        return setting.default

    def fail(self, key: str, message: str) -> ConfigurationError:
        """An error naming ``key``; when the app set a close misspelling of it, the error says which."""
        typos = [
            given
            for given in self._values
            if isinstance(given, str)
            and given.startswith("LINE_")
            and self.declaration(given) is None
            and difflib.get_close_matches(given, [key], n=1, cutoff=0.75)
        ]
        if typos:
            message = f"{message} ({typos[0]} is set: did you mean {key}?)"
        return super().fail(key, message)

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

    def table(self, key: str, of: str) -> Mapping[str, Any]:
        """A dict of name to ``of`` settings (``LINE_LOGIN_CHANNELS``...); each entry is checked by its product."""
        value = self.raw(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a dict of name to {of} settings, got {type(value).__name__}")
        return value


def check_unknown_keys(config: Mapping[str, Any], read: ConfigReader) -> None:
    """Warn about ``LINE_`` keys nobody reads (a typo passes silently otherwise); an error when strict.

    A key of the app's products is known at once; any other loads every product's table (to know it, or to name the
    setting it was meant to be).
    """
    for key in config:
        if not isinstance(key, str) or not key.startswith("LINE_") or read.declaration(key) is not None:
            continue
        known = set(read.settings)
        renamed = {setting.renamed_from: name for name, setting in read.settings.items() if setting.renamed_from}
        if key in renamed:
            message = f"{key} is now called {renamed[key]}; the old name still works but will be removed"
            warnings.warn(message, DeprecationWarning, stacklevel=5)
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]}?" if close else ""
        if read.boolean("LINE_STRICT_CONFIG"):
            raise ConfigurationError(key, f"is not a flask-line setting{hint}")
        # One warning, printed once: Python's warnings reach stderr and pytest, so no log line repeats it.
        warnings.warn(f"{key} is not a flask-line setting{hint}", UserWarning, stacklevel=5)


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
    #: ``LINE_PENDING_TTL``: seconds a pending authorization may take.
    pending_ttl: int
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
    #: ``LINE_URL_VALUES``: the request values every ``line.*`` URL built for a visitor keeps.
    url_values: tuple[str, ...] = ()
    #: ``LINE_MAX_BODY_SIZE``: the most bytes of a request body flask-line reads.
    max_body_size: int = 1024 * 1024
    #: ``LINE_FRAME_ANCESTORS``: who may frame flask-line's pages (None: no framing headers from flask-line).
    frame_ancestors: str | None = "'none'"


def load_common(read: ConfigReader) -> CommonSettings:
    """The shared settings."""
    prefix = read.string("LINE_URL_PREFIX")
    if not prefix.startswith("/"):
        raise read.fail("LINE_URL_PREFIX", "must start with '/'")
    return CommonSettings(
        url_prefix=prefix.rstrip("/"),
        http_timeout=read.positive_number("LINE_HTTP_TIMEOUT"),
        pending_ttl=int(read.positive_number("LINE_PENDING_TTL")),
        session_setup=read.boolean("LINE_SESSION_SETUP"),
        id_token_leeway=read.optional_int("LINE_ID_TOKEN_LEEWAY") or 0,
        jwks_cache_ttl=int(read.positive_number("LINE_JWKS_CACHE_TTL")),
        jwks_min_refetch_interval=read.positive_number("LINE_JWKS_MIN_REFETCH_INTERVAL"),
        emulator_url=read.optional_url("LINE_EMULATOR_URL"),
        database_uri=_database_uri(read),
        remember_user=read.boolean("LINE_REMEMBER_USER"),
        url_values=_url_value_names(read),
        max_body_size=_max_body_size(read),
        frame_ancestors=_frame_ancestors(read),
    )


def _frame_ancestors(read: ConfigReader) -> str | None:
    value = read.optional_string("LINE_FRAME_ANCESTORS")
    if value is not None and (not value.strip() or any(char in value for char in ";,\r\n\0")):
        raise read.fail("LINE_FRAME_ANCESTORS", f"must be CSP sources such as \"'none'\" or \"'self'\", got {value!r}")
    return value.strip() if value is not None else None


#: The least ``LINE_MAX_BODY_SIZE``: LINE's webhook deliveries and a form post with an ID token must fit.
MIN_BODY_SIZE = 65_536


def _max_body_size(read: ConfigReader) -> int:
    size = read.optional_int("LINE_MAX_BODY_SIZE", minimum=MIN_BODY_SIZE)
    if size is None:
        raise read.fail("LINE_MAX_BODY_SIZE", f"must be a whole number >= {MIN_BODY_SIZE}, got None")
    return size


def _url_value_names(read: ConfigReader) -> tuple[str, ...]:
    names = read.words("LINE_URL_VALUES")
    for name in names:
        if not name.isidentifier() or name == "next":
            raise read.fail("LINE_URL_VALUES", f"{name!r} must be a name such as 'shop' (and not 'next')")
    return names


def _database_uri(read: ConfigReader) -> str | None:
    uri = read.optional_string("LINE_DATABASE_URI")
    if uri is None or uri.startswith("sqlite:///"):
        return uri
    if "://" not in uri:
        raise read.fail("LINE_DATABASE_URI", "must be a database URL such as postgresql+psycopg://user@host/db")
    if importlib.util.find_spec("sqlalchemy") is None:
        raise read.fail("LINE_DATABASE_URI", "needs SQLAlchemy: pip install 'flask-line[sqlalchemy]'")
    return uri
