"""Many LINE Login channels in one app: the channel of each request, and one LINE Login service per channel.

A platform serving many shops gives each shop its own channel (each linked to that shop's LINE Official
Account). The app's ``@line.channel_loader`` names the channel of a request; the services of recently used
channels are kept in a bounded LRU, so 10,000 shops never mean 10,000 connection pools or key caches.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import g

from .._log import log
from ..errors import ChannelNotFound, ConfigurationError
from .settings import LoginSettings, check_login_scopes

if TYPE_CHECKING:
    from .service import LoginService


@dataclass(frozen=True)
class LoginChannel:
    """One LINE Login channel of a multi-channel app (what ``@line.channel_loader`` returns).

    Options left as None take the app's ``LINE_LOGIN_*`` settings.

    :param channel_id: the channel id from the LINE Developers Console.
    :param channel_secret: its secret.
    :param scopes: this channel's scopes (``("profile", "openid")``...).
    :param bot_prompt: ``"normal"`` or ``"aggressive"``: offer this channel's linked Official Account as a friend.
    :param callback_url: the callback URL registered for this channel, when it is not this request's host.
    """

    channel_id: str
    channel_secret: str = field(repr=False)
    scopes: tuple[str, ...] | None = None
    bot_prompt: str | None = None
    callback_url: str | None = None

    def settings_from(self, base: LoginSettings, key: str = "channel_loader") -> LoginSettings:
        """The app's LINE Login settings with this channel's id, secret and options.

        :param key: what an error names: the loader, or ``LINE_LOGIN_CHANNELS`` (checked at ``init_app``).
        :raises ~flask_line.errors.ConfigurationError: a value LINE would refuse.
        """

        def fail(message: str) -> ConfigurationError:
            return ConfigurationError(key, f"channel {self.channel_id!r}: {message}")

        if not isinstance(self.channel_id, str) or not self.channel_id.isdigit():
            raise fail("channel_id must be a string of digits")
        if not isinstance(self.channel_secret, str) or not self.channel_secret.strip():
            raise fail("has no channel_secret")
        if self.bot_prompt not in (None, "normal", "aggressive"):
            raise fail(f"bot_prompt must be 'normal' or 'aggressive', got {self.bot_prompt!r}")
        if self.callback_url is not None:
            parts = urlsplit(self.callback_url) if isinstance(self.callback_url, str) else None
            if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
                raise fail(f"callback_url must be an absolute http(s) URL, got {self.callback_url!r}")
        scopes = tuple(self.scopes) if self.scopes is not None else base.scopes
        check_login_scopes(scopes, fail)
        return replace(
            base,
            enabled=True,
            channel_id=self.channel_id,
            channel_secret=self.channel_secret,
            scopes=scopes,
            bot_prompt=self.bot_prompt if self.bot_prompt is not None else base.bot_prompt,
            callback_url=self.callback_url or base.callback_url,
        )


#: What ``@line.channel_loader`` registers: the channel of this request, the name of one in
#: ``LINE_LOGIN_CHANNELS``, or None when this request's site does not use LINE Login.
ChannelLoader = Callable[[], "LoginChannel | str | None"]

_CHANNEL_OF_REQUEST = "_line_login_channel"


class LoginChannels:
    """The LINE Login service of each request's channel.

    :param build: makes the service of one channel from its settings.
    :param loader: returns the app's ``@line.channel_loader`` (read at each request, so it may be registered late).
    :param configured: ``LINE_LOGIN_CHANNELS``, by name.
    :param size: how many channels' services are kept (the least recently used goes first).
    """

    def __init__(
        self,
        base: LoginSettings,
        build: Callable[[LoginSettings], LoginService],
        loader: Callable[[], ChannelLoader | None],
        configured: Mapping[str, LoginChannel],
        size: int,
    ) -> None:
        self._base = base
        self._build = build
        self._loader = loader
        self.configured = dict(configured)
        for channel in self.configured.values():  # a bad listed channel fails init_app, not a visitor's request
            channel.settings_from(base, key="LINE_LOGIN_CHANNELS")
        self.size = size
        self._services: OrderedDict[LoginChannel, LoginService] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        """Whether the app chooses channels per request (a loader is registered)."""
        return self._loader() is not None

    def for_request(self) -> LoginService:
        """The service of this request's channel, resolved once per request.

        :raises ~flask_line.errors.ChannelNotFound: the loader raised, or said this site has no LINE Login.
        """
        service: LoginService | None = g.get(_CHANNEL_OF_REQUEST)
        if service is None:
            service = self.service(self._channel())
            setattr(g, _CHANNEL_OF_REQUEST, service)
        return service

    def service(self, channel: LoginChannel) -> LoginService:
        """The service of ``channel`` (built on first use, then kept while it is among the recently used)."""
        with self._lock:
            found = self._services.get(channel)
            if found is not None:
                self._services.move_to_end(channel)
                return found
        built = self._build(channel.settings_from(self._base))
        with self._lock:
            self._services[channel] = built
            while len(self._services) > self.size:
                self._services.popitem(last=False)
        return built

    @property
    def cached(self) -> int:
        """How many channels' services are kept now."""
        return len(self._services)

    def _channel(self) -> LoginChannel:
        loader = self._loader()
        if loader is None:
            raise ChannelNotFound("No channel_loader is registered.")
        try:
            found: Any = loader()
        except Exception as error:  # the site's own lookup failed: this request has no channel, never another's
            log.exception("The LINE Login channel_loader raised: %s", type(error).__name__)
            raise ChannelNotFound(f"The channel_loader raised {type(error).__name__}.") from error
        if isinstance(found, str):
            if found not in self.configured:
                raise ConfigurationError("channel_loader", f"returned {found!r}, which is not in LINE_LOGIN_CHANNELS")
            return self.configured[found]
        if found is None:
            raise ChannelNotFound("The channel_loader found no LINE Login channel for this request.")
        if not isinstance(found, LoginChannel):
            raise ConfigurationError("channel_loader", f"must return a LoginChannel, a name or None, got {found!r}")
        return found


def configured_channels(value: object, fail: Callable[[str], ConfigurationError]) -> dict[str, LoginChannel]:
    """``LINE_LOGIN_CHANNELS``: ``{name: {"channel_id": ..., "channel_secret": ..., options}}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise fail(f"must be a dict of name to channel settings, got {type(value).__name__}")
    channels = {}
    known = {"channel_id", "channel_secret", "scopes", "bot_prompt", "callback_url"}
    for name, entry in value.items():
        if not isinstance(entry, Mapping) or set(entry) - known or not {"channel_id", "channel_secret"} <= set(entry):
            raise fail(f"{name!r} must be a dict with channel_id and channel_secret (and {', '.join(sorted(known))})")
        scopes = entry.get("scopes")
        channels[str(name)] = LoginChannel(
            channel_id=str(entry["channel_id"]),
            channel_secret=entry["channel_secret"],
            scopes=tuple(scopes.split() if isinstance(scopes, str) else scopes) if scopes is not None else None,
            bot_prompt=entry.get("bot_prompt"),
            callback_url=entry.get("callback_url"),
        )
    return channels
