"""The app's Messaging API channels, built from the app's shared parts: imported by the runtime only for an app that
has a Messaging API channel (or a ``messaging_channel_loader``)."""

from __future__ import annotations

from collections.abc import Callable

from .._log import log
from .._parts import SharedParts
from .._store.links import AccountLinkStore
from .account_link import BotAccountLink, NoncesOnFirstUse, SQLiteLinkNonces
from .channels import MessagingChannelLoader, MessagingChannels
from .recipients import LoginProviders, Recipients
from .routing import Messaging
from .service import MessagingService
from .settings import MessagingSettings
from .webhook import MessagingWebhook, SeenEvents


def messaging(
    parts: SharedParts,
    default: MessagingSettings,
    *,
    login_provider: str | None,
    links: AccountLinkStore,
    provider_of: Callable[[str | None], str | None],
    nonce_file: str,
    loader: Callable[[], MessagingChannelLoader | None],
) -> Messaging:
    """The app's channels (``default``: its own settings) as it sends through them.

    :param login_provider: ``LINE_LOGIN_PROVIDER`` of the app's own LINE Login channel (None: it has none).
    :param provider_of: the provider of a LINE Login channel id (account links join LINE Login's under it).
    :param nonce_file: the SQLite file of the bot account link's nonces.
    """

    def channel(settings: MessagingSettings) -> MessagingService:
        """One channel: pushes reach members of its provider, its account links join LINE Login's under that
        provider, its webhook checks its own secret, its nonces and token are its own."""
        provider = str(settings.provider)
        is_default = settings.channel_id == default.channel_id
        if is_default and login_provider is not None and login_provider != provider:
            log.warning(
                "LINE_LOGIN_PROVIDER (%s) is not LINE_MESSAGING_PROVIDER (%s): members signed in through "
                "LINE_LOGIN_CHANNEL_ID cannot be pushed to (LINE user ids are per provider)",
                login_provider,
                provider,
            )
        recipients = Recipients(provider, links, provider_of)
        nonces = NoncesOnFirstUse(lambda: SQLiteLinkNonces(nonce_file, settings.channel_id))
        account_link = BotAccountLink(settings.account_link_url, settings.link_nonce_ttl, nonces, links, recipients)
        webhook = MessagingWebhook(
            settings.channel_id, settings.channel_secret, SeenEvents(settings.events_kept), account_link
        )
        return MessagingService(settings, parts.http, recipients, account_link, webhook, parts.shared)

    channels = MessagingChannels(default, channel, loader=loader)
    channels.default()  # the default channel's service, built (and its settings checked) now
    return Messaging(channels, LoginProviders(links, provider_of))
