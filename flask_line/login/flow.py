"""LINE Login for one app: the login flow, the signed-in user, and their token (refresh, revoke)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import current_app
from werkzeug.datastructures import MultiDict

from ..config import ConfigReader, LoginSettings
from ..errors import AuthorizationDenied, BadRequestOption, LineError
from ..flows import FlowSignals
from ..pending import PendingFlow, PendingFlows
from ..signals import logged_out, login_denied, login_failed, login_succeeded, token_refreshed
from ..signin import SignIn, SignInFlow
from ..tokens import LineToken
from ..user import AnonymousUser, LineUser
from .protocol import LoginProtocol
from .v21 import LOGIN_OPTIONS

log = logging.getLogger("flask_line")


class LineLogin(SignInFlow[LineUser]):
    """The LINE Login flow and the signed-in state it leaves in the session."""

    kind = "login"
    signals = FlowSignals(login_succeeded, login_denied, login_failed)
    callback_endpoint = "line.callback"
    slot_key = "_line_login"
    refreshed_signal = token_refreshed

    def __init__(self, settings: LoginSettings, pending: PendingFlows, protocol: LoginProtocol) -> None:
        super().__init__(pending, callback_url=settings.callback_url, default_next=settings.default_next)
        self.settings = settings
        self.protocol = protocol

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

    def complete(self, code: str, flow: PendingFlow, params: Mapping[str, str]) -> SignIn[LineUser]:
        return self.protocol.exchange(code, flow, params)

    def denial(self, params: Mapping[str, str]) -> AuthorizationDenied:
        return self.protocol.denial(params)

    def user_from_dict(self, data: dict[str, Any]) -> LineUser:
        return LineUser.from_dict(data)

    def refresh(self, token: LineToken) -> LineToken:
        return self.protocol.refresh(token)

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
            logged_out.send(app, user=user)
        return user


def _locale_list(read: ConfigReader, key: str) -> str:
    value = read.string(key)
    tags = value.split()
    if len(value) > 200 or not tags or not all(tag.replace("-", "").isalnum() and tag.isascii() for tag in tags):
        raise read.fail(key, "must be space-separated language tags such as 'ja-JP en'")
    return " ".join(tags)
