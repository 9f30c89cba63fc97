"""Module channel settings (``LINE_MODULE_*``) and LINE's rules for their values (LINE's "Attach module channel")."""

from __future__ import annotations

from dataclasses import dataclass, field

from .._config import ConfigReader, Setting, ValueReader

#: The kind of an attach's pending authorization (its callback accepts only states of this kind).
ATTACH_KIND = "attach"

#: The scopes of LINE's "Attach module channel"'s scope table.
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


#: The module channel settings (LINE's "Attach the module channel" and Messaging API documents).
MODULE_SETTINGS = (
    Setting("LINE_MODULE_CHANNEL_ID", None, "channel id", "The module channel."),
    Setting("LINE_MODULE_CHANNEL_SECRET", None, "secret", "Its channel secret; with the id, it turns attach on."),
    Setting("LINE_MODULE_SCOPES", "message:send message:receive", "words", "The scopes asked for at attach."),
    Setting("LINE_MODULE_REGION", None, "``JP`` or ``TW``", "The Official Account's region, sent at attach."),
    Setting("LINE_MODULE_BASIC_SEARCH_ID", None, "``@basic_id``", "Preselects one Official Account at attach."),
    Setting("LINE_MODULE_BRAND_TYPE", None, "words", "``premium``, ``verified``, ``unverified``: accounts offered."),
    Setting("LINE_MODULE_PKCE", True, "True/False", "Send a PKCE S256 challenge at attach."),
    Setting("LINE_MODULE_CALLBACK_URL", None, "URL", "The external attach callback URL, when a proxy hides it."),
    Setting("LINE_MODULE_DEFAULT_NEXT", "/", "path", "Where an attach lands without a valid ``next``."),
    Setting(
        "LINE_MODULE_STORE_URI",
        None,
        "``sqlite:///<path>``",
        "An SQLite file for attachments only, apart from ``LINE_DATABASE_URI``.",
    ),
    Setting(
        "LINE_MODULE_BOT_ID_HEADER",
        "X-Line-Bot-Id",
        "header name",
        "The bot id header of module API calls (LINE discloses its name to Marketplace partners: check yours).",
    ),
    Setting(
        "LINE_MODULE_AUTHORIZE_URL",
        "https://manager.line.biz/module/auth/v1/authorize",
        "URL",
        "LINE Official Account Manager's consent.",
        endpoint=True,
    ),
    Setting(
        "LINE_MODULE_TOKEN_URL",
        "https://manager.line.biz/module/auth/v1/token",
        "URL",
        "The attach call.",
        endpoint=True,
    ),
    Setting(
        "LINE_MODULE_CHANNEL_TOKEN_URL",
        "https://api.line.me/oauth2/v3/token",
        "URL",
        # Stateless channel access tokens: unlimited issuance, so workers and restarts never revoke each other's
        # tokens (short-lived ones are capped at 30 per channel, the oldest revoked).
        "Stateless channel access tokens.",
        endpoint=True,
    ),
    Setting("LINE_MODULE_DETACH_URL", "https://api.line.me/v2/bot/channel/detach", "URL", "Detach.", endpoint=True),
)


@dataclass(frozen=True)
class ModuleSettings:
    """Validated module channel settings (``LINE_MODULE_*``); the channel secret is kept out of ``repr``."""

    enabled: bool
    channel_id: str
    channel_secret: str = field(repr=False)
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
    messaging_api_data_url: str


def load_settings(read: ConfigReader) -> ModuleSettings:
    """The module channel settings."""
    channel_id, channel_secret = read.credentials("LINE_MODULE_CHANNEL_ID", "LINE_MODULE_CHANNEL_SECRET")
    store_uri = read.optional_string("LINE_MODULE_STORE_URI")
    if store_uri is not None and not store_uri.startswith("sqlite:///"):
        raise read.fail("LINE_MODULE_STORE_URI", "must be sqlite:///<path> (LINE_DATABASE_URI takes other databases)")
    return ModuleSettings(
        enabled=bool(channel_id),
        channel_id=channel_id,
        channel_secret=channel_secret,
        scopes=_scopes(read),
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
        messaging_api_data_url=read.url("LINE_MESSAGING_API_DATA_URL"),
    )


def _scopes(read: ConfigReader) -> tuple[str, ...]:
    scopes = read.words("LINE_MODULE_SCOPES", MODULE_SCOPES)
    if not scopes:
        # LINE's "Attach module channel": the authorize URL's scope parameter is required.
        raise read.fail("LINE_MODULE_SCOPES", "must name at least one scope (the attach URL requires one)")
    return scopes


def basic_search_id(read: ValueReader, key: str) -> str | None:
    """An Official Account basic ID such as ``@linedevelopers``."""
    value = read.optional_string(key)
    if value is not None and (len(value) > 64 or not value.lstrip("@").replace("-", "").replace(".", "").isalnum()):
        raise read.fail(key, f"is not a LINE Official Account basic ID: {value!r}")
    return value
