"""Every ``LINE_`` setting: its default, and the checks ``init_app`` runs before the app serves a request.

Settings are read from ``app.config``; a key the app does not set takes the default below. Endpoint URLs default
to LINE's real ones; ``LINE_EMULATOR_URL`` points every URL the app has not set itself at a local emulator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from .errors import ConfigurationError

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
    # LINE WORKS API 2.0 (developers.worksmobile.com/en/docs/auth-oauth and /auth-oidc). The authorize and token
    # URLs are in LINE WORKS' docs. The issuer and key set come from the discovery document at
    # https://auth.worksmobile.com/.well-known/openid-configuration, whose literal values the public docs do not
    # print: these are the documented host and its v2.0 "certs" path; override them if your tenant differs.
    "LINE_WORKS_AUTHORIZE_URL": "https://auth.worksmobile.com/oauth2/v2.0/authorize",
    "LINE_WORKS_TOKEN_URL": "https://auth.worksmobile.com/oauth2/v2.0/token",
    "LINE_WORKS_JWKS_URL": "https://auth.worksmobile.com/oauth2/v2.0/certs",
    "LINE_WORKS_ISSUER": "https://auth.worksmobile.com",
    "LINE_WORKS_API_URL": "https://www.worksapis.com/v1.0",
}

#: Every other setting and its default.
DEFAULTS: dict[str, Any] = {
    "LINE_URL_PREFIX": "/line",
    "LINE_EMULATOR_URL": None,
    "LINE_HTTP_TIMEOUT": 10,
    "LINE_FLOW_TTL": 600,
    "LINE_SESSION_SETUP": True,
    "LINE_ID_TOKEN_LEEWAY": 30,
    "LINE_JWKS_CACHE_TTL": 3600,
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
    **ENDPOINT_DEFAULTS,
}

LOGIN_SCOPES = frozenset({"profile", "openid", "email"})
MODULE_SCOPES = frozenset(
    {
        "message:send",
        "message:receive",
        "account:manage",
        "message:mark_as_read",
        "message:templated_pnp",
        "profile:read",
        "coupon:manage",
        "crm:manage",
    }
)
MODULE_REGIONS = ("JP", "TW")
BRAND_TYPES = frozenset({"premium", "verified", "unverified"})
PROMPTS = ("consent", "none", "login")
BOT_PROMPTS = ("normal", "aggressive")
RESPONSE_MODES = ("query", "form_post")
LOGIN_VERSIONS = ("2.1", "2.0")
#: Signature algorithms an ID token may use. ``none`` is never accepted.
ID_TOKEN_ALGORITHMS = frozenset({"HS256", "ES256", "RS256"})


class ConfigReader:
    """Reads typed, validated values from ``app.config``; each failure names its key."""

    def __init__(self, config: Mapping[str, Any], error: type[ConfigurationError] = ConfigurationError):
        self._config = config
        self._error = error
        self._emulator = self.optional_url("LINE_EMULATOR_URL")

    def raw(self, key: str) -> Any:
        """The app's value for ``key``, or the default."""
        if key in self._config:
            return self._config[key]
        if key in ENDPOINT_DEFAULTS and self._emulator:
            return emulated_url(ENDPOINT_DEFAULTS[key], self._emulator)
        return DEFAULTS.get(key)

    def is_set(self, key: str) -> bool:
        """Whether the app set ``key`` itself."""
        return key in self._config

    def fail(self, key: str, message: str) -> ConfigurationError:
        """An error naming ``key``, of the reader's error class."""
        return self._error(key, message)

    def optional_string(self, key: str) -> str | None:
        value = self.raw(key)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {type(value).__name__}")
        return value

    def string(self, key: str) -> str:
        value = self.optional_string(key)
        if value is None:
            raise self.fail(key, "is required")
        return value

    def optional_url(self, key: str) -> str | None:
        value = self.optional_string(key)
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise self.fail(key, f"must be an absolute http(s) URL, got {value!r}")
        return value

    def url(self, key: str) -> str:
        value = self.optional_url(key)
        if value is None:
            raise self.fail(key, "is required")
        return value

    def boolean(self, key: str) -> bool:
        value = self.raw(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        raise self.fail(key, f"must be True or False, got {value!r}")

    def positive_number(self, key: str) -> float:
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
        value = self.optional_string(key)
        if value is None and optional:
            return None
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def credentials(self, id_key: str, secret_key: str) -> tuple[str, str]:
        """A client id and secret that are set together or not at all (then both are empty: the flow is off)."""
        client_id = self.optional_string(id_key)
        secret = self.optional_string(secret_key)
        if secret and not client_id:
            raise self.fail(id_key, f"is required when {secret_key} is set")
        if client_id and not secret:
            raise self.fail(secret_key, f"is required when {id_key} is set")
        return client_id or "", secret or ""

    def words(self, key: str, allowed: Collection[str] | None = None) -> tuple[str, ...]:
        """A list, or a space-separated string, of distinct words (scopes, algorithms), in the given order."""
        value = self.raw(key)
        return split_words(value, allowed, lambda message: self.fail(key, message))


def split_words(
    value: object,
    allowed: Collection[str] | None,
    fail: Callable[[str], ConfigurationError],
) -> tuple[str, ...]:
    """Split ``value`` (a string or an iterable of strings) into unique words, checking each against ``allowed``."""
    if value is None:
        items: Iterable[object] = ()
    elif isinstance(value, str):
        items = value.replace(",", " ").split()
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        raise fail(f"must be a list or a space-separated string, got {type(value).__name__}")
    words: list[str] = []
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise fail(f"has an entry that is not a word: {item!r}")
        if allowed is not None and item not in allowed:
            raise fail(f"unknown value {item!r}; known: {', '.join(sorted(allowed))}")
        if item not in words:
            words.append(item)
    return tuple(words)


def emulated_url(real_url: str, emulator: str) -> str:
    """``real_url`` with LINE's host replaced by the emulator's base URL (path and query kept)."""
    parts = urlsplit(real_url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    return emulator.rstrip("/") + rest


@dataclass(frozen=True)
class LoginEndpoints:
    """The LINE URLs one LINE Login version talks to."""

    authorize: str
    token: str
    verify: str
    revoke: str
    profile: str
    friendship: str
    jwks: str
    issuer: str


@dataclass(frozen=True)
class LoginSettings:
    """Validated LINE Login settings (``LINE_LOGIN_*``)."""

    enabled: bool
    version: str
    channel_id: str
    channel_secret: str
    scopes: tuple[str, ...]
    pkce: bool
    response_mode: str
    prompt: str | None
    bot_prompt: str | None
    ui_locales: str | None
    max_age: int | None
    callback_url: str | None
    default_next: str
    logout_redirect: str
    id_token_algorithms: tuple[str, ...]
    endpoints: LoginEndpoints

    @property
    def uses_openid(self) -> bool:
        """Whether the login asks for an ID token."""
        return "openid" in self.scopes


@dataclass(frozen=True)
class ModuleSettings:
    """Validated module channel settings (``LINE_MODULE_*``)."""

    enabled: bool
    channel_id: str
    channel_secret: str
    scopes: tuple[str, ...]
    region: str | None
    basic_search_id: str | None
    brand_type: tuple[str, ...]
    pkce: bool
    callback_url: str | None
    default_next: str
    store_uri: str | None
    bot_id_header: str
    authorize_url: str
    token_url: str
    channel_token_url: str
    detach_url: str
    messaging_api_url: str


@dataclass(frozen=True)
class WorksSettings:
    """Validated LINE WORKS settings (``LINE_WORKS_*``)."""

    enabled: bool
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    domain: str | None
    pkce: bool
    callback_url: str | None
    default_next: str
    authorize_url: str
    token_url: str
    jwks_url: str
    issuer: str
    api_url: str
    service_account: str | None
    #: The service account's private key (PEM); kept out of ``repr``.
    private_key: str | None = field(repr=False)
    service_scopes: tuple[str, ...]

    @property
    def uses_openid(self) -> bool:
        """Whether sign-in asks for an ID token."""
        return "openid" in self.scopes


@dataclass(frozen=True)
class Settings:
    """All validated settings of one app."""

    url_prefix: str
    http_timeout: float
    flow_ttl: int
    session_setup: bool
    id_token_leeway: int
    jwks_cache_ttl: int
    login: LoginSettings
    module: ModuleSettings
    works: WorksSettings


def load_settings(config: Mapping[str, Any]) -> Settings:
    """Read and validate every ``LINE_`` setting; raise :class:`ConfigurationError` naming the first bad key."""
    read = ConfigReader(config)
    prefix = read.string("LINE_URL_PREFIX")
    if not prefix.startswith("/"):
        raise read.fail("LINE_URL_PREFIX", "must start with '/'")
    return Settings(
        url_prefix=prefix.rstrip("/"),
        http_timeout=read.positive_number("LINE_HTTP_TIMEOUT"),
        flow_ttl=int(read.positive_number("LINE_FLOW_TTL")),
        session_setup=read.boolean("LINE_SESSION_SETUP"),
        id_token_leeway=read.optional_int("LINE_ID_TOKEN_LEEWAY") or 0,
        jwks_cache_ttl=int(read.positive_number("LINE_JWKS_CACHE_TTL")),
        login=_load_login(read),
        module=load_module(read),
        works=load_works(read),
    )


def _load_login(read: ConfigReader) -> LoginSettings:
    channel_id, channel_secret = read.credentials("LINE_LOGIN_CHANNEL_ID", "LINE_LOGIN_CHANNEL_SECRET")
    enabled = bool(channel_id)
    version = read.choice("LINE_LOGIN_VERSION", LOGIN_VERSIONS, optional=False)
    assert version is not None
    scopes = read.words("LINE_LOGIN_SCOPES", LOGIN_SCOPES)
    if version == "2.1":
        check_login_scopes(scopes, lambda message: read.fail("LINE_LOGIN_SCOPES", message))
    algorithms = read.words("LINE_LOGIN_ID_TOKEN_ALGORITHMS", ID_TOKEN_ALGORITHMS)
    if not algorithms:
        raise read.fail("LINE_LOGIN_ID_TOKEN_ALGORITHMS", "must allow at least one algorithm")
    response_mode = read.choice("LINE_LOGIN_RESPONSE_MODE", RESPONSE_MODES, optional=False)
    assert response_mode is not None
    default_next = read.string("LINE_LOGIN_DEFAULT_NEXT")
    logout_redirect = read.string("LINE_LOGOUT_REDIRECT")
    settings = LoginSettings(
        enabled=enabled,
        version=version,
        channel_id=channel_id,
        channel_secret=channel_secret,
        scopes=scopes,
        pkce=read.boolean("LINE_LOGIN_PKCE"),
        response_mode=response_mode,
        prompt=read.choice("LINE_LOGIN_PROMPT", PROMPTS),
        bot_prompt=read.choice("LINE_LOGIN_BOT_PROMPT", BOT_PROMPTS),
        ui_locales=read.optional_string("LINE_LOGIN_UI_LOCALES"),
        max_age=read.optional_int("LINE_LOGIN_MAX_AGE"),
        callback_url=read.optional_url("LINE_LOGIN_CALLBACK_URL"),
        default_next=default_next,
        logout_redirect=logout_redirect,
        id_token_algorithms=algorithms,
        endpoints=_login_endpoints(read, version),
    )
    if version == "2.0":
        _check_v20(read, settings)
        # v2.0 has no scope parameter and no PKCE: the token always carries the profile permission.
        return replace(settings, scopes=("profile",), pkce=False)
    return settings


def load_module(read: ConfigReader) -> ModuleSettings:
    """The module channel settings."""
    channel_id, channel_secret = read.credentials("LINE_MODULE_CHANNEL_ID", "LINE_MODULE_CHANNEL_SECRET")
    enabled = bool(channel_id)
    store_uri = read.optional_string("LINE_MODULE_STORE_URI")
    if store_uri is not None and not store_uri.startswith("sqlite:///"):
        raise read.fail("LINE_MODULE_STORE_URI", "must be sqlite:///<path> (pass store= for other databases)")
    return ModuleSettings(
        enabled=enabled,
        channel_id=channel_id,
        channel_secret=channel_secret,
        scopes=read.words("LINE_MODULE_SCOPES", MODULE_SCOPES),
        region=read.choice("LINE_MODULE_REGION", MODULE_REGIONS),
        basic_search_id=basic_search_id(read, "LINE_MODULE_BASIC_SEARCH_ID"),
        brand_type=read.words("LINE_MODULE_BRAND_TYPE", BRAND_TYPES),
        pkce=read.boolean("LINE_MODULE_PKCE"),
        callback_url=read.optional_url("LINE_MODULE_CALLBACK_URL"),
        default_next=read.string("LINE_MODULE_DEFAULT_NEXT"),
        store_uri=store_uri,
        bot_id_header=read.string("LINE_MODULE_BOT_ID_HEADER"),
        authorize_url=read.url("LINE_MODULE_AUTHORIZE_URL"),
        token_url=read.url("LINE_MODULE_TOKEN_URL"),
        channel_token_url=read.url("LINE_MODULE_CHANNEL_TOKEN_URL"),
        detach_url=read.url("LINE_MODULE_DETACH_URL"),
        messaging_api_url=read.url("LINE_MESSAGING_API_URL"),
    )


def load_works(read: ConfigReader) -> WorksSettings:
    """The LINE WORKS settings; a service account needs the client credentials and a private key that parses."""
    client_id, client_secret = read.credentials("LINE_WORKS_CLIENT_ID", "LINE_WORKS_CLIENT_SECRET")
    service_account = read.optional_string("LINE_WORKS_SERVICE_ACCOUNT")
    private_key = _private_key(read) if service_account else None
    if service_account and not client_id:
        raise read.fail("LINE_WORKS_CLIENT_ID", "is required for the service account")
    return WorksSettings(
        enabled=bool(client_id),
        client_id=client_id,
        client_secret=client_secret,
        scopes=read.words("LINE_WORKS_SCOPES"),
        domain=read.optional_string("LINE_WORKS_DOMAIN"),
        pkce=read.boolean("LINE_WORKS_PKCE"),
        callback_url=read.optional_url("LINE_WORKS_CALLBACK_URL"),
        default_next=read.string("LINE_WORKS_DEFAULT_NEXT"),
        authorize_url=read.url("LINE_WORKS_AUTHORIZE_URL"),
        token_url=read.url("LINE_WORKS_TOKEN_URL"),
        jwks_url=read.url("LINE_WORKS_JWKS_URL"),
        issuer=read.url("LINE_WORKS_ISSUER"),
        api_url=read.url("LINE_WORKS_API_URL"),
        service_account=service_account,
        private_key=private_key,
        service_scopes=read.words("LINE_WORKS_SERVICE_SCOPES"),
    )


def _private_key(read: ConfigReader) -> str:
    """The PEM text of the service account key, checked to parse as an RSA private key (never echoed)."""
    from joserfc.jwk import RSAKey

    key = read.optional_string("LINE_WORKS_PRIVATE_KEY")
    source = "LINE_WORKS_PRIVATE_KEY"
    if key is None:
        source = "LINE_WORKS_PRIVATE_KEY_PATH"
        path = read.optional_string(source)
        if path is None:
            raise read.fail(
                "LINE_WORKS_PRIVATE_KEY", "(or LINE_WORKS_PRIVATE_KEY_PATH) is required for the service account"
            )
        try:
            with open(path, encoding="ascii") as file:
                key = file.read()
        except (OSError, UnicodeDecodeError) as error:
            raise read.fail(source, f"cannot be read ({type(error).__name__})") from None
    try:
        parsed = RSAKey.import_key(key)
    except Exception:  # joserfc and cryptography raise several types for bad PEM; none may echo the key
        raise read.fail(source, "is not a PEM-encoded RSA private key") from None
    if not parsed.is_private:
        raise read.fail(source, "is a public key; the service account needs the private key")
    return key


def basic_search_id(read: ConfigReader, key: str) -> str | None:
    """An Official Account basic ID such as ``@linedevelopers``."""
    value = read.optional_string(key)
    if value is not None and (len(value) > 64 or not value.lstrip("@").replace("-", "").replace(".", "").isalnum()):
        raise read.fail(key, f"is not a LINE Official Account basic ID: {value!r}")
    return value


def check_login_scopes(scopes: Collection[str], fail: Callable[[str], ConfigurationError]) -> None:
    """LINE's rules for v2.1 scopes: ``profile`` or ``openid`` is required, and ``email`` needs ``openid``."""
    if not {"profile", "openid"} & set(scopes):
        raise fail("must include 'profile' or 'openid'")
    if "email" in scopes and "openid" not in scopes:
        raise fail("'email' needs 'openid'")


def _login_endpoints(read: ConfigReader, version: str) -> LoginEndpoints:
    prefix = "LINE_LOGIN_V20_" if version == "2.0" else "LINE_LOGIN_"
    return LoginEndpoints(
        authorize=read.url(prefix + "AUTHORIZE_URL"),
        token=read.url(prefix + "TOKEN_URL"),
        verify=read.url(prefix + "VERIFY_URL"),
        revoke=read.url(prefix + "REVOKE_URL"),
        profile=read.url("LINE_PROFILE_URL"),
        friendship=read.url("LINE_FRIENDSHIP_URL"),
        jwks=read.url("LINE_LOGIN_JWKS_URL"),
        issuer=read.url("LINE_LOGIN_ISSUER"),
    )


def _check_v20(read: ConfigReader, settings: LoginSettings) -> None:
    """Settings only v2.1 understands are errors under v2.0, so a half-migrated config fails loudly."""
    only_v21 = "is a LINE Login v2.1 feature; LINE_LOGIN_VERSION is '2.0'"
    if read.is_set("LINE_LOGIN_SCOPES") and set(settings.scopes) - {"profile"}:
        raise read.fail("LINE_LOGIN_SCOPES", f"'openid'/'email' {only_v21} (v2.0 has no scopes)")
    if settings.bot_prompt:
        raise read.fail("LINE_LOGIN_BOT_PROMPT", only_v21)
    if read.is_set("LINE_LOGIN_PKCE") and settings.pkce:
        raise read.fail("LINE_LOGIN_PKCE", only_v21 + " (set it to False)")
    if settings.response_mode != "query":
        raise read.fail("LINE_LOGIN_RESPONSE_MODE", only_v21)
    for key in ("LINE_LOGIN_PROMPT", "LINE_LOGIN_UI_LOCALES", "LINE_LOGIN_MAX_AGE"):
        if read.raw(key) not in (None, ""):
            raise read.fail(key, only_v21)
