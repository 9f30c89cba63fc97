"""LINE Login v2.1: OpenID Connect with nonce, PKCE and locally verified ID tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .._config import ConfigReader
from .._flow.pending import PendingAuthorization
from .._wire.tokens import LineToken
from ..errors import IdTokenError
from .flow import LOGIN_OPTIONS, LoginFlow
from .settings import LoginSettings, check_login_scopes, read_login_settings
from .user import LineUser


class LoginV21Flow(LoginFlow):
    """LINE Login v2.1."""

    version = "2.1"
    endpoint_prefix = "LINE_LOGIN_"
    accepted_options = frozenset(LOGIN_OPTIONS)

    @classmethod
    def load_settings(cls, read: ConfigReader) -> LoginSettings:
        settings = read_login_settings(read, cls.version, cls.endpoint_prefix)
        check_login_scopes(settings.scopes, lambda message: read.fail("LINE_LOGIN_SCOPES", message))
        return settings

    @property
    def uses_nonce(self) -> bool:
        return self.settings.uses_openid

    def authorization_params(self, pending: PendingAuthorization) -> Mapping[str, str | None]:
        settings = self.settings
        return {
            "scope": " ".join(settings.scopes),
            "response_mode": settings.response_mode if settings.response_mode != "query" else None,
            "prompt": settings.prompt,
            "bot_prompt": settings.bot_prompt,
            "ui_locales": settings.ui_locales,
            "max_age": None if settings.max_age is None else str(settings.max_age),
            **pending.extra,
        }

    def user_for(self, token: LineToken, pending: PendingAuthorization, params: Mapping[str, str]) -> LineUser:
        if self.settings.uses_openid:
            if self.id_tokens is None:
                raise IdTokenError("No ID token verifier is configured.")
            # Name and picture are in the ID token: no profile call, one round trip per login.
            claims = self.id_tokens.verify(token.id_token, pending.nonce)
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

    def revoke(self, token: LineToken) -> None:
        self.client.revoke(self.settings.endpoints.revoke, access_token=token.access_token)


def _granted(token: LineToken, requested: tuple[str, ...], claims: Mapping[str, object]) -> tuple[str, ...]:
    granted = token.scopes or requested
    # LINE's scope field never lists email even when granted; the ID token's email claim is the proof.
    if claims.get("email") and "email" not in granted:
        granted = (*granted, "email")
    return granted
