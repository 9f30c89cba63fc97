"""LINE Login settings (``LINE_LOGIN_*``) and LINE's rules for their values."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._config import ConfigReader, Setting
from ..errors import ConfigurationError

LOGIN_VERSIONS = ("2.1", "2.0")
LOGIN_SCOPES = frozenset({"profile", "openid", "email"})
PROMPTS = ("consent", "none", "login")
BOT_PROMPTS = ("normal", "aggressive")
RESPONSE_MODES = ("query", "form_post", "query.jwt", "form_post.jwt", "jwt")
#: Response modes whose answer is one signed JWT (JARM), ``response=<JWT>``.
JWT_RESPONSE_MODES = frozenset({"query.jwt", "form_post.jwt", "jwt"})
#: Signature algorithms an ID token may use. ``none`` is never accepted.
ID_TOKEN_ALGORITHMS = frozenset({"HS256", "ES256", "RS256"})


#: The LINE Login settings (LINE Login v2.1 API reference; v2.0 for the ``V20`` URLs).
LOGIN_SETTINGS = (
    Setting("LINE_LOGIN_VERSION", "2.1", "``2.1`` or ``2.0``", "``2.0`` switches to LINE's deprecated v2.0 protocol."),
    Setting("LINE_LOGIN_CHANNEL_ID", None, "channel id", "The LINE Login channel (LINE Developers Console)."),
    Setting("LINE_LOGIN_CHANNEL_SECRET", None, "secret", "Its channel secret; with the id, it turns LINE Login on."),
    Setting(
        "LINE_LOGIN_PROVIDER",
        None,
        "text",
        "The LINE provider (LINE Developers Console) of ``LINE_LOGIN_CHANNEL_ID``: account links are shared with "
        "channels that declare the same provider, and with no other (LINE user ids are per provider).",
    ),
    Setting(
        "LINE_LOGIN_SCOPES",
        "profile openid",
        "words",
        "``profile``, ``openid``, ``email`` (``email`` needs ``openid``). With ``openid`` a login costs one call "
        "to LINE: name and picture come from the ID token.",
    ),
    Setting("LINE_LOGIN_PKCE", True, "True/False", "Send a PKCE S256 challenge."),
    Setting(
        "LINE_LOGIN_RESPONSE_MODE",
        "query",
        "choice",
        "``query``, ``form_post``, or a signed JWT response: ``query.jwt``, ``jwt``, ``form_post.jwt``.",
    ),
    Setting(
        "LINE_LOGIN_BOT_PROMPT", None, "choice", "``normal`` or ``aggressive``: offer the linked Official Account."
    ),
    Setting("LINE_LOGIN_PROMPT", None, "choice", "``consent``, ``none`` or ``login`` on every authorize request."),
    Setting("LINE_LOGIN_UI_LOCALES", None, "language tags", "The language of LINE's screens, such as ``ja-JP``."),
    Setting("LINE_LOGIN_MAX_AGE", None, "seconds", "Longest time since the user last authenticated at LINE."),
    Setting("LINE_LOGIN_CALLBACK_URL", None, "URL", "The external callback URL, when a proxy hides it."),
    Setting("LINE_LOGIN_DEFAULT_NEXT", "/", "path", "Where a login lands without a valid ``next``."),
    Setting("LINE_LOGOUT_REDIRECT", "/", "path", "Where a logout lands without a valid ``next``."),
    Setting(
        "LINE_LOGIN_ID_TOKEN_ALGORITHMS",
        ["HS256", "ES256"],
        "words",
        "The ID-token algorithms accepted (HS256: web login, channel secret; ES256: LINE's keys). Never ``none``.",
    ),
    Setting(
        "LINE_TOKEN_CHANNEL_IDS",
        [],
        "words",
        "Further channels whose tokens ``@line_token_required`` accepts (a LIFF or native app on another channel).",
    ),
    Setting(
        "LINE_LOGIN_CHANNELS",
        None,
        "dict",
        'Many channels in one app: ``{name: {"channel_id": ..., "channel_secret": ..., "provider", "scopes", '
        '"bot_prompt", "callback_url", "default_next", "logout_redirect", "token_channel_ids"}}``; the '
        "``@line.channel_loader`` returns a name (see Many channels).",
    ),
    Setting(
        "LINE_LOGIN_CHANNEL_CACHE_SIZE",
        1024,
        "count",
        "How many channels' clients, key caches and verifiers are kept (least recently used go first).",
    ),
    Setting("LINE_TOKEN_CACHE_TTL", 300, "seconds", "How long a verified access token is trusted without asking LINE."),
    Setting("LINE_TOKEN_CACHE_SIZE", 10_000, "count", "How many verified access tokens are remembered."),
    Setting(
        "LINE_LOGIN_AUTHORIZE_URL", "https://access.line.me/oauth2/v2.1/authorize", "URL", "Authorize.", endpoint=True
    ),
    Setting("LINE_LOGIN_TOKEN_URL", "https://api.line.me/oauth2/v2.1/token", "URL", "Token calls.", endpoint=True),
    Setting("LINE_LOGIN_VERIFY_URL", "https://api.line.me/oauth2/v2.1/verify", "URL", "Token checks.", endpoint=True),
    Setting("LINE_LOGIN_REVOKE_URL", "https://api.line.me/oauth2/v2.1/revoke", "URL", "Revocation.", endpoint=True),
    Setting(
        "LINE_LOGIN_JWKS_URL", "https://api.line.me/oauth2/v2.1/certs", "URL", "LINE's public keys.", endpoint=True
    ),
    # Not an endpoint: the emulator signs with LINE's real issuer, so the emulator cannot hide a wrong expectation.
    Setting(
        "LINE_LOGIN_ISSUER",
        "https://access.line.me",
        "URL",
        "The ``iss`` of LINE's ID tokens (not moved by ``LINE_EMULATOR_URL``: the emulator signs as LINE does).",
    ),
    Setting(
        "LINE_LOGIN_CHANNEL_TOKEN_URL",
        "https://api.line.me/oauth2/v3/token",
        "URL",
        "The LINE Login channel's own (stateless) access token, for deauthorizing users.",
        endpoint=True,
    ),
    Setting(
        "LINE_LOGIN_DEAUTHORIZE_URL",
        "https://api.line.me/user/v1/deauthorize",
        "URL",
        "Removes a user's consent to the channel (when they delete their account).",
        endpoint=True,
    ),
    Setting("LINE_PROFILE_URL", "https://api.line.me/v2/profile", "URL", "The user's profile.", endpoint=True),
    Setting(
        "LINE_FRIENDSHIP_URL",
        "https://api.line.me/friendship/v1/status",
        "URL",
        "Friendship with the linked Official Account.",
        endpoint=True,
    ),
    Setting(
        "LINE_LOGIN_V20_AUTHORIZE_URL",
        "https://access.line.me/dialog/oauth/weblogin",
        "URL",
        "v2.0 authorize.",
        endpoint=True,
    ),
    Setting(
        "LINE_LOGIN_V20_TOKEN_URL", "https://api.line.me/v2/oauth/accessToken", "URL", "v2.0 tokens.", endpoint=True
    ),
    Setting("LINE_LOGIN_V20_VERIFY_URL", "https://api.line.me/v2/oauth/verify", "URL", "v2.0 checks.", endpoint=True),
    Setting(
        "LINE_LOGIN_V20_REVOKE_URL", "https://api.line.me/v2/oauth/revoke", "URL", "v2.0 revocation.", endpoint=True
    ),
)


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
    channel_token: str
    deauthorize: str


@dataclass(frozen=True)
class LoginSettings:
    """Validated LINE Login settings (``LINE_LOGIN_*``); the channel secret is kept out of ``repr``."""

    enabled: bool
    version: str
    channel_id: str
    channel_secret: str = field(repr=False)
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
    #: Further channels whose tokens a request may carry (a LIFF app or native app on another channel).
    token_channel_ids: tuple[str, ...] = ()
    #: Seconds a verified access token is trusted without asking LINE again (never past its expiry).
    token_cache_ttl: float = 300.0
    #: How many verified access tokens are remembered.
    token_cache_size: int = 10_000
    #: ``LINE_LOGIN_CHANNELS`` as configured (a mapping; each entry is checked when the channels are built).
    channels: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: ``LINE_LOGIN_PROVIDER``: the LINE provider of this channel (None: it shares account links with no other).
    provider: str | None = None
    #: ``LINE_LOGIN_CHANNEL_CACHE_SIZE``.
    channel_cache_size: int = 1024

    @property
    def uses_openid(self) -> bool:
        """Whether the login asks for an ID token."""
        return "openid" in self.scopes


def read_login_settings(read: ConfigReader, version: str, endpoint_prefix: str) -> LoginSettings:
    """Every ``LINE_LOGIN_*`` setting, checked for its type; the version's own rules come after."""
    channel_id, channel_secret = read.credentials("LINE_LOGIN_CHANNEL_ID", "LINE_LOGIN_CHANNEL_SECRET")
    algorithms = read.words("LINE_LOGIN_ID_TOKEN_ALGORITHMS", ID_TOKEN_ALGORITHMS)
    if not algorithms:
        raise read.fail("LINE_LOGIN_ID_TOKEN_ALGORITHMS", "must allow at least one algorithm")
    return LoginSettings(
        enabled=bool(channel_id),
        version=version,  # the flow class's own spelling, whatever type the app used
        channel_id=channel_id,
        channel_secret=channel_secret,
        scopes=read.words("LINE_LOGIN_SCOPES", LOGIN_SCOPES),
        pkce=read.boolean("LINE_LOGIN_PKCE"),
        response_mode=str(read.choice("LINE_LOGIN_RESPONSE_MODE", RESPONSE_MODES, optional=False)),
        prompt=read.choice("LINE_LOGIN_PROMPT", PROMPTS),
        bot_prompt=read.choice("LINE_LOGIN_BOT_PROMPT", BOT_PROMPTS),
        ui_locales=read.optional_string("LINE_LOGIN_UI_LOCALES"),
        max_age=read.optional_int("LINE_LOGIN_MAX_AGE"),
        callback_url=read.optional_url("LINE_LOGIN_CALLBACK_URL"),
        default_next=read.string("LINE_LOGIN_DEFAULT_NEXT"),
        logout_redirect=read.string("LINE_LOGOUT_REDIRECT"),
        id_token_algorithms=algorithms,
        token_channel_ids=tuple(str(value) for value in read.words("LINE_TOKEN_CHANNEL_IDS")),
        token_cache_ttl=read.positive_number("LINE_TOKEN_CACHE_TTL"),
        token_cache_size=int(read.positive_number("LINE_TOKEN_CACHE_SIZE")),
        channels=read.table("LINE_LOGIN_CHANNELS", "channel"),
        provider=read.optional_string("LINE_LOGIN_PROVIDER"),
        channel_cache_size=int(read.positive_number("LINE_LOGIN_CHANNEL_CACHE_SIZE")),
        endpoints=LoginEndpoints(
            authorize=read.url(endpoint_prefix + "AUTHORIZE_URL"),
            token=read.url(endpoint_prefix + "TOKEN_URL"),
            verify=read.url(endpoint_prefix + "VERIFY_URL"),
            revoke=read.url(endpoint_prefix + "REVOKE_URL"),
            profile=read.url("LINE_PROFILE_URL"),
            friendship=read.url("LINE_FRIENDSHIP_URL"),
            jwks=read.url("LINE_LOGIN_JWKS_URL"),
            issuer=read.url("LINE_LOGIN_ISSUER"),
            channel_token=read.url("LINE_LOGIN_CHANNEL_TOKEN_URL"),
            deauthorize=read.url("LINE_LOGIN_DEAUTHORIZE_URL"),
        ),
    )


def check_login_scopes(scopes: Collection[str], fail: Callable[[str], ConfigurationError]) -> None:
    """LINE's rules for v2.1 scopes: ``profile`` or ``openid`` is required, and ``email`` needs ``openid``."""
    if not {"profile", "openid"} & set(scopes):
        raise fail("must include 'profile' or 'openid'")
    if "email" in scopes and "openid" not in scopes:
        raise fail("'email' needs 'openid'")
