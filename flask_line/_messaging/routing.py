"""``line.messaging``: push, multicast and link tokens through the right shop's Messaging API channel.

A push goes through, in this order: the ``channel=`` the app passes; else the request's shop's channel (the
``messaging_channel_loader``'s); else, in a background job (or a page outside every shop), the channel under the
LINE provider the member signed in with, so a member who signed in at shop A is reached through shop A's Official
Account; else the ``"default"`` channel. Whichever it is, a member whose LINE id belongs to another provider is
refused before any call (:class:`~flask_line.errors.LineProviderMismatch` and ``messaging_push_refused``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app

from .. import signals
from .._log import log
from ..errors import LineError, LineProviderMismatch, MessagingChannelNotFound, NotLinkedToLine
from .channels import MessagingChannel, MessagingChannels
from .messages import Message, wire_messages
from .recipients import LoginProviders
from .service import MessagingService, MulticastResult, PushResult


class Messaging:
    """The app's Messaging API channels, as the app sends through them (``line.messaging``).

    :param channels: every Messaging API channel of the app.
    :param providers: the LINE provider of a recipient's user id.
    """

    def __init__(self, channels: MessagingChannels, providers: LoginProviders) -> None:
        self.channels = channels
        self._providers = providers

    def channel(self, channel: MessagingChannel | str | None = None) -> MessagingService:
        """The service of ``channel`` (a :class:`~flask_line.MessagingChannel`, or the name of a configured one:
        ``"default"`` is ``LINE_MESSAGING_CHANNEL_ID``'s); None: this request's channel (a listed channel's webhook
        or ``/line/bot-link`` URL, the loader's), else the ``"default"``.

        :raises ~flask_line.errors.MessagingChannelNotFound: no such channel (a 404 in a request).
        """
        if channel is not None:
            return self.channels.service(channel)
        found = self.channels.of_request() or self.channels.default()
        if found is None:
            raise MessagingChannelNotFound("Name the Messaging API channel: pass channel=.")
        return found

    def channel_for(self, user: Any, channel: MessagingChannel | str | None = None) -> MessagingService:
        """The channel a push to ``user`` goes through (see the module's documentation for the order).

        :raises ~flask_line.errors.LineProviderMismatch: no channel is under the member's provider (no call made).
        :raises ~flask_line.errors.MessagingChannelNotFound: ``channel`` names none, or a bare LINE user id has no
            channel to go through (several shops and no ``"default"``: pass ``channel=``).
        """
        if channel is not None:
            return self.channels.service(channel)
        chosen = self.channels.of_request()  # None in a job, or on a page outside every shop (an admin's)
        if chosen is not None:
            return chosen
        try:
            provider = self._providers.of(user)
        except TypeError:
            provider = None  # not a recipient at all: the channel's own check says so
        found = self.channels.of_provider(provider) or self.channels.default()
        if found is not None:
            return found
        if provider is None:
            raise MessagingChannelNotFound(
                "A LINE user id does not say its provider and there is no default Messaging API channel: pass channel="
            )
        error = LineProviderMismatch(f"No Messaging API channel is under provider {provider!r}, the member's")
        log.warning("Push refused before any call: %s", error.message)
        signals.messaging_push_refused.send(_app(), recipient=user, error=error, channel_id=None)
        raise error

    def push(
        self,
        user: Any,
        messages: Message | Iterable[Message],
        *,
        channel: MessagingChannel | str | None = None,
        notification_disabled: bool = False,
        retry_key: str | None = None,
    ) -> PushResult:
        """Send 1 to 5 messages to one member through :meth:`channel_for`'s channel.

        See :meth:`MessagingService.push <flask_line._messaging.service.MessagingService.push>` for ``user``,
        ``messages``, ``retry_key`` and the errors.
        """
        wire_messages(messages)  # a bad message is refused before a channel is even chosen
        service = self.channel_for(user, channel)
        return service.push(user, messages, notification_disabled=notification_disabled, retry_key=retry_key)

    def multicast(
        self,
        users: Iterable[Any],
        messages: Message | Iterable[Message],
        *,
        channel: MessagingChannel | str | None = None,
        notification_disabled: bool = False,
    ) -> MulticastResult:
        """Send the same 1 to 5 messages to many members: each through :meth:`channel_for`'s channel (one
        multicast per channel, in batches of 500), members refused first are returned in ``refused``."""
        wire_messages(messages)
        groups: dict[MessagingService, list[Any]] = {}
        refused: list[tuple[Any, LineError]] = []
        for user in users:
            try:
                groups.setdefault(self.channel_for(user, channel), []).append(user)
            except (LineProviderMismatch, NotLinkedToLine) as error:
                refused.append((user, error))
        results = [
            service.multicast(group, messages, notification_disabled=notification_disabled)
            for service, group in groups.items()
        ]
        return MulticastResult(
            tuple(user_id for result in results for user_id in result.sent_to),
            tuple(refused) + tuple(refusal for result in results for refusal in result.refused),
            tuple(request_id for result in results for request_id in result.request_ids),
        )

    def issue_link_token(self, user_id: str, *, channel: MessagingChannel | str | None = None) -> str:
        """A link token for the chat user ``user_id`` of :meth:`channel`'s Official Account (in a webhook signal's
        receiver, the channel whose webhook was called: the one the user talks to).

        Send the member ``url_for("line.bot_link", linkToken=token, _external=True)`` (a listed channel's page is
        ``url_for("line.bot_link", messaging_channel=name, linkToken=token, _external=True)``).
        """
        return self.channel(channel).issue_link_token(user_id)


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]
