"""Several shops, each with its Official Account: one registry of Messaging API channels, and the channel a push,
a webhook delivery or a ``/line/bot-link`` visit belongs to.

``LINE_MESSAGING_CHANNEL_ID`` is simply the channel named ``"default"``; ``LINE_MESSAGING_CHANNELS`` lists more
by name; the app's ``@line.messaging_channel_loader`` names the channel of a request (the shop's, read from the
same host, path segment or query parameter as its ``channel_loader``). Every channel declares its LINE provider:
a person has one LINE user id per provider, so a channel reaches only members who signed in under its provider.
The services of recently used channels are kept in a bounded LRU (:mod:`flask_line._registry`), each with its own
channel access token.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from flask import g, has_request_context

from .._registry import DEFAULT, Loader, Naming, Registry, check_credentials
from ..errors import ConfigurationError, MessagingChannelNotFound
from .service import MessagingService
from .settings import MessagingSettings


@dataclass(frozen=True)
class MessagingChannel:
    """One shop's Messaging API channel (what ``@line.messaging_channel_loader`` returns, or an entry of
    ``LINE_MESSAGING_CHANNELS``). The secret is never in its ``repr`` (nor in any log line).

    :param channel_id: the channel id from the LINE Developers Console.
    :param channel_secret: its secret: issues its channel access tokens and checks its webhook's signatures.
    :param provider: the channel's provider in the LINE Developers Console: the same as the ``provider`` of the
        shop's :class:`~flask_line.LoginChannel`, so that the user id from sign-in is the one this bot reaches.
    :param link_nonce_ttl: seconds a ``/line/bot-link`` nonce of this channel waits for LINE's ``accountLink``
        event (None: ``LINE_MESSAGING_LINK_NONCE_TTL``).
    """

    channel_id: str
    channel_secret: str = field(repr=False)
    provider: str
    link_nonce_ttl: int | None = None


#: What ``@line.messaging_channel_loader`` registers: the channel of this request, the name of one in
#: ``LINE_MESSAGING_CHANNELS``, or None when this request's shop has no Official Account.
MessagingChannelLoader = Callable[[], "MessagingChannel | str | None"]

#: What makes one channel's service from its settings.
BuildService = Callable[[MessagingSettings], MessagingService]

#: The keys of a ``LINE_MESSAGING_CHANNELS`` entry.
MESSAGING_CHANNEL_KEYS = frozenset({"channel_id", "channel_secret", "provider", "link_nonce_ttl"})

#: How the registry's errors and log lines name Messaging API channels.
MESSAGING_CHANNEL_NAMING = Naming(
    "Messaging API",
    "channel",
    "LINE_MESSAGING_CHANNELS",
    "messaging_channel_loader",
    MessagingChannelNotFound,
    MessagingChannel,
    MESSAGING_CHANNEL_KEYS,
)

#: Where ``flask.g`` keeps the request's channel: its service, or the refusal.
_MESSAGING_CHANNEL_OF_REQUEST = "_line_messaging_channel"


class MessagingChannels:
    """Every Messaging API channel of an app, and the channel of a request or of a member's provider.

    Built from the app's ``LINE_MESSAGING_*`` settings (``base``: the ``"default"`` channel, when it has an id),
    what makes one channel's service from its settings, and what returns the app's ``messaging_channel_loader``
    (read at each use, so it may be registered after ``init_app``).
    """

    def __init__(self, base: MessagingSettings, build: BuildService, *, loader: Callable[[], Loader | None]) -> None:
        default = MessagingChannel(base.channel_id, base.channel_secret, str(base.provider)) if base.enabled else None
        self._base = base
        self._registry = Registry.configured_from(
            MESSAGING_CHANNEL_NAMING, default, base.channels, self.settings_of, build, base.channel_cache_size, loader
        )
        #: Every channel named in config: ``"default"`` (``LINE_MESSAGING_CHANNEL_ID``) and
        #: ``LINE_MESSAGING_CHANNELS``.
        self.configured = self._registry.configured

    @property
    def any(self) -> bool:
        """Whether the app has a Messaging API channel at all: a configured one or a loader."""
        return bool(self.configured) or self._registry.active

    def service(self, channel: MessagingChannel | str) -> MessagingService:
        """The service of ``channel``, or of the configured channel of that name.

        :raises ~flask_line.errors.MessagingChannelNotFound: no configured channel has that name.
        :raises ~flask_line.errors.ConfigurationError: ``channel`` has a value LINE would refuse.
        """
        return self._registry.service(channel)

    def default(self) -> MessagingService | None:
        """The service of ``LINE_MESSAGING_CHANNEL_ID``'s channel, or None."""
        return self._registry.default()

    def use(self, name: str) -> MessagingService:
        """Make the configured channel ``name`` this request's (its own webhook and ``/line/bot-link`` URLs).

        :raises ~flask_line.errors.MessagingChannelNotFound: no configured channel has that name (a 404).
        """
        service = self.service(name)
        setattr(g, _MESSAGING_CHANNEL_OF_REQUEST, service)
        return service

    def of_request(self) -> MessagingService | None:
        """The channel this request chose, resolved once per request: a listed channel's own URL, else the
        loader's; None outside a request, without a loader, or when the loader finds none."""
        if not has_request_context():
            return None
        found: MessagingService | MessagingChannelNotFound | None = g.get(_MESSAGING_CHANNEL_OF_REQUEST)
        if found is None:
            if not self._registry.active:
                return None
            try:
                found = self.service(self._registry.ask_loader())
            except MessagingChannelNotFound as refusal:
                found = refusal
            setattr(g, _MESSAGING_CHANNEL_OF_REQUEST, found)
        return found if isinstance(found, MessagingService) else None

    def current(self) -> MessagingService:
        """The channel of this request's webhook or ``/line/bot-link`` visit: :meth:`of_request`'s, else the
        ``"default"`` channel when the app has no loader.

        :raises ~flask_line.errors.MessagingChannelNotFound: the loader found none or raised, or the app has no
            channel here (a 404, never another shop's channel).
        """
        found = self.of_request()
        if found is not None:
            return found
        refusal = g.get(_MESSAGING_CHANNEL_OF_REQUEST) if has_request_context() else None
        if isinstance(refusal, MessagingChannelNotFound):
            raise MessagingChannelNotFound(refusal.message)
        default = self.default()
        if default is None:
            raise MessagingChannelNotFound(
                "No Messaging API channel here: set LINE_MESSAGING_CHANNEL_ID, use a listed channel's own URL, or "
                "register a messaging_channel_loader."
            )
        return default

    def of_provider(self, provider: str | None) -> MessagingService | None:
        """The channel that reaches members of ``provider``: the only configured (or recently used) channel under it,
        else the ``"default"`` channel when it is one of several under it; None when there is no such channel."""
        if provider is None:
            return None
        under = self._registry.where(lambda channel: channel.provider == provider)
        if len(under) > 1:
            default = self.configured.get(DEFAULT)
            under = [default] if default in under else []
        return self.service(under[0]) if len(under) == 1 else None

    def settings_of(self, channel: MessagingChannel, key: str = "messaging_channel_loader") -> MessagingSettings:
        """The app's ``LINE_MESSAGING_*`` settings with ``channel``'s id, secret, provider and options.

        :param key: what an error names: the loader, or the ``LINE_MESSAGING_CHANNELS`` entry.
        :raises ~flask_line.errors.ConfigurationError: a value LINE would refuse (the secret is never echoed).
        """

        def fail(message: str) -> ConfigurationError:
            return ConfigurationError(key, f"channel {channel.channel_id!r}: {message}")

        check_credentials(channel, MESSAGING_CHANNEL_NAMING, fail, digits=True)
        if not isinstance(channel.provider, str) or not channel.provider.strip():
            raise fail(f"provider must name the channel's LINE provider, got {channel.provider!r}")
        ttl = channel.link_nonce_ttl
        if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl <= 0):
            raise fail(f"link_nonce_ttl must be a positive number of seconds, got {ttl!r}")
        return replace(
            self._base,
            enabled=True,
            channel_id=channel.channel_id,
            channel_secret=channel.channel_secret,
            provider=channel.provider,
            link_nonce_ttl=ttl if ttl is not None else self._base.link_nonce_ttl,
            channels={},
        )
