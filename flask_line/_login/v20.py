"""LINE Login v2.0 (deprecated by LINE, still served): no scopes, no OpenID Connect, legacy error fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .._config import ConfigReader
from .._flow.pending import PendingAuthorization
from .._wire.tokens import LineToken
from ..errors import AuthorizationDenied
from .flow import LoginFlow
from .settings import LoginSettings, read_login_settings
from .user import LineUser

_ONLY_V21 = "is a LINE Login v2.1 feature; LINE_LOGIN_VERSION is '2.0'"


class LoginV20Flow(LoginFlow):
    """LINE Login v2.0: the user comes from the profile endpoint."""

    version = "2.0"
    endpoint_prefix = "LINE_LOGIN_V20_"
    accepted_options = frozenset[str]()
    deprecation = "LINE Login v2.0 is deprecated by LINE; set LINE_LOGIN_VERSION='2.1' to migrate."
    has_id_tokens = False
    # v2.0 tokens report the profile permission as "P".
    profile_scopes = frozenset({"P", "profile"})

    @classmethod
    def load_settings(cls, read: ConfigReader) -> LoginSettings:
        """Settings only v2.1 understands are errors here, so a half-migrated config fails loudly."""
        settings = read_login_settings(read, cls.version, cls.endpoint_prefix)
        if read.is_set("LINE_LOGIN_SCOPES") and set(settings.scopes) - {"profile"}:
            raise read.fail("LINE_LOGIN_SCOPES", f"'openid'/'email' {_ONLY_V21} (v2.0 has no scopes)")
        if settings.bot_prompt:
            raise read.fail("LINE_LOGIN_BOT_PROMPT", _ONLY_V21)
        if read.is_set("LINE_LOGIN_PKCE") and settings.pkce:
            raise read.fail("LINE_LOGIN_PKCE", _ONLY_V21 + " (set it to False)")
        if settings.response_mode != "query":
            raise read.fail("LINE_LOGIN_RESPONSE_MODE", _ONLY_V21)
        for key in ("LINE_LOGIN_PROMPT", "LINE_LOGIN_UI_LOCALES", "LINE_LOGIN_MAX_AGE"):
            if read.raw(key) not in (None, ""):
                raise read.fail(key, _ONLY_V21)
        # v2.0 has no scope parameter and no PKCE: the token always carries the profile permission.
        return replace(settings, scopes=("profile",), pkce=False)

    @property
    def uses_nonce(self) -> bool:
        return False

    def authorization_params(self, pending: PendingAuthorization) -> Mapping[str, str | None]:
        return {}

    def user_for(self, token: LineToken, pending: PendingAuthorization, params: Mapping[str, str]) -> LineUser:
        # v2.0 reports the profile permission as scope "P"; expose it under its v2.1 name.
        return replace(self.profile(token), scopes=("profile",))

    def revoke(self, token: LineToken) -> None:
        # v2.0 revokes with the refresh token, and sends no client credentials.
        self.client.revoke(self.settings.endpoints.revoke, authenticate=False, refresh_token=token.refresh_token or "")

    def denial(self, params: Mapping[str, str]) -> AuthorizationDenied:
        # v2.0 sends errorCode=417 and errorMessage=DISALLOWED beside error=access_denied.
        extra = {
            name: params[key]
            for key, name in (("errorCode", "error_code"), ("errorMessage", "error_message"))
            if key in params
        }
        return AuthorizationDenied(params.get("error", ""), params.get("error_description"), **extra)
