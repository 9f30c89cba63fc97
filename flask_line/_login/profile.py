"""LINE's profile and friendship endpoints, read with a user's access token."""

from __future__ import annotations

from .._wire.http import LineHttp
from .._wire.ids import line_id
from .._wire.tokens import LineToken
from ..errors import MissingLoginScope, UpstreamUnavailable
from .settings import LoginEndpoints
from .user import LineUser


class ProfileClient:
    """Reads who a token belongs to, and whether they are a friend of the channel's Official Account.

    :param profile_scopes: how the version's tokens name the profile permission.
    """

    def __init__(self, http: LineHttp, endpoints: LoginEndpoints, profile_scopes: frozenset[str]) -> None:
        self.http = http
        self.endpoints = endpoints
        self.profile_scopes = profile_scopes

    def profile(self, token: LineToken) -> LineUser:
        """The user's profile from the profile endpoint."""
        body = self.http.json("GET", self.endpoints.profile, headers=bearer(token))
        user_id = body.get("userId")
        if user_id is None:
            raise UpstreamUnavailable("LINE's profile response has no userId")
        return LineUser(
            user_id=line_id(user_id, "profile userId"),
            display_name=_text(body.get("displayName")),
            picture_url=_text(body.get("pictureUrl")),
            status_message=_text(body.get("statusMessage")),
            scopes=token.scopes,
        )

    def is_friend(self, token: LineToken) -> bool:
        """Whether the token's user is a friend of the channel's linked LINE Official Account.

        :raises ~flask_line.errors.MissingLoginScope: the token lacks ``profile`` (checked before any call).
        """
        if not self.profile_scopes & set(token.scopes):
            raise MissingLoginScope("Asking LINE about friendship needs the 'profile' scope, which this sign-in lacks.")
        body = self.http.json("GET", self.endpoints.friendship, headers=bearer(token))
        return body.get("friendFlag") is True


def bearer(token: LineToken) -> dict[str, str]:
    """The Authorization header for a user access token."""
    return {"Authorization": f"Bearer {token.access_token}"}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
