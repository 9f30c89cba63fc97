"""Who a push goes to: a signed-in LINE user, a site user linked to LINE, or a LINE user id.

LINE gives a person one user id per provider, so the Messaging API channel reaches only ids of its own provider.
Each recipient is checked against it before any call; one of another provider is refused, never sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .._store.links import LINE, AccountLink, AccountLinkStore
from .._wire.ids import LINE_ID
from ..errors import LineProviderMismatch, NotLinkedToLine

#: The provider of a LINE Login channel by its id (None: unknown, or the channel declares none).
ProviderOf = Callable[["str | None"], "str | None"]


@runtime_checkable
class LineIdentity(Protocol):
    """A user signed in with LINE Login (:class:`~flask_line.LineUser`): its id and the channel it came through."""

    user_id: str
    channel_id: str | None


class Recipients:
    """Turns what the app passes into LINE user ids of the Messaging API channel's provider.

    :param provider: ``LINE_MESSAGING_PROVIDER``.
    :param links: the account-link store (the same one LINE Login writes).
    :param provider_of: the provider of a LINE Login channel.
    """

    def __init__(self, provider: str, links: AccountLinkStore, provider_of: ProviderOf) -> None:
        self.provider = provider
        #: What links made under this provider record (``LinkScope`` of LINE Login names them the same way).
        self.scope = f"provider:{provider}"
        self._links = links
        self._provider_of = provider_of

    def line_user_id(self, recipient: Any) -> str:
        """The LINE user id to push to.

        ``recipient`` is a :class:`~flask_line.LineUser` (its channel's provider must be ours), a LINE user id
        (``U`` and 32 hex digits: taken as is), or a site user (an object with ``get_id()`` or ``id``, or its id
        as a str or int) whose LINE link was made under our provider.

        :raises ~flask_line.errors.LineProviderMismatch: the user's LINE id belongs to another provider.
        :raises ~flask_line.errors.NotLinkedToLine: the site user has no LINE link.
        """
        if isinstance(recipient, LineIdentity):
            provider = self._provider_of(recipient.channel_id)
            if provider != self.provider:
                raise LineProviderMismatch(
                    f"LINE user {recipient.user_id} signed in at channel {recipient.channel_id} of provider "
                    f"{provider!r}; the Messaging API channel is under {self.provider!r}"
                )
            return recipient.user_id
        if isinstance(recipient, str) and LINE_ID.fullmatch(recipient):
            return recipient
        site_user_id = _site_user_id(recipient)
        link = self._links.for_user(LINE, site_user_id)
        if link is None:
            raise NotLinkedToLine(f"Site user {site_user_id} has no linked LINE account")
        if not self.holds(link):
            raise LineProviderMismatch(
                f"Site user {site_user_id}'s LINE account is linked under {link.scope or link.channel_id}, "
                f"not under provider {self.provider!r}"
            )
        return link.subject

    def holds(self, link: AccountLink) -> bool:
        """Whether ``link`` names a LINE user id of our provider."""
        return provider_of_link(link, self._provider_of) == self.provider


class LoginProviders:
    """The LINE provider a recipient's user id belongs to, so a job can push through the Official Account of the
    shop the member signed in at.

    :param links: the account-link store (the same one LINE Login writes).
    :param provider_of: the provider of a LINE Login channel.
    """

    def __init__(self, links: AccountLinkStore, provider_of: ProviderOf) -> None:
        self._links = links
        self._provider_of = provider_of

    def of(self, recipient: Any) -> str | None:
        """The provider of a :class:`~flask_line.LineUser`'s channel, or of a site user's LINE link; None for a bare
        LINE user id (LINE's ids do not say their provider) or a site user without a link."""
        if isinstance(recipient, LineIdentity):
            return self._provider_of(recipient.channel_id)
        if isinstance(recipient, str) and LINE_ID.fullmatch(recipient):
            return None
        link = self._links.for_user(LINE, _site_user_id(recipient))
        return provider_of_link(link, self._provider_of) if link is not None else None


def provider_of_link(link: AccountLink, provider_of: ProviderOf) -> str | None:
    """The provider whose user id ``link`` names: its ``provider:`` scope, else its channel's provider (a link
    scoped to a channel, or made before scopes)."""
    if link.scope is not None and link.scope.startswith("provider:"):
        return link.scope.removeprefix("provider:")
    channel = link.channel_id if link.channel_id is not None else (link.scope or "").removeprefix("channel:")
    return provider_of(channel or None)


def _site_user_id(recipient: Any) -> str:
    if isinstance(recipient, str | int) and not isinstance(recipient, bool):
        return str(recipient)
    get_id = getattr(recipient, "get_id", None)
    value = get_id() if callable(get_id) else getattr(recipient, "id", None)
    if value is None:
        raise TypeError(
            f"Push to a LineUser, a LINE user id, or a site user (get_id() or id), not {type(recipient).__name__}"
        )
    return str(value)
