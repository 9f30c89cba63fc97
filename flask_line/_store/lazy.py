"""Stores built on first use: an unused store costs no import, no file and no database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from .abilities import claim
from .links import AccountLink, AccountLinkStore

if TYPE_CHECKING:  # module attachments load with the module channel
    from .attachments import AttachmentStore, ModuleAttachment

T = TypeVar("T")


class OnFirstUse(Generic[T]):
    """What ``build`` returns, built once (thread-safely) when :meth:`get` is first called."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._built: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        """The built object."""
        if self._built is None:
            with self._lock:
                if self._built is None:
                    self._built = self._build()
        return self._built

    @property
    def built(self) -> bool:
        """Whether :meth:`get` has built it already."""
        return self._built is not None

    def __repr__(self) -> str:
        return f"<OnFirstUse {'built' if self._built is not None else 'not built yet'}>"


class LazyAttachments:
    """An :class:`AttachmentStore` (with ``claim``) built at its first use."""

    def __init__(self, build: Callable[[], AttachmentStore]) -> None:
        self.store = OnFirstUse(build)

    def save(self, attachment: ModuleAttachment) -> None:
        self.store.get().save(attachment)

    def claim(self, attachment: ModuleAttachment) -> ModuleAttachment:
        """Save ``attachment`` unless another admin owns its bot; what is stored."""
        return claim(self.store.get(), attachment)

    def get(self, bot_id: str) -> ModuleAttachment | None:
        return self.store.get().get(bot_id)

    def delete(self, bot_id: str) -> bool:
        return self.store.get().delete(bot_id)

    def list(self) -> list[ModuleAttachment]:
        return self.store.get().list()


class LazyLinks:
    """An :class:`AccountLinkStore` built at its first use (one of flask-line's: it records channel and scope)."""

    def __init__(self, build: Callable[[], AccountLinkStore]) -> None:
        self.store = OnFirstUse(build)

    def find(self, provider: str, subject: str) -> AccountLink | None:
        return self.store.get().find(provider, subject)

    def for_user(self, provider: str, user_id: str) -> AccountLink | None:
        return self.store.get().for_user(provider, user_id)

    def link(
        self,
        provider: str,
        subject: str,
        user_id: str,
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> AccountLink:
        return self.store.get().link(provider, subject, user_id, channel_id=channel_id, scope=scope)

    def unlink(self, provider: str, user_id: str) -> AccountLink | None:
        return self.store.get().unlink(provider, user_id)
