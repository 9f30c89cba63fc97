"""The app's identities, asked together: a sign-out ends what belongs to its provider, and nothing else."""

from __future__ import annotations

from typing import Protocol, TypeVar

from .._flow.pending import PendingAuthorizations


class SessionBelonging(Protocol):
    """Something kept for a browser that one provider's sign-out ends (an identity, a selected attachment)."""

    #: What this is: ``"line"``, ``"works"``, ``"attachment"``.
    provider: str
    #: The provider whose sign-out ends it (its own name for an identity).
    owner: str
    #: Kinds of pending authorization that go with it (a started attach goes with the LINE Login identity).
    pending_kinds: frozenset[str]

    def clear(self) -> None:
        """Forget it in this browser."""


BelongingT = TypeVar("BelongingT", bound=SessionBelonging)


class Identities:
    """Every identity and belonging of one app; each says whom it belongs to.

    :param pending: the pending authorizations, so a sign-out also ends what its provider had started.
    """

    def __init__(self, pending: PendingAuthorizations) -> None:
        self.pending = pending
        self._members: list[SessionBelonging] = []

    def register(self, member: BelongingT) -> BelongingT:
        """Add ``member`` (the runtime registers each when it builds it) and return it."""
        self._members.append(member)
        return member

    def sign_out(self, provider: str) -> None:
        """Clear everything ``provider`` owns, and drop the authorizations it had started."""
        kinds: set[str] = set()
        for member in self._members:
            if member.owner == provider:
                member.clear()
                kinds |= member.pending_kinds
        self.pending.drop(kinds)

    def person_changed(self, provider: str) -> None:
        """Another person signed in with ``provider``: nothing the previous one owned stays."""
        for member in self._members:
            if member.owner == provider and member.provider != provider:
                member.clear()
