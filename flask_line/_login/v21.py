"""LINE Login v2.1: OpenID Connect with nonce, PKCE and locally verified ID tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .._config import ConfigReader
from .._flow.pending import PendingAuthorization
from .._wire.tokens import LineToken
from ..errors import CallbackError
from .flow import LOGIN_OPTIONS, LoginFlow
from .settings import JWT_RESPONSE_MODES, LoginSettings, check_login_scopes, read_login_settings
from .user import LineUser

#: What a callback may carry (seed 004), the only claims of a JWT response taken as parameters.
CALLBACK_PARAMETERS = frozenset(
    {"code", "state", "error", "error_description", "friendship_status_changed", "liffClientId", "liffRedirectUri"}
)


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

    def asked_silently(self, pending: PendingAuthorization) -> bool:
        return self._option(pending, "prompt") == "none"

    def callback_params(self, params: Mapping[str, str]) -> Mapping[str, str]:
        """With a JWT response mode LINE sends one ``response`` JWT: verified before any parameter is trusted."""
        if self.settings.response_mode not in JWT_RESPONSE_MODES:
            return params
        if self.id_tokens is None:
            raise CallbackError("A JWT response mode needs the 'openid' scope's verifier.")
        claims = self.id_tokens.verify_response(params.get("response"))
        return {key: str(value) for key, value in claims.items() if key in CALLBACK_PARAMETERS}

    def user_for(self, token: LineToken, pending: PendingAuthorization, params: Mapping[str, str]) -> LineUser:
        if self.settings.uses_openid and self.id_tokens is not None:
            # Name and picture are in the ID token: no profile call, one round trip per login.
            max_age = self._option(pending, "max_age")
            claims = self.id_tokens.verify(
                token.id_token, pending.nonce, max_age=None if max_age is None else int(max_age)
            )
            user = LineUser.from_claims(claims, _granted(token, self.settings.scopes, claims))
        else:
            user = self.profile(token)
        changed = params.get("friendship_status_changed")
        if changed is not None:
            user = replace(user, friendship_status_changed=changed.lower() == "true")
        return user

    def revoke(self, token: LineToken) -> None:
        self.client.revoke(self.settings.endpoints.revoke, access_token=token.access_token)

    def _option(self, pending: PendingAuthorization, name: str) -> str | None:
        """The value of authorize option ``name`` this request was sent with (its own, else the setting)."""
        if name in pending.extra:
            value = pending.extra[name]
            return None if value is None else str(value)
        setting = getattr(self.settings, name)
        return None if setting is None else str(setting)


def _granted(token: LineToken, requested: tuple[str, ...], claims: Mapping[str, object]) -> tuple[str, ...]:
    granted = token.scopes or requested
    # LINE's scope field never lists email even when granted; the ID token's email claim is the proof.
    if claims.get("email") and "email" not in granted:
        granted = (*granted, "email")
    return granted
