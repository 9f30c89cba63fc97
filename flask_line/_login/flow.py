"""The LINE Login flow: what every version does the same way (code exchange, profile, refresh, logout).

Each LINE Login version is a small subclass (``v21.py``, ``v20.py``) that answers what differs: its settings
rules, whether it sends a nonce, which per-request options it accepts, how it reads a denial, how it revokes.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from flask import current_app

from .._config import ConfigReader, ValueReader
from .._flow.anonymous import AnonymousUser
from .._flow.authorization import FlowSignals
from .._flow.pending import PendingAuthorization, PendingAuthorizations
from .._flow.signin import SignIn, SignInFlow
from .._store.links import LINE
from .._wire.http import LineHttp
from .._wire.idtoken import IdTokenVerifier
from .._wire.oauth import OAuthClient
from .._wire.tokens import LineToken
from ..errors import BadRequestOption, LineError, MissingLoginScope, UpstreamUnavailable
from ..signals import logged_out, login_denied, login_failed, login_succeeded, token_refreshed
from .bearer import BearerVerifier
from .settings import LoginSettings
from .user import LineUser

log = logging.getLogger("flask_line")

#: Every per-request option of ``line.login`` any version knows, and the values LINE accepts (None: any text).
LOGIN_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "prompt": ("consent", "none", "login"),
    "bot_prompt": ("normal", "aggressive"),
    "ui_locales": None,
    "max_age": None,
    "disable_auto_login": ("true", "false"),
    "disable_ios_auto_login": ("true", "false"),
    "initial_amr_display": ("lineqr",),
    "switch_amr": ("true", "false"),
}


class LoginFlow(SignInFlow[LineUser]):
    """LINE Login and the signed-in state it leaves in the session."""

    kind = "login"
    provider = LINE
    signals = FlowSignals(login_succeeded, login_denied, login_failed)
    callback_endpoint = "line.callback"
    start_endpoint = "line.login"
    credential_settings = "LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET"
    settings_to_check = "LINE_LOGIN_SCOPES, LINE_LOGIN_CHANNEL_ID, LINE_LOGIN_CALLBACK_URL and the login options"
    slot_key = "_line_login"
    refreshed_signal = token_refreshed

    #: The ``LINE_LOGIN_VERSION`` this class implements.
    version: ClassVar[str]
    #: Prefix of the config keys of this version's endpoint URLs.
    endpoint_prefix: ClassVar[str]
    #: The per-request options (names from :data:`LOGIN_OPTIONS`) this version accepts.
    accepted_options: ClassVar[frozenset[str]]
    #: Why this version should not be used (a warning at ``init_app``), or None.
    deprecation: ClassVar[str | None] = None
    #: Whether this version issues ID tokens (and so accepts credentials from LIFF and native clients).
    has_id_tokens: ClassVar[bool] = True
    #: How this version's tokens name the profile permission.
    profile_scopes: ClassVar[frozenset[str]] = frozenset({"profile"})

    def __init__(
        self,
        settings: LoginSettings,
        pending: PendingAuthorizations,
        http: LineHttp,
        id_tokens: IdTokenVerifier | None = None,
    ) -> None:
        super().__init__(
            pending,
            OAuthClient(http, settings.channel_id, settings.channel_secret),
            authorize_url=settings.endpoints.authorize,
            token_url=settings.endpoints.token,
            callback_url=settings.callback_url,
            default_next=settings.default_next,
        )
        self.settings = settings
        self.http = http
        self.id_tokens = id_tokens
        #: Verifies credentials sent instead of a session (None: this version has no ID tokens).
        self.bearer = BearerVerifier(settings, http, id_tokens) if id_tokens is not None else None

    # What each version answers ------------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def load_settings(cls, read: ConfigReader) -> LoginSettings:
        """The LINE Login settings, checked by this version's rules."""

    @abstractmethod
    def user_for(self, token: LineToken, pending: PendingAuthorization, params: Mapping[str, str]) -> LineUser:
        """The user a fresh token belongs to."""

    @abstractmethod
    def revoke(self, token: LineToken) -> None:
        """Invalidate ``token`` at LINE."""

    # Shared -------------------------------------------------------------------------------------------------

    @property
    def uses_pkce(self) -> bool:
        return self.settings.pkce

    def options_from(self, args: Mapping[str, str]) -> dict[str, Any]:
        """Per-request overrides (``?prompt=consent``...), checked like settings; a bad one is a 400."""
        given = {key: args[key] for key in LOGIN_OPTIONS if args.get(key)}
        for key in given:
            if key not in self.accepted_options:
                raise BadRequestOption(key, f"is not a LINE Login v{self.version} option")
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
        return options

    def complete(self, code: str, pending: PendingAuthorization, params: Mapping[str, str]) -> SignIn[LineUser]:
        answer = self.client.exchange_code(self.token_url, code, pending.redirect_uri, pending.code_verifier)
        token = LineToken.from_response(answer)
        return SignIn(self.user_for(token, pending, params), token)

    def user_from_dict(self, data: dict[str, Any]) -> LineUser:
        return LineUser.from_dict(data)

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

    def is_friend(self) -> bool:
        """Ask LINE whether the user is a friend of the channel's linked LINE Official Account.

        :raises ~flask_line.errors.MissingLoginScope: the user's token lacks ``profile`` (seed 004), before any call.
        """
        token = self.fresh_token()
        if not self.profile_scopes & set(token.scopes):
            raise MissingLoginScope("Asking LINE about friendship needs the 'profile' scope, which this sign-in lacks.")
        body = self.http.json("GET", self.settings.endpoints.friendship, headers=bearer(token))
        return body.get("friendFlag") is True

    def logout(self) -> LineUser | AnonymousUser:
        """Revoke the token at LINE (best effort) and forget the user; return who was signed in."""
        user = self.current_user()
        token = self.current_token()
        if token is not None:
            try:
                self.revoke(token)
            except LineError as error:
                # The local logout must still happen; the token expires at LINE on its own.
                log.warning("Could not revoke the LINE token at logout (%s)", error.code)
        self.sign_out()
        if user.is_authenticated:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            logged_out.send(app, user=user)
        return user


def bearer(token: LineToken) -> dict[str, str]:
    """The Authorization header for a user access token."""
    return {"Authorization": f"Bearer {token.access_token}"}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _locale_list(read: ValueReader, key: str) -> str:
    value = read.string(key)
    tags = value.split()
    if len(value) > 200 or not tags or not all(tag.replace("-", "").isalnum() and tag.isascii() for tag in tags):
        raise read.fail(key, "must be space-separated language tags such as 'ja-JP en'")
    return " ".join(tags)
