"""The member signed in with LINE WORKS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WorksUser:
    """A LINE WORKS member signed in through ``line.works_login``."""

    user_id: str
    name: str | None = None
    email: str | None = None
    domain_id: str | None = None
    locale: str | None = None
    scopes: tuple[str, ...] = ()

    is_authenticated = True
    is_anonymous = False

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for the session store."""
        return {**vars(self), "scopes": list(self.scopes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WorksUser:
        """Rebuild a user saved with :meth:`to_dict`."""
        return cls(**{**data, "scopes": tuple(data.get("scopes") or ())})
