"""Which attachment this browser works with (``current_attachment``): the module's part of a signed-in session."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from flask import g

from .._identity.storage import IdentityStorage, MappingStorage, SessionStorage
from .._sessions.keys import SELECTED_ATTACHMENT_KEY
from .._store.attachments import AttachmentStore, ModuleAttachment
from .._store.links import LINE
from .settings import ATTACH_KIND


class AttachmentSelection:
    """The browser's selected bot, looked up in the store once per request.

    It belongs to the LINE Login identity: that person's sign-out, or another person's sign-in, clears it (the
    app's :class:`~flask_line._identity.household.Identities` asks it).

    :param channel: the module channel; a selection another channel made reads as none.
    """

    provider = "attachment"
    owner = LINE
    pending_kinds = frozenset({ATTACH_KIND})

    def __init__(self, store: AttachmentStore, channel: str, storage: IdentityStorage | None = None) -> None:
        self.store = store
        self.channel = channel
        self.storage: IdentityStorage = storage or SessionStorage()

    def remember(
        self, bot_id: str, *, asked: frozenset[str] = frozenset(), session: MutableMapping[str, Any] | None = None
    ) -> None:
        """Select ``bot_id`` (after an attach, or when the app switches bots).

        :param asked: the scopes the attach that selected it asked for (what the admin may have declined).
        :param session: write into this mapping (a test client's ``session_transaction()``) instead.
        """
        record = {"channel": self.channel, "selected": bot_id, "asked": sorted(asked)}
        if session is not None:
            MappingStorage(session).set(SELECTED_ATTACHMENT_KEY, record, new_login=False)
            return
        self.storage.set(SELECTED_ATTACHMENT_KEY, record, new_login=False)
        g.pop(_LOOKED_UP, None)

    def selected_bot_id(self, session: MutableMapping[str, Any] | None = None) -> str | None:
        """The selected bot id as stored (it may have been detached since), or None (``session``: as above)."""
        storage = self.storage if session is None else MappingStorage(session)
        record = storage.get(SELECTED_ATTACHMENT_KEY) or {}
        bot_id = record.get("selected") if record.get("channel") == self.channel else None
        return bot_id if isinstance(bot_id, str) and bot_id else None

    def declined(self, attachment: ModuleAttachment) -> frozenset[str]:
        """Scopes this browser's last attach of ``attachment`` asked for and LINE did not grant."""
        record = self.storage.get(SELECTED_ATTACHMENT_KEY) or {}
        if record.get("channel") != self.channel or record.get("selected") != attachment.bot_id:
            return frozenset()
        return frozenset(record.get("asked") or ()) - attachment.scopes

    def forget(self, bot_id: str) -> None:
        """Unselect ``bot_id`` if it is the selected one (after a detach)."""
        if self.selected_bot_id() == bot_id:
            self.clear()

    def clear(self) -> None:
        """Unselect whatever is selected."""
        self.storage.delete(SELECTED_ATTACHMENT_KEY)
        g.pop(_LOOKED_UP, None)

    def current(self) -> ModuleAttachment | None:
        """The selected attachment, or None (nothing selected, or detached since); one store read per request."""
        if _LOOKED_UP not in g:
            bot_id = self.selected_bot_id()
            setattr(g, _LOOKED_UP, self.store.get(bot_id) if bot_id else None)
        attachment: ModuleAttachment | None = g.get(_LOOKED_UP)
        return attachment


#: Where ``flask.g`` keeps the selected attachment for the rest of the request.
_LOOKED_UP = "_line_selected_attachment"
