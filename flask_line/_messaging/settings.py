"""Messaging API channel settings (``LINE_MESSAGING_*``) and LINE's limits for its calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._config import ConfigReader, Setting

#: Messaging API reference, "Send push message": one request carries 1 to 5 message objects.
MAX_MESSAGES = 5
#: Messaging API reference, "Send multicast message": at most 500 user ids per request.
MULTICAST_BATCH = 500

#: The site's Messaging API channel (LINE Developers Console) and LINE's URLs for it.
MESSAGING_SETTINGS = (
    Setting(
        "LINE_MESSAGING_CHANNEL_ID", None, "channel id", "The site's Messaging API channel (its Official Account)."
    ),
    Setting(
        "LINE_MESSAGING_CHANNEL_SECRET",
        None,
        "secret",
        "Its channel secret: issues its channel access tokens and checks its webhook's signatures.",
    ),
    Setting(
        "LINE_MESSAGING_PROVIDER",
        None,
        "text",
        "The channel's LINE provider; required with the channel. Only members who signed in through a LINE Login "
        "channel of the same provider (``LINE_LOGIN_PROVIDER``, ``LoginChannel(provider=...)``) have the user id "
        "the bot can reach.",
    ),
    Setting(
        "LINE_MESSAGING_CHANNELS",
        None,
        "dict",
        'Several shops\' Official Accounts in one app: ``{name: {"channel_id": ..., "channel_secret": ..., '
        '"provider": ..., "link_nonce_ttl"}}``. Each has its webhook at ``/line/messaging/<name>/webhook``; a '
        "push goes through ``channel=``, the ``messaging_channel_loader``'s channel, or the channel of the member's "
        "provider (see Several shops).",
    ),
    Setting(
        "LINE_MESSAGING_CHANNEL_CACHE_SIZE",
        1024,
        "count",
        "How many Messaging API channels' clients and tokens are kept (least recently used go first).",
    ),
    Setting(
        "LINE_MESSAGING_WEBHOOK_EVENTS_KEPT",
        10_000,
        "count",
        "How many webhook event ids each worker remembers to fire a redelivered event's signal once.",
    ),
    Setting(
        "LINE_MESSAGING_LINK_NONCE_TTL",
        600,
        "seconds",
        "How long the nonce of a ``/line/bot-link`` visit waits for LINE's ``accountLink`` event (a link token "
        "lives 10 minutes).",
    ),
    Setting(
        "LINE_MESSAGING_TOKEN_URL",
        "https://api.line.me/oauth2/v3/token",
        "URL",
        # Stateless channel access tokens (15 minutes, unlimited issuance, nothing to revoke): every worker and
        # restart gets its own without revoking another's (short-lived ones are capped at 30 per channel).
        "Stateless channel access tokens of the Messaging API channel.",
        endpoint=True,
    ),
    Setting(
        "LINE_MESSAGING_ACCOUNT_LINK_URL",
        "https://access.line.me/dialog/bot/accountLink",
        "URL",
        "LINE's account-link dialog, where ``/line/bot-link`` sends the member with the link token and a nonce.",
        endpoint=True,
    ),
)


@dataclass(frozen=True)
class MessagingSettings:
    """Validated Messaging API channel settings; the channel secret is kept out of ``repr``."""

    enabled: bool
    channel_id: str
    channel_secret: str = field(repr=False)
    provider: str | None
    events_kept: int
    link_nonce_ttl: int
    token_url: str
    account_link_url: str
    #: ``LINE_MESSAGING_API_URL``: where push, multicast and link tokens are asked for.
    api_url: str
    #: ``LINE_MESSAGING_CHANNELS`` as configured (each entry is checked when the channels are built).
    channels: Mapping[str, Any] = field(default_factory=dict, repr=False)
    channel_cache_size: int = 1024


def load_settings(read: ConfigReader) -> MessagingSettings:
    """The Messaging API channel settings (``ConfigurationError`` naming the first bad key)."""
    channel_id, channel_secret = read.credentials("LINE_MESSAGING_CHANNEL_ID", "LINE_MESSAGING_CHANNEL_SECRET")
    if channel_id and not channel_id.isdigit():
        raise read.fail("LINE_MESSAGING_CHANNEL_ID", f"must be a channel id (digits), got {channel_id!r}")
    provider = read.optional_string("LINE_MESSAGING_PROVIDER")
    if channel_id and provider is None:
        raise read.fail(
            "LINE_MESSAGING_PROVIDER",
            "is required with LINE_MESSAGING_CHANNEL_ID: name the channel's provider in the LINE Developers Console "
            "(and the same one as LINE_LOGIN_PROVIDER), so flask-line pushes only to user ids of that provider",
        )
    return MessagingSettings(
        enabled=bool(channel_id),
        channel_id=channel_id,
        channel_secret=channel_secret,
        provider=provider,
        events_kept=int(read.positive_number("LINE_MESSAGING_WEBHOOK_EVENTS_KEPT")),
        link_nonce_ttl=int(read.positive_number("LINE_MESSAGING_LINK_NONCE_TTL")),
        token_url=read.url("LINE_MESSAGING_TOKEN_URL"),
        account_link_url=read.url("LINE_MESSAGING_ACCOUNT_LINK_URL"),
        api_url=read.url("LINE_MESSAGING_API_URL"),
        channels=read.table("LINE_MESSAGING_CHANNELS", "channel"),
        channel_cache_size=int(read.positive_number("LINE_MESSAGING_CHANNEL_CACHE_SIZE")),
    )
