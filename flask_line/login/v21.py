"""LINE Login v2.1: OpenID Connect with nonce, PKCE and locally verified ID tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ..config import LoginSettings
from ..http import LineHttp
from ..idtoken import IdTokenVerifier
from ..pending import PendingFlow
from ..tokens import LineToken
from ..user import LineUser
from .protocol import LoginProtocol

#: Per-request options of ``line.login`` and the values LINE accepts for each (None: any text).
LOGIN_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "prompt": ("consent", "none", "login"),
    "bot_prompt": ("normal", "aggressive"),
    "ui_locales": None,
    "max_age": None,
    "disable_auto_login": ("true", "false"),
    "initial_amr_display": ("lineqr",),
    "switch_amr": ("true", "false"),
}


class LoginV21(LoginProtocol):
    """The LINE Login v2.1 wire protocol."""

    def __init__(self, settings: LoginSettings, http: LineHttp, id_tokens: IdTokenVerifier) -> None:
        super().__init__(settings, http)
        self.id_tokens = id_tokens

    def authorization_params(self, flow: PendingFlow) -> dict[str, str]:
        settings = self.settings
        params: dict[str, str] = {"scope": " ".join(settings.scopes)}
        if settings.response_mode != "query":
            params["response_mode"] = settings.response_mode
        defaults = {
            "prompt": settings.prompt,
            "bot_prompt": settings.bot_prompt,
            "ui_locales": settings.ui_locales,
            "max_age": None if settings.max_age is None else str(settings.max_age),
        }
        params.update({key: value for key, value in defaults.items() if value is not None})
        params.update(flow.extra)
        return params

    def user_for(self, token: LineToken, flow: PendingFlow, params: Mapping[str, str]) -> LineUser:
        if self.settings.uses_openid:
            # Name and picture are in the ID token: no profile call, one round trip per login.
            claims = self.id_tokens.verify(token.id_token, flow.nonce)
            user = LineUser(
                user_id=claims["sub"],
                display_name=claims.get("name"),
                picture_url=claims.get("picture"),
                email=claims.get("email"),
                amr=tuple(claims.get("amr") or ()),
                scopes=_granted(token, self.settings.scopes, claims),
            )
        else:
            user = self.profile(token)
        changed = params.get("friendship_status_changed")
        if changed is not None:
            user = replace(user, friendship_status_changed=changed.lower() == "true")
        return user

    def revoke_params(self, token: LineToken) -> dict[str, str]:
        return {
            "access_token": token.access_token,
            "client_id": self.settings.channel_id,
            "client_secret": self.settings.channel_secret,
        }


def _granted(token: LineToken, requested: tuple[str, ...], claims: Mapping[str, object]) -> tuple[str, ...]:
    granted = token.scopes or requested
    # LINE's scope field never lists email even when granted; the ID token's email claim is the proof.
    if claims.get("email") and "email" not in granted:
        granted = (*granted, "email")
    return granted
