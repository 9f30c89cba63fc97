"""Account links: which site user a LINE user id (or LINE WORKS member id) belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from ..errors import AccountLinkConflict

#: ``provider`` of a LINE Login identity (its ``subject`` is the LINE user id).
LINE = "line"
#: ``provider`` of a LINE WORKS identity (its ``subject`` is the member id).
WORKS = "works"


@dataclass(frozen=True)
class AccountLink:
    """One LINE or LINE WORKS account linked to one site user."""

    #: ``"line"`` or ``"works"``.
    provider: str
    #: The LINE user id, or the LINE WORKS member id.
    subject: str
    #: The site user's id, as text (``get_id()`` of a Flask-Login user).
    user_id: str
    created_at: datetime
    #: When the link was last made or confirmed (linking the same account to the same user again).
    updated_at: datetime
    #: The LINE Login channel the account was first linked through (None: LINE WORKS, or a link made before
    #: flask-line recorded it). LINE user ids are per provider, so channels of one provider share them.
    channel_id: str | None = None
    #: Which channels may use the link: ``"provider:<id>"`` (every channel of a LINE provider),
    #: ``"channel:<id>"`` (one channel that declared no provider), or None (LINE WORKS, or made before scopes).
    scope: str | None = None


@runtime_checkable
class AccountLinkStore(Protocol):
    """The storage interface of account links: one account per provider per site user, one user per account."""

    def find(self, provider: str, subject: str) -> AccountLink | None:
        """The link of this LINE account, or None."""

    def for_user(self, provider: str, user_id: str) -> AccountLink | None:
        """The site user's link for ``provider``, or None."""

    def link(
        self,
        provider: str,
        subject: str,
        user_id: str,
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> AccountLink:
        """Link the account to the user in one transaction, replacing the user's previous account of ``provider``.

        ``channel_id`` (the LINE Login channel of the sign-in) and ``scope`` (which channels may use the link) are
        recorded with a new link; a store whose ``link`` takes neither is still accepted, and keeps neither (its
        links then read as made before scopes: usable at the channel of a single-channel app).

        :raises ~flask_line.errors.AccountLinkConflict: the account is linked to another user.
        """

    def unlink(self, provider: str, user_id: str) -> AccountLink | None:
        """Remove the user's link for ``provider``; return what was removed."""


def check_same_user(existing: AccountLink, user_id: str) -> None:
    """Raise :class:`AccountLinkConflict` when ``existing`` belongs to a user other than ``user_id``."""
    if existing.user_id != user_id:
        raise AccountLinkConflict(
            f"The {existing.provider} account {existing.subject} is linked to another site user; refusing to move it."
        )
