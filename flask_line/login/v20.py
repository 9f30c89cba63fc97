"""LINE Login v2.0 (deprecated by LINE, still served): no scopes, no OpenID Connect, legacy error fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..errors import AuthorizationDenied
from ..pending import PendingFlow
from ..tokens import LineToken
from ..user import LineUser
from .protocol import LoginProtocol


class LoginV20(LoginProtocol):
    """The LINE Login v2.0 wire protocol: the user comes from the profile endpoint."""

    def authorization_params(self, flow: PendingFlow) -> dict[str, str]:
        return {}

    def user_for(self, token: LineToken, flow: PendingFlow, params: Mapping[str, str]) -> LineUser:
        # v2.0 reports the profile permission as scope "P"; expose it under its v2.1 name.
        return replace(self.profile(token), scopes=("profile",))

    def revoke_params(self, token: LineToken) -> dict[str, str]:
        # v2.0 revokes with the refresh token, not the access token.
        return {"refresh_token": token.refresh_token or ""}

    def denial(self, params: Mapping[str, str]) -> AuthorizationDenied:
        # v2.0 sends errorCode=417 and errorMessage=DISALLOWED beside error=access_denied.
        extra = {
            name: params[key]
            for key, name in (("errorCode", "error_code"), ("errorMessage", "error_message"))
            if key in params
        }
        return AuthorizationDenied(params.get("error", ""), params.get("error_description"), **extra)
