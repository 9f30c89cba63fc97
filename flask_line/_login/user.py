"""The user signed in with LINE Login."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._wire.ids import line_id


@dataclass(frozen=True)
class LineUser:
    """A user signed in with LINE Login."""

    user_id: str
    display_name: str | None = None
    picture_url: str | None = None
    email: str | None = None
    status_message: str | None = None
    #: Authentication methods LINE used (``pwd``, ``lineqr``, ``lineautologin``...), from the ID token.
    amr: tuple[str, ...] = ()
    #: Scopes the user granted.
    scopes: tuple[str, ...] = ()
    #: With ``bot_prompt``: whether the user's friendship with the linked OA changed during login.
    friendship_status_changed: bool | None = None
    #: The LINE Login channel the user signed in through (signals carry it: many channels may share one app).
    channel_id: str | None = None

    #: Always True for a signed-in user (the attribute Flask-Login-style code checks).
    is_authenticated = True
    is_anonymous = False

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for the session store."""
        data = dict(vars(self))  # shallow: every field is a plain value
        data["amr"] = list(self.amr)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any], scopes: tuple[str, ...]) -> LineUser:
        """The user a verified ID token names (``sub``, ``name``, ``picture``, ``email``, ``amr``)."""
        return cls(
            user_id=line_id(claims.get("sub"), "ID token's sub"),
            display_name=claims.get("name"),
            picture_url=claims.get("picture"),
            email=claims.get("email"),
            amr=tuple(claims.get("amr") or ()),
            scopes=scopes,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineUser:
        """Rebuild a user saved with :meth:`to_dict`."""
        return cls(**{**data, "amr": tuple(data.get("amr") or ()), "scopes": tuple(data.get("scopes") or ())})
