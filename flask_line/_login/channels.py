"""The channel is the unit of LINE Login: one registry of channels, and each request's channel resolved once.

A platform serving many shops gives each shop its own channel (each linked to that shop's LINE Official
Account). ``LINE_LOGIN_CHANNEL_ID`` is simply the channel named ``"default"``; ``LINE_LOGIN_CHANNELS`` lists
more by name; the app's ``@line.channel_loader`` names the channel of a request. The services of recently used
channels are kept in a bounded LRU, so 10,000 shops never mean 10,000 connection pools or key caches.

A callback needs no shop in its URL: the pending authorization recorded where the sign-in started
(:class:`~flask_line._flow.origin.Origin`), and its channel is found again from that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from flask import g, has_request_context

from .._flow.origin import Origin, ask_at_start, restored_origin
from .._registry import DEFAULT, Naming, Registry, check_credentials
from ..errors import ChannelNotFound, ConfigurationError, StateError
from .service import LoginService
from .settings import BOT_PROMPTS, LoginSettings
from .versions import LoginVersion

#: The name of ``LINE_LOGIN_CHANNEL_ID``'s channel in the registry.
DEFAULT_CHANNEL = DEFAULT


@dataclass(frozen=True)
class LoginChannel:
    """One LINE Login channel (what ``@line.channel_loader`` returns, or an entry of ``LINE_LOGIN_CHANNELS``).

    Options left as None take the app's ``LINE_LOGIN_*`` settings.

    :param channel_id: the channel id from the LINE Developers Console.
    :param channel_secret: its secret.
    :param provider: the channel's provider in the LINE Developers Console. Channels that declare the same
        provider share account links (LINE gives a person the same user id under one provider); a channel that
        declares none shares them with no other channel.
    :param scopes: this channel's scopes (``("profile", "openid")``...).
    :param bot_prompt: ``"normal"`` or ``"aggressive"``: offer this channel's linked Official Account as a friend.
    :param callback_url: the callback URL registered for this channel, when it is not ``line.callback`` on the
        host that started the sign-in. A callback on another host needs a session cookie both hosts receive
        (``SESSION_COOKIE_DOMAIN``, see Many channels).
    :param default_next: where a sign-in at this channel lands without a valid ``next``.
    :param logout_redirect: where a sign-out of this channel lands without a valid ``next``.
    :param token_channel_ids: further channels (LIFF, native apps) whose tokens this channel's requests accept.
    """

    channel_id: str
    channel_secret: str = field(repr=False)
    provider: str | None = None
    scopes: tuple[str, ...] | None = None
    bot_prompt: str | None = None
    callback_url: str | None = None
    default_next: str | None = None
    logout_redirect: str | None = None
    token_channel_ids: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        # Lists given for the sequences become tuples, so a channel can key the registry's LRU.
        for name in ("scopes", "token_channel_ids"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, tuple(value.split()))
            elif value is not None:
                object.__setattr__(self, name, tuple(value))


#: What ``@line.channel_loader`` registers: the channel of this request, the name of one in
#: ``LINE_LOGIN_CHANNELS``, or None when this request's site does not use LINE Login.
ChannelLoader = Callable[[], "LoginChannel | str | None"]

#: Where ``flask.g`` keeps the request's channel: ``(origin it was resolved for, service or the refusal)``.
_CHANNEL_OF_REQUEST = "_line_login_channel"


class LoginChannels:
    """Every LINE Login channel of an app, and the channel of each request.

    :param base: the app's LINE Login settings (the ``"default"`` channel, when it has an id).
    :param version: the LINE Login version, whose rules every channel follows.
    :param build: makes the service of one channel from its settings.
    :param loader: returns the app's ``@line.channel_loader`` (read at each request, so it may be registered late).
    """

    def __init__(
        self,
        base: LoginSettings,
        version: LoginVersion,
        build: Callable[[LoginSettings], LoginService],
        loader: Callable[[], ChannelLoader | None],
    ) -> None:
        self._base = base
        self._version = version
        default = LoginChannel(base.channel_id, base.channel_secret, provider=base.provider) if base.enabled else None
        self._registry = Registry.configured_from(
            LOGIN_CHANNEL_NAMING, default, base.channels, self.settings_of, build, base.channel_cache_size, loader
        )
        #: Every channel named in config: ``"default"`` (``LINE_LOGIN_CHANNEL_ID``) and ``LINE_LOGIN_CHANNELS``.
        self.configured: dict[str, LoginChannel] = self._registry.configured
        self.size = base.channel_cache_size

    @property
    def active(self) -> bool:
        """Whether the app chooses channels per request (a loader is registered)."""
        return self._registry.active

    # The request's channel -----------------------------------------------------------------------------------

    def current(self) -> LoginService | None:
        """The LINE Login service of this request, resolved once per request; None when the app has no LINE Login.

        At a callback it is the channel that started the sign-in (see :mod:`flask_line._flow.origin`); otherwise
        the loader's, or the ``"default"`` channel without a loader. Outside a request, the ``"default"`` channel.

        :raises ~flask_line.errors.ChannelNotFound: the loader raised, or found no channel for this request.
        """
        if not has_request_context():
            return self._registry.default()
        origin = restored_origin()
        cached = g.get(_CHANNEL_OF_REQUEST)
        if cached is None or cached[0] is not origin:
            try:
                cached = (origin, self._resolve(origin))
            except ChannelNotFound as refusal:
                cached = (origin, refusal)
            setattr(g, _CHANNEL_OF_REQUEST, cached)
        found: LoginService | ChannelNotFound | None = cached[1]
        if isinstance(found, ChannelNotFound):
            raise ChannelNotFound(found.message)
        return found

    def _resolve(self, origin: Origin | None) -> LoginService | None:
        if origin is not None and origin.channel_id is not None:
            return self._for_origin(origin)
        if self.active:
            return self.service(self._registry.ask_loader())
        return self._registry.default()

    def _for_origin(self, origin: Origin) -> LoginService:
        """The channel that started a sign-in: known here by its id, else the loader asked at the start's URL."""
        found = self._registry.known(str(origin.channel_id))
        if found is not None:
            return found
        if not self.active:
            raise ChannelNotFound(f"The channel {origin.channel_id} that started this sign-in is not configured.")
        channel = ask_at_start(origin, self._registry.ask_loader)  # another worker started it
        if channel.channel_id != origin.channel_id:
            raise StateError("The shop's LINE Login channel changed during the sign-in; please start again.")
        return self.service(channel)

    def provider_of(self, channel_id: str | None) -> str | None:
        """The provider a configured or recently used channel declares (None for ``channel_id`` None means the
        ``"default"`` channel); None when it declares none or is not known here."""
        channel = self.configured.get(DEFAULT_CHANNEL) if channel_id is None else self._registry.unit(channel_id)
        return channel.provider if channel is not None else None

    # Every channel's service ---------------------------------------------------------------------------------

    def service(self, channel: LoginChannel | str) -> LoginService:
        """The service of ``channel`` (or of the configured channel of that name), built on first use, then kept
        while it is among the recently used."""
        return self._registry.service(channel)

    @property
    def cached(self) -> int:
        """How many channels' services are kept now."""
        return self._registry.cached

    def settings_of(self, channel: LoginChannel, key: str = "channel_loader") -> LoginSettings:
        """The app's LINE Login settings with ``channel``'s id, secret and options, checked by the version's rules.

        :param key: what an error names: the loader, or the ``LINE_LOGIN_CHANNELS`` entry.
        :raises ~flask_line.errors.ConfigurationError: a value LINE would refuse.
        """

        def fail(message: str) -> ConfigurationError:
            return ConfigurationError(key, f"channel {channel.channel_id!r}: {message}")

        check_credentials(channel, LOGIN_CHANNEL_NAMING, fail, digits=True)
        if channel.bot_prompt not in (None, *BOT_PROMPTS):
            raise fail(f"bot_prompt must be one of {', '.join(BOT_PROMPTS)}, got {channel.bot_prompt!r}")
        if channel.provider is not None and (not isinstance(channel.provider, str) or not channel.provider.strip()):
            raise fail(f"provider must be a non-empty string, got {channel.provider!r}")
        if channel.callback_url is not None:
            parts = urlsplit(channel.callback_url) if isinstance(channel.callback_url, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                raise fail(f"callback_url must be an absolute http(s) URL, got {channel.callback_url!r}")
        for name in ("default_next", "logout_redirect"):
            value = getattr(channel, name)
            if value is not None and (not isinstance(value, str) or not value.startswith("/")):
                raise fail(f"{name} must be a path on this site such as '/', got {value!r}")
        if not all(isinstance(other, str) and other.isdigit() for other in channel.token_channel_ids or ()):
            raise fail("token_channel_ids must be channel ids (strings of digits)")
        base = self._base
        settings = replace(
            base,
            enabled=True,
            channel_id=channel.channel_id,
            channel_secret=channel.channel_secret,
            provider=channel.provider,
            scopes=channel.scopes if channel.scopes is not None else base.scopes,
            bot_prompt=channel.bot_prompt if channel.bot_prompt is not None else base.bot_prompt,
            callback_url=channel.callback_url or base.callback_url,
            default_next=channel.default_next or base.default_next,
            logout_redirect=channel.logout_redirect or base.logout_redirect,
            token_channel_ids=(
                channel.token_channel_ids if channel.token_channel_ids is not None else base.token_channel_ids
            ),
        )
        return self._version.check_channel(settings, fail)


#: The keys of a ``LINE_LOGIN_CHANNELS`` entry.
LOGIN_CHANNEL_KEYS = frozenset(
    {
        "channel_id",
        "channel_secret",
        "provider",
        "scopes",
        "bot_prompt",
        "callback_url",
        "default_next",
        "logout_redirect",
        "token_channel_ids",
    }
)

#: How the registry's errors and log lines name LINE Login channels.
LOGIN_CHANNEL_NAMING = Naming(
    "LINE Login", "channel", "LINE_LOGIN_CHANNELS", "channel_loader", ChannelNotFound, LoginChannel, LOGIN_CHANNEL_KEYS
)
