"""The browser redirect dance shared by every flow: start, go to LINE, come back, verify, commit.

A flow (LINE Login, module attach, LINE WORKS sign-in) supplies the LINE-specific parts; this module owns
state, nonce, PKCE, the ``next`` target, denial and failure handling, signals and logging, so every flow
follows the same rules and a failure anywhere leaves the signed-in state untouched.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from blinker import NamedSignal
from flask import current_app, redirect, url_for
from werkzeug.wrappers import Response

from .errors import AuthorizationDenied, CallbackError, LineError
from .pending import PendingFlow, PendingFlows
from .redirects import safe_next

log = logging.getLogger("flask_line")

ResultT = TypeVar("ResultT")

#: Longest authorization code we pass on to LINE; anything longer is not LINE's.
MAX_CODE_LENGTH = 2048


@dataclass(frozen=True)
class FlowSignals:
    """The three outcomes every flow reports."""

    succeeded: NamedSignal
    denied: NamedSignal
    failed: NamedSignal


class AuthorizationFlow(ABC, Generic[ResultT]):
    """One authorization-code flow with a callback on our blueprint."""

    #: Name stored with the pending state; a callback only accepts states of its own kind.
    kind: str
    signals: FlowSignals
    #: Blueprint endpoint of the callback.
    callback_endpoint: str

    def __init__(self, pending: PendingFlows, *, callback_url: str | None, default_next: str) -> None:
        self.pending = pending
        self.callback_url = callback_url
        self.default_next = default_next

    # What a flow supplies ------------------------------------------------------------------------------------

    @property
    @abstractmethod
    def uses_nonce(self) -> bool:
        """Whether the flow sends a nonce (OpenID Connect)."""

    @property
    @abstractmethod
    def uses_pkce(self) -> bool:
        """Whether the flow sends a PKCE challenge."""

    @abstractmethod
    def authorization_url(self, flow: PendingFlow) -> str:
        """LINE's authorization URL for ``flow``."""

    @abstractmethod
    def complete(self, code: str, flow: PendingFlow, params: Mapping[str, str]) -> ResultT:
        """Exchange ``code`` and verify everything LINE sent; no session writes here."""

    @abstractmethod
    def commit(self, result: ResultT, flow: PendingFlow) -> None:
        """Save the verified result and send the success signal."""

    def denial(self, params: Mapping[str, str]) -> AuthorizationDenied:
        """The denial LINE reported in ``params``."""
        return AuthorizationDenied(params.get("error", ""), params.get("error_description"))

    # The dance ------------------------------------------------------------------------------------------------

    @staticmethod
    def grant_uri(authorize_url: str, client_id: str, flow: PendingFlow, params: Mapping[str, str | None]) -> str:
        """``authorize_url`` with the standard parameters, the flow's nonce and PKCE challenge, and ``params``."""
        query = {key: value for key, value in params.items() if value is not None}
        if flow.nonce:
            query["nonce"] = flow.nonce
        if flow.code_verifier:
            query["code_challenge"] = create_s256_code_challenge(flow.code_verifier)
            query["code_challenge_method"] = "S256"
        return prepare_grant_uri(  # type: ignore[no-any-return]
            authorize_url, client_id, "code", redirect_uri=flow.redirect_uri, state=flow.state, **query
        )

    def redirect_uri(self) -> str:
        """The callback URL LINE redirects to: the configured one, or ours made external."""
        return self.callback_url or url_for(self.callback_endpoint, _external=True)

    def start(self, next_target: object, extra: dict[str, Any] | None = None) -> Response:
        """Create a pending flow and send the browser to LINE."""
        flow = self.pending.begin(
            self.kind,
            self.redirect_uri(),
            safe_next(next_target, self.default_next),
            nonce=self.uses_nonce,
            pkce=self.uses_pkce,
            extra=extra,
        )
        return redirect(self.authorization_url(flow))

    def finish(self, params: Mapping[str, str]) -> Response:
        """Handle the callback; on any error send the signal, log, and re-raise for the error handler."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            if params.get("error"):
                self._raise_denial(params)
            flow = self.pending.finish(self.kind, params.get("state"))
            code = params.get("code")
            if not code or len(code) > MAX_CODE_LENGTH:
                raise CallbackError("The callback carries no valid authorization code.")
            result = self.complete(code, flow, params)
            self.commit(result, flow)
        except AuthorizationDenied as denial:
            log.info("%s denied by LINE: %s", self.kind, denial.error)
            details: dict[str, Any] = {"error": denial.error, "description": denial.description, **denial.extra}
            self.signals.denied.send(app, **details)
            raise
        except LineError as error:
            log.warning("%s callback rejected (%s): %s", self.kind, error.code, error.message)
            self.signals.failed.send(app, error=error)
            raise
        return redirect(flow.next_url)

    def _raise_denial(self, params: Mapping[str, str]) -> None:
        # LINE may omit state on an error. When it sends one, it must be ours, and it is used up.
        if params.get("state"):
            self.pending.finish(self.kind, params.get("state"))
        raise self.denial(params)
