"""LINE Login for one app: the login flow, the signed-in user, and their token (refresh, revoke)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from flask import current_app
from werkzeug.datastructures import MultiDict

from .. import signals
from ..config import ConfigReader, LoginSettings
from ..errors import BadRequestOption, LineError, NotAuthenticated, TokenRequestError
from ..flows import AuthorizationFlow, FlowSignals
from ..pending import PendingFlow, PendingFlows
from ..sessions import SignedInSlot
from ..tokens import LineToken
from ..user import AnonymousUser, LineUser
from .protocol import LoginProtocol, LoginResult
from .v21 import LOGIN_OPTIONS

log = logging.getLogger("flask_line")

#: Refresh an access token this many seconds before it expires.
REFRESH_LEEWAY = 60


class LineLogin(AuthorizationFlow[LoginResult]):
    """The LINE Login flow and the signed-in state it leaves in the session."""

    kind = "login"
    signals = FlowSignals(signals.login_succeeded, signals.login_denied, signals.login_failed)
    callback_endpoint = "line.callback"

    def __init__(self, settings: LoginSettings, pending: PendingFlows, protocol: LoginProtocol) -> None:
        super().__init__(pending, callback_url=settings.callback_url, default_next=settings.default_next)
        self.settings = settings
        self.protocol = protocol
        self.slot = SignedInSlot("_line_login")

    @property
    def uses_nonce(self) -> bool:
        return self.settings.version == "2.1" and self.settings.uses_openid

    @property
    def uses_pkce(self) -> bool:
        return self.settings.pkce

    def options_from(self, args: MultiDict[str, str]) -> dict[str, Any]:
        """Per-request overrides (``?prompt=consent``...), checked like settings; a bad one is a 400."""
        given = {key: args[key] for key in LOGIN_OPTIONS if args.get(key)}
        if given and self.settings.version == "2.0":
            raise BadRequestOption(next(iter(given)), "is a LINE Login v2.1 option")
        read = ConfigReader(given, error=BadRequestOption)
        options: dict[str, Any] = {}
        for key, allowed in LOGIN_OPTIONS.items():
            if key not in given:
                continue
            if key == "max_age":
                options[key] = str(read.optional_int(key))
            elif allowed is None:
                options[key] = _locale_list(read, key)
            else:
                options[key] = read.choice(key, allowed)
        return options

    def authorization_url(self, flow: PendingFlow) -> str:
        return self.protocol.authorization_url(flow)

    def complete(self, code: str, flow: PendingFlow, params: Mapping[str, str]) -> LoginResult:
        return self.protocol.exchange(code, flow, params)

    def commit(self, result: LoginResult, flow: PendingFlow) -> None:
        self.slot.save({"user": result.user.to_dict(), "token": result.token.to_dict()}, new_login=True)
        log.info("LINE Login succeeded for %s", result.user.user_id)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.signals.succeeded.send(app, user=result.user, token=result.token)

    def denial(self, params: Mapping[str, str]) -> Any:
        return self.protocol.denial(params)

    # The signed-in state ---------------------------------------------------------------------------------------

    def current_user(self) -> LineUser | AnonymousUser:
        """The signed-in user, or an :class:`AnonymousUser`."""
        record = self.slot.load()
        return LineUser.from_dict(record["user"]) if record else AnonymousUser()

    def current_token(self) -> LineToken | None:
        """The signed-in user's token as stored (possibly expired), or None."""
        record = self.slot.load()
        return LineToken.from_dict(record["token"]) if record else None

    def fresh_token(self) -> LineToken:
        """The user's token, refreshed first when it has expired; raise :class:`NotAuthenticated` if impossible."""
        token = self.current_token()
        if token is None:
            raise NotAuthenticated("Nobody is signed in with LINE.")
        if not token.is_expired(REFRESH_LEEWAY, time.time()):
            return token
        if not token.refresh_token:
            self.slot.clear()
            raise NotAuthenticated("The LINE access token expired and cannot be refreshed.")
        try:
            token = self.protocol.refresh(token)
        except TokenRequestError as error:
            # LINE refused the refresh token (expired after 90 days, or revoked): the user must sign in again.
            log.info("LINE refused the refresh token (%s); signing the user out", error.error)
            self.slot.clear()
            raise NotAuthenticated("The LINE session expired; please sign in again.") from None
        record = self.slot.load() or {}
        self.slot.save({**record, "token": token.to_dict()}, new_login=False)
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        signals.token_refreshed.send(app, token=token)
        return token

    def is_friend(self) -> bool:
        """Ask LINE whether the user is a friend of the channel's linked LINE Official Account."""
        return self.protocol.is_friend(self.fresh_token())

    def logout(self) -> LineUser | AnonymousUser:
        """Revoke the token at LINE (best effort) and forget the user; return who was signed in."""
        user = self.current_user()
        token = self.current_token()
        if token is not None:
            try:
                self.protocol.revoke(token)
            except LineError as error:
                # The local logout must still happen; the token expires at LINE on its own.
                log.warning("Could not revoke the LINE token at logout (%s)", error.code)
        self.slot.clear()
        if user.is_authenticated:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            signals.logged_out.send(app, user=user)
        return user


def _locale_list(read: ConfigReader, key: str) -> str:
    value = read.string(key)
    tags = value.split()
    if len(value) > 200 or not tags or not all(tag.replace("-", "").isalnum() and tag.isascii() for tag in tags):
        raise read.fail(key, "must be space-separated language tags such as 'ja-JP en'")
    return " ".join(tags)
