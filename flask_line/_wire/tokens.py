"""The token LINE issues for a signed-in user, as a small typed object that survives the session store."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import UpstreamUnavailable


@dataclass(frozen=True)
class LineToken:
    """An OAuth access token with what we need to refresh and revoke it. Secrets are left out of ``repr``."""

    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    #: UNIX time the access token expires, or None when LINE did not say.
    expires_at: float | None = None
    refresh_token: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()
    id_token: str | None = field(default=None, repr=False)

    def is_expired(self, leeway: float = 60.0, now: float | None = None) -> bool:
        """Whether the access token expires within ``leeway`` seconds."""
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) + leeway >= self.expires_at

    @classmethod
    def from_response(cls, body: dict[str, Any], previous: LineToken | None = None) -> LineToken:
        """Parse a token endpoint answer, tolerating added fields and ``expires_in`` sent as a string.

        ``previous`` supplies what a refresh answer may leave out (the refresh token, the scopes).
        """
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise UpstreamUnavailable("LINE's token response has no access_token")
        expires_in = parse_expires_in(body.get("expires_in"))
        scope = body.get("scope")
        scopes = tuple(str(scope).split()) if scope else (previous.scopes if previous else ())
        refresh_token = body.get("refresh_token") or (previous.refresh_token if previous else None)
        return cls(
            access_token=access_token,
            token_type=str(body.get("token_type") or "Bearer"),
            expires_at=None if expires_in is None else time.time() + expires_in,
            refresh_token=str(refresh_token) if refresh_token else None,
            scopes=scopes,
            id_token=body.get("id_token") if isinstance(body.get("id_token"), str) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """A plain dict for the session store."""
        data = dict(vars(self))  # shallow: every field is a plain value (asdict deep-copies, per login)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineToken:
        """Rebuild a token saved with :meth:`to_dict`."""
        return cls(**{**data, "scopes": tuple(data.get("scopes") or ())})


def parse_expires_in(value: Any) -> float | None:
    """LINE sends a number; LINE WORKS sends a string such as ``"86400"``. Anything else is ignored."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None
