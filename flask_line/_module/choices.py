"""How the Official Accounts chooser (``/line/accounts``) and the detach page show an admin's attachment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._store.attachments import ModuleAttachment


@dataclass(frozen=True)
class AccountChoice:
    """One line of the chooser: an attachment, the Official Account's name and picture, whether it is in use.

    The ``accounts`` of the ``flask_line/accounts.html`` template (a site may override it), and what
    :meth:`~flask_line.ModuleService.choices` returns for a site's own chooser.
    """

    attachment: ModuleAttachment
    name: str | None
    picture_url: str | None
    selected: bool

    @classmethod
    def of(
        cls, attachment: ModuleAttachment, info: Mapping[str, Any], current: ModuleAttachment | None
    ) -> AccountChoice:
        """``attachment`` with its Official Account's ``info`` ("Get bot info"), and whether it is ``current``."""
        selected = current is not None and current.bot_id == attachment.bot_id
        return cls(attachment, info.get("displayName"), info.get("pictureUrl"), selected)

    def to_json(self) -> dict[str, Any]:
        """What ``GET /line/accounts`` answers a JSON client with, for this line."""
        attachment = self.attachment
        return {
            "bot_id": attachment.bot_id,
            "name": self.name,
            "picture_url": self.picture_url,
            "scopes": sorted(attachment.scopes),
            "active": attachment.active,
            "selected": self.selected,
        }
