"""Which attachment this browser session works with (``current_attachment``)."""

from __future__ import annotations

from flask import g, session

from .._store.attachments import AttachmentStore, ModuleAttachment

SESSION_KEY = "_line_module"


class AttachmentSelection:
    """The session's selected bot, looked up in the store once per request."""

    def __init__(self, store: AttachmentStore) -> None:
        self.store = store

    def remember(self, bot_id: str) -> None:
        """Select ``bot_id`` (after an attach, or when the app switches bots)."""
        session[SESSION_KEY] = {"selected": bot_id}
        g.pop(SESSION_KEY, None)

    def forget(self, bot_id: str) -> None:
        """Unselect ``bot_id`` if it is the selected one (after a detach)."""
        if (session.get(SESSION_KEY) or {}).get("selected") == bot_id:
            session.pop(SESSION_KEY, None)
        g.pop(SESSION_KEY, None)

    def current(self) -> ModuleAttachment | None:
        """The selected attachment, or None (nothing selected, or detached since)."""
        if SESSION_KEY not in g:
            bot_id = (session.get(SESSION_KEY) or {}).get("selected")
            setattr(g, SESSION_KEY, self.store.get(bot_id) if bot_id else None)
        attachment: ModuleAttachment | None = g.get(SESSION_KEY)
        return attachment
