"""What every LINE Login version does the same way: token calls, the profile endpoint, refresh."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

from ..config import LoginSettings
from ..errors import AuthorizationDenied, UpstreamUnavailable
from ..flows import AuthorizationFlow
from ..http import LineHttp
from ..pending import PendingFlow
from ..signin import SignIn
from ..tokens import LineToken
from ..user import LineUser


class LoginProtocol(ABC):
    """The wire protocol of one LINE Login version."""

    def __init__(self, settings: LoginSettings, http: LineHttp) -> None:
        self.settings = settings
        self.http = http

    @abstractmethod
    def authorization_params(self, flow: PendingFlow) -> dict[str, str]:
        """Query parameters beyond ``response_type``, ``client_id``, ``redirect_uri`` and ``state``."""

    @abstractmethod
    def user_for(self, token: LineToken, flow: PendingFlow, params: Mapping[str, str]) -> LineUser:
        """The user a fresh token belongs to."""

    @abstractmethod
    def revoke_params(self, token: LineToken) -> dict[str, str]:
        """The form body of a revoke call."""

    def denial(self, params: Mapping[str, str]) -> AuthorizationDenied:
        """The denial in LINE's callback parameters."""
        return AuthorizationDenied(params.get("error", ""), params.get("error_description"))

    def authorization_url(self, flow: PendingFlow) -> str:
        """LINE's authorize URL for ``flow``."""
        return AuthorizationFlow.grant_uri(
            self.settings.endpoints.authorize, self.settings.channel_id, flow, self.authorization_params(flow)
        )

    def exchange(self, code: str, flow: PendingFlow, params: Mapping[str, str]) -> SignIn[LineUser]:
        """Trade the code for a token, then identify the user."""
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.redirect_uri,
            "client_id": self.settings.channel_id,
            "client_secret": self.settings.channel_secret,
        }
        if flow.code_verifier:
            body["code_verifier"] = flow.code_verifier
        token = LineToken.from_response(self.http.json("POST", self.settings.endpoints.token, data=body))
        return SignIn(self.user_for(token, flow, params), token)

    def refresh(self, token: LineToken) -> LineToken:
        """A new access token from the refresh token."""
        body = {
            "grant_type": "refresh_token",
            "refresh_token": token.refresh_token or "",
            "client_id": self.settings.channel_id,
            "client_secret": self.settings.channel_secret,
        }
        answer = self.http.json("POST", self.settings.endpoints.token, data=body)
        return LineToken.from_response(answer, previous=token)

    def revoke(self, token: LineToken) -> None:
        """Invalidate the token at LINE."""
        self.http.send("POST", self.settings.endpoints.revoke, data=self.revoke_params(token))

    def profile(self, token: LineToken) -> LineUser:
        """The user's profile from the profile endpoint."""
        body = self.http.json("GET", self.settings.endpoints.profile, headers=bearer(token))
        user_id = body.get("userId")
        if not isinstance(user_id, str) or not user_id:
            raise UpstreamUnavailable("LINE's profile response has no userId")
        return LineUser(
            user_id=user_id,
            display_name=_text(body.get("displayName")),
            picture_url=_text(body.get("pictureUrl")),
            status_message=_text(body.get("statusMessage")),
            scopes=token.scopes,
        )

    def is_friend(self, token: LineToken) -> bool:
        """Whether the user is a friend of the LINE Official Account linked to the channel."""
        body = self.http.json("GET", self.settings.endpoints.friendship, headers=bearer(token))
        return body.get("friendFlag") is True


def bearer(token: LineToken) -> dict[str, str]:
    """The Authorization header for a user access token."""
    return {"Authorization": f"Bearer {token.access_token}"}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
