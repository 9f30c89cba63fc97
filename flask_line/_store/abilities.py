"""What a store may do beyond its storage interface, as small protocols checked once when the store is set up.

A store is asked ``isinstance(store, Ability)`` when the runtime is built, never probed with ``getattr`` in the
middle of a request, so a store without an ability takes the documented other path from the start.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .links import AccountLink, AccountLinkStore

if TYPE_CHECKING:  # module attachments load with the module channel
    from .attachments import AttachmentStore, ModuleAttachment


@runtime_checkable
class ClaimingStore(Protocol):
    """An attachment store that saves an attachment unless another admin owns its bot, in one transaction."""

    def claim(self, attachment: ModuleAttachment) -> ModuleAttachment:
        """Save ``attachment`` unless another admin owns its bot; return what is stored."""


@runtime_checkable
class SiteUserLinks(Protocol):
    """A link store sharing the site's ORM session: a first sign-in's new user and its link in one transaction."""

    def link_new_user(
        self,
        provider: str,
        subject: str,
        make_user: Callable[[], Any],
        id_of: Callable[[Any], str],
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> tuple[Any, AccountLink]:
        """Write the user ``make_user`` adds and its link together; return both."""


@runtime_checkable
class ManagedDatabase(Protocol):
    """A database whose flask-line tables ``flask line db`` creates, checks and upgrades."""

    def create(self) -> None:
        """Create the missing tables."""

    def upgrade(self) -> list[str]:
        """Create missing tables and add missing columns; what was done."""

    def problems(self) -> list[str]:
        """What differs between the database and this version's tables."""


@runtime_checkable
class DatabaseBacked(Protocol):
    """A store kept in a :class:`ManagedDatabase` (the SQLAlchemy stores)."""

    database: ManagedDatabase


def may_replace(stored: ModuleAttachment, new: ModuleAttachment) -> bool:
    """Whether ``new`` may replace ``stored``: nobody owns it yet, or the same admin attached again."""
    return stored.attached_by is None or stored.attached_by == new.attached_by


def claim(store: AttachmentStore, attachment: ModuleAttachment) -> ModuleAttachment:
    """Save ``attachment`` in ``store`` unless another admin owns its bot; what is stored.

    A :class:`ClaimingStore` does it in one transaction; any other is asked ``get`` then ``save`` (right for one
    process, not atomic across them).
    """
    if isinstance(store, ClaimingStore):
        return store.claim(attachment)
    owner = store.get(attachment.bot_id)
    if owner is not None and not may_replace(owner, attachment):
        return owner
    store.save(attachment)
    return attachment


def records_link_origin(store: AccountLinkStore) -> bool:
    """Whether ``store.link`` takes ``channel_id`` and ``scope`` (a store written before links recorded them
    does not, and keeps working: it is simply not told). Asked once, when the store is set up."""
    parameters = inspect.signature(store.link).parameters
    return {"channel_id", "scope"} <= set(parameters)
