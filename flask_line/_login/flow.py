"""The LINE Login flow: start, complete (code exchange and the user), commit (hand the user to the identity).

One class serves every LINE Login version; what differs is read from its :class:`~.versions.LoginVersion`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .._config import ValueReader
from .._flow.authorization import AuthorizationFlow
from .._flow.pending import PendingAuthorization, PendingAuthorizations
from .._flows import LOGIN_KIND, LOGIN_SIGNALS
from .._i18n.languages import bcp47, page_locale
from .._identity.signed_in import SignedInIdentity, SignIn
from .._wire.idtoken import IdTokenVerifier
from .._wire.oauth import OAuthClient
from .._wire.tokens import LineToken
from ..errors import (
    AuthorizationDenied,
    BadRequestOption,
    CallbackError,
    LineError,
    StateError,
    TokenRequestError,
)
from .profile import ProfileClient
from .settings import JWT_RESPONSE_MODES, LoginSettings
from .user import LineUser
from .versions import LOGIN_OPTIONS, LoginVersion

#: What a callback may carry (LINE Login reference, "Receiving the authorization code"): the only claims of a
#: JWT response taken as parameters.
CALLBACK_PARAMETERS = frozenset(
    {"code", "state", "error", "error_description", "friendship_status_changed", "liffClientId", "liffRedirectUri"}
)


class LoginFlow(AuthorizationFlow[SignIn[LineUser]]):
    """LINE Login's authorization-code flow, for one channel and one version."""

    kind = LOGIN_KIND
    signals = LOGIN_SIGNALS
    callback_endpoint = "line.callback"
    start_endpoint = "line.login"
    credential_settings = "LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET"
    settings_to_check = "LINE_LOGIN_SCOPES, LINE_LOGIN_CHANNEL_ID, LINE_LOGIN_CALLBACK_URL and the login options"

    def __init__(
        self,
        settings: LoginSettings,
        version: LoginVersion,
        pending: PendingAuthorizations,
        client: OAuthClient,
        *,
        profiles: ProfileClient,
        identity: SignedInIdentity[LineUser],
        id_tokens: IdTokenVerifier | None,
    ) -> None:
        super().__init__(
            pending,
            client,
            authorize_url=settings.endpoints.authorize,
            callback_url=settings.callback_url,
            default_next=settings.default_next,
        )
        self.settings = settings
        self.version = version
        self.profiles = profiles
        self.identity = identity
        self.id_tokens = id_tokens

    @property
    def uses_nonce(self) -> bool:
        return self.version.has_id_tokens and self.settings.uses_openid

    @property
    def uses_pkce(self) -> bool:
        return self.settings.pkce

    def options_from(self, args: Mapping[str, str]) -> dict[str, Any]:
        """Per-request overrides (``?prompt=consent``...), checked like settings; a bad one is a 400."""
        named = [key for key in LOGIN_OPTIONS if key in args]
        given = {key: args[key] for key in named if args[key]}
        for key in given:
            if key not in self.version.accepted_options:
                raise BadRequestOption(key, f"is not a LINE Login v{self.version.number} option")
        read = ValueReader(given, error=BadRequestOption)
        options: dict[str, Any] = {}
        for key in given:
            allowed = LOGIN_OPTIONS[key]
            if key == "max_age":
                options[key] = str(read.optional_int(key))
            elif allowed is None:
                options[key] = _locale_list(read, key)
            else:
                options[key] = read.choice(key, allowed)
        if (
            "ui_locales" in self.version.accepted_options
            and "ui_locales" not in options
            and not self.settings.ui_locales
        ):
            # LINE's screens speak the language this site's pages speak, unless the site chose one.
            options["ui_locales"] = bcp47(page_locale())
        return options

    def authorization_params(self, pending: PendingAuthorization) -> Mapping[str, str | None]:
        return {**self.version.authorization_params(self.settings), **pending.extra}

    def retry_options(self, error: LineError) -> dict[str, str]:
        """After what may be a failed auto login, the retry turns auto login off, once (LINE's "How to handle auto
        login failure"): LINE's answer then carries a state this browser never issued (or an unusable code), and
        retrying with auto login on would fail the same way. Later sign-ins start as configured again."""
        failed_auto_login = isinstance(error, StateError) or (
            isinstance(error, TokenRequestError) and error.error == "invalid_grant"
        )
        if failed_auto_login and "disable_auto_login" in self.version.accepted_options:
            return {"disable_auto_login": "true"}
        return {}

    def asked_silently(self, pending: PendingAuthorization) -> bool:
        return self._option(pending, "prompt") == "none"

    def signal_details(self) -> dict[str, Any]:
        return {"channel_id": self.settings.channel_id}

    def denial(self, params: Mapping[str, str]) -> AuthorizationDenied:
        extra = {ours: params[theirs] for theirs, ours in self.version.denial_fields if theirs in params}
        return AuthorizationDenied(params.get("error", ""), params.get("error_description"), **extra)

    def callback_params(self, params: Mapping[str, str]) -> Mapping[str, str]:
        """With a JWT response mode LINE sends one ``response`` JWT: verified before any parameter is trusted."""
        if self.settings.response_mode not in JWT_RESPONSE_MODES:
            return params
        if self.id_tokens is None:
            raise CallbackError("A JWT response mode needs the 'openid' scope's verifier.")
        claims = self.id_tokens.verify_response(params.get("response"))
        return {key: str(value) for key, value in claims.items() if key in CALLBACK_PARAMETERS}

    def complete(self, code: str, pending: PendingAuthorization, params: Mapping[str, str]) -> SignIn[LineUser]:
        answer = self.client.exchange_code(
            self.settings.endpoints.token, code, pending.redirect_uri, pending.code_verifier
        )
        token = LineToken.from_response(answer)
        return SignIn(self._user_for(token, pending, params), token)

    def signed_in(self) -> bool:
        return bool(self.identity.current_user().is_authenticated)

    def commit(self, result: SignIn[LineUser], pending: PendingAuthorization) -> None:
        self.identity.sign_in(result.user, result.token, link_to=pending.link_to)

    def _user_for(self, token: LineToken, pending: PendingAuthorization, params: Mapping[str, str]) -> LineUser:
        if self.uses_nonce and self.id_tokens is not None:
            # Name and picture are in the ID token: no profile call, one round trip per login.
            max_age = self._option(pending, "max_age")
            claims = self.id_tokens.verify(
                token.id_token,
                pending.nonce,
                max_age=None if max_age is None else int(max_age),
                nonce_required=True,  # this login sent one: a pending authorization without it is refused
            )
            user = LineUser.from_claims(claims, _granted(token, self.settings.scopes, claims))
        else:
            user = self.profiles.profile(token)
        known: dict[str, Any] = {"channel_id": self.settings.channel_id}
        if self.version.user_scopes is not None:
            known["scopes"] = self.version.user_scopes
        changed = params.get("friendship_status_changed")
        if changed is not None:
            known["friendship_status_changed"] = changed.lower() == "true"
        return replace(user, **known)

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


def _locale_list(read: ValueReader, key: str) -> str:
    value = read.string(key)
    tags = value.split()
    if len(value) > 200 or not tags or not all(tag.replace("-", "").isalnum() and tag.isascii() for tag in tags):
        raise read.fail(key, "must be space-separated language tags such as 'ja-JP en'")
    return " ".join(tags)
