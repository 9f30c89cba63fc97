"""The browser redirect dance every flow shares: start, go to LINE, come back, verify, commit.

A flow (LINE Login, module attach, LINE WORKS sign-in) supplies the LINE-specific parts; this class owns state,
nonce, PKCE, the ``next`` target, denial and failure handling, signals and logging, so every flow follows the
same rules and a failure anywhere leaves the signed-in state untouched.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, NoReturn, TypeVar

from blinker import NamedSignal
from flask import current_app, redirect, url_for
from werkzeug.wrappers import Response

from .._log import log
from .._translatable import N_, Text
from .._wire.idtoken import MAX_JWT_BYTES
from .._wire.oauth import OAuthClient, authorization_url
from .._wire.untrusted_json import unverified_jwt_claims
from ..errors import (
    AuthorizationDenied,
    CallbackError,
    LineError,
    SignInMisconfigured,
    StateError,
    TokenRequestError,
    UpstreamUnavailable,
)
from .origin import restore
from .pending import PendingAuthorization, PendingAuthorizations
from .redirects import safe_next, warn_if_proxy_headers_are_ignored

ResultT = TypeVar("ResultT")

#: Longest authorization code we pass on to LINE; anything longer is not LINE's.
MAX_CODE_LENGTH = 2048

#: What an ``error`` on the callback means (the codes of LINE's "Integrating LINE Login with your web app" and
#: RFC 6749's, compared in lower case).
DENIED, LINE_FAILED, MISCONFIGURED, INTERACTION_NEEDED = "denied", "line_failed", "misconfigured", "interaction"
CALLBACK_ERRORS = {
    "access_denied": DENIED,
    "server_error": LINE_FAILED,
    "temporarily_unavailable": LINE_FAILED,
    "invalid_request": MISCONFIGURED,
    "unsupported_response_type": MISCONFIGURED,
    "invalid_scope": MISCONFIGURED,
    "unauthorized_client": MISCONFIGURED,
    "login_required": INTERACTION_NEEDED,
    "interaction_required": INTERACTION_NEEDED,
    "consent_required": INTERACTION_NEEDED,
}


@dataclass(frozen=True, eq=False)  # one per flow, compared by identity
class FlowSignals:
    """The three outcomes every flow reports."""

    succeeded: NamedSignal
    denied: NamedSignal
    failed: NamedSignal


def resume_at_origin(
    pending: PendingAuthorizations, params: Mapping[str, str], signals: FlowSignals
) -> PendingAuthorization | None:
    """At a callback: continue as the request that started the sign-in its ``state`` names (its shop's URL values
    and channel), so the callback URL needs no shop. A signed answer (``response=<JWT>``) is read unverified here,
    only to find the state; the flow verifies it with the channel found.

    A session that cannot be read fails the callback here, with the flow's failure signal. Returns the pending
    authorization found (None: the state is unknown to this browser).
    """
    state = params.get("state")
    if state is None:
        claims = unverified_jwt_claims(params.get("response"), max_bytes=MAX_JWT_BYTES)
        state = claims.get("state") if claims is not None else None
    try:
        found = pending.peek(state)
    except LineError as error:
        fail_before_the_flow(error, signals)
    restore(found.origin if found is not None else None)
    return found


def fail_before_the_flow(error: LineError, signals: FlowSignals) -> NoReturn:
    """A callback that fails before its flow is known: logged, the failure signal sent, ``error`` raised."""
    log.warning("callback rejected (%s): %s", error.code, error.message)
    signals.failed.send(current_app._get_current_object(), error=error)  # type: ignore[attr-defined]
    raise error


class AuthorizationFlow(ABC, Generic[ResultT]):
    """One authorization-code flow with a callback on our blueprint.

    :param pending: where started authorizations wait for LINE's redirect back.
    :param client: the OAuth client (id, secret) this flow authenticates as.
    :param authorize_url: LINE's authorization endpoint.
    :param callback_url: the configured callback URL (None: our blueprint's, made external).
    :param default_next: where to land when the start named no safe ``next``.
    """

    #: Name stored with the pending authorization; a callback accepts only states of its own kind.
    kind: str
    signals: ClassVar[FlowSignals]
    #: Blueprint endpoint of the callback.
    callback_endpoint: ClassVar[str]
    #: The settings to check when LINE calls our authorization request malformed.
    settings_to_check: ClassVar[str]
    #: The title of the page a person sees after pressing Cancel at LINE.
    denied_title: ClassVar[Text] = N_("Sign-in was cancelled")
    #: Blueprint endpoint that starts this flow ("Try again" leads there).
    start_endpoint: ClassVar[str]
    #: The settings that hold this flow's client id and secret (named when LINE refuses them).
    credential_settings: ClassVar[str]

    def __init__(
        self,
        pending: PendingAuthorizations,
        client: OAuthClient,
        *,
        authorize_url: str,
        callback_url: str | None,
        default_next: str,
    ) -> None:
        self.pending = pending
        self.client = client
        self.authorize_url = authorize_url
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
    def authorization_params(self, pending: PendingAuthorization) -> Mapping[str, str | None]:
        """Authorize parameters beyond the standard ones, the nonce and the PKCE challenge."""

    @abstractmethod
    def complete(self, code: str, pending: PendingAuthorization, params: Mapping[str, str]) -> ResultT:
        """Exchange ``code`` and verify everything LINE sent; no session writes here."""

    @abstractmethod
    def commit(self, result: ResultT, pending: PendingAuthorization) -> None:
        """Save the verified result and send the success signal."""

    def options_from(self, args: Mapping[str, str]) -> dict[str, Any]:
        """Per-request authorize options from the start request's query string (none by default)."""
        return {}

    def denial(self, params: Mapping[str, str]) -> AuthorizationDenied:
        """The denial LINE reported in ``params``."""
        return AuthorizationDenied(params.get("error", ""), params.get("error_description"))

    def callback_params(self, params: Mapping[str, str]) -> Mapping[str, str]:
        """The callback's parameters as LINE meant them (a JWT response mode unwraps them here)."""
        return params

    def retry_options(self, error: LineError) -> dict[str, str]:
        """Start options the "Try again" link after ``error`` carries (none by default)."""
        return {}

    def signed_in(self) -> bool:
        """Whether someone is signed in with this flow's provider in this browser (False for flows without one)."""
        return False

    def starter(self) -> str | None:
        """Who starts this authorization, recorded with it (a flow that completes only for them says so)."""
        return None

    def asked_silently(self, pending: PendingAuthorization) -> bool:
        """Whether ``pending`` asked LINE to sign in without a screen (``prompt=none``)."""
        return False

    @property
    def label(self) -> str:
        """The flow's name in log lines: its kind's family (``login``, not ``login:1650000000``)."""
        return self.kind.split(":", 1)[0]

    def signal_details(self) -> dict[str, Any]:
        """What every denial and failure signal of this flow says besides the error (LINE Login: the channel)."""
        return {}

    # The dance ------------------------------------------------------------------------------------------------

    def authorization_url_for(self, pending: PendingAuthorization) -> str:
        """LINE's authorize URL for ``pending``."""
        return authorization_url(
            self.authorize_url,
            self.client.client_id,
            pending.redirect_uri,
            pending.state,
            nonce=pending.nonce,
            code_verifier=pending.code_verifier,
            params=self.authorization_params(pending),
        )

    def redirect_uri(self) -> str:
        """The callback URL LINE redirects to: the configured one, or ours made external."""
        if self.callback_url:
            return self.callback_url
        warn_if_proxy_headers_are_ignored()
        return url_for(self.callback_endpoint, _external=True)

    def start(self, args: Mapping[str, str], *, link_to: str | None = None) -> Response:
        """Create a pending authorization from the start request's query and send the browser to LINE.

        :param link_to: the signed-in site user who asked to link the identity this sign-in brings.
        """
        return self._send_to_line(safe_next(args.get("next"), self.default_next), self.options_from(args), link_to)

    def _send_to_line(self, next_url: str, options: dict[str, Any], link_to: str | None = None) -> Response:
        pending = self.pending.begin(
            self.kind,
            self.redirect_uri(),
            next_url,
            nonce=self.uses_nonce,
            pkce=self.uses_pkce,
            extra=options,
            link_to=link_to,
            started_by=self.starter(),
        )
        return redirect(self.authorization_url_for(pending))

    def finish(self, params: Mapping[str, str]) -> Response:
        """Handle the callback; on any error send the signal, log, and re-raise for the error handler.

        The path to LINE is short on purpose (docs/architecture.rst draws it): this method calls ``complete``,
        which sends the token call.
        """
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        next_url: str | None = None
        try:
            params = self.callback_params(params)
            # Errors too need a state we issued: without it anyone could link here with an error and their own
            # text. A missing or unknown state is a failed callback.
            pending = self.pending.finish(self.kind, params.get("state"))
            next_url = pending.next_url
            if params.get("error"):
                return self._answer_callback_error(params, pending)
            code = params.get("code")
            if not code or len(code) > MAX_CODE_LENGTH:
                raise CallbackError("The callback carries no valid authorization code.")
            result = self.complete(code, pending, params)
            self.commit(result, pending)
            self.pending.remember_finished(pending)
        except AuthorizationDenied as denial:
            denial.retry_url = url_for(self.start_endpoint, next=next_url)
            log.info("%s denied by LINE: %s", self.label, denial.error)
            details: dict[str, Any] = {
                "error": denial.error,
                "description": denial.description,
                **denial.extra,
                **self.signal_details(),
            }
            self.signals.denied.send(app, **details)
            raise
        except LineError as caught:
            if isinstance(caught, StateError):
                # A refresh of the callback page after this browser's own sign-in completed: nothing to do
                # again and nothing failed, so the signed-in person goes on. Any other bad state is a failure.
                finished = self.pending.finished(self.kind, params.get("state"))
                if finished is not None and self.signed_in():
                    return redirect(finished)
                if next_url is None:
                    # A state this browser never issued (a failed auto login): the retry still goes where this
                    # browser's own latest sign-in was going, when there is one.
                    started = self.pending.latest(self.kind)
                    next_url = started.next_url if started is not None else None
            error = self._credentials_refused(caught) if isinstance(caught, TokenRequestError) else caught
            retry: dict[str, Any] = {"next": next_url, **self.retry_options(error)}
            error.retry_url = url_for(self.start_endpoint, **retry)
            log.warning("%s callback rejected (%s): %s", self.label, error.code, error.message)
            self.signals.failed.send(app, error=error, **self.signal_details())
            if error is caught:
                raise
            raise error from None
        return redirect(pending.next_url)

    def _credentials_refused(self, error: TokenRequestError) -> LineError:
        """LINE refusing our client id or secret is the site's configuration, not the visitor's doing."""
        if error.error not in ("invalid_client", "unauthorized_client"):
            return error
        log.error(
            "LINE refused the %s client credentials (%s): check %s", self.label, error.error, self.credential_settings
        )
        return SignInMisconfigured(
            f"LINE refused the client credentials ({error.error}); check {self.credential_settings}."
        )

    def _answer_callback_error(self, params: Mapping[str, str], pending: PendingAuthorization) -> Response:
        code = str(params.get("error", "")).lower()
        meaning = CALLBACK_ERRORS.get(code)
        if meaning == DENIED:
            denial = self.denial(params)
            denial.title = self.denied_title
            raise denial
        if meaning == INTERACTION_NEEDED and self.asked_silently(pending):
            # A silent sign-in LINE cannot do without a screen: ask again with the screen, once.
            log.info("%s: LINE needs the user (%s); falling back to the interactive sign-in", self.label, code)
            return self._send_to_line(pending.next_url, {**pending.extra, "prompt": None}, pending.link_to)
        if meaning == LINE_FAILED:
            raise UpstreamUnavailable(f"LINE reported an error on its side ({code}).")
        if meaning == MISCONFIGURED:
            log.error(
                "LINE refused our %s request as %s (%s): check %s",
                self.label,
                code.upper(),
                params.get("error_description") or "no description",
                self.settings_to_check,
            )
            raise SignInMisconfigured(f"LINE refused the sign-in request ({code}); check {self.settings_to_check}.")
        raise CallbackError(f"LINE answered the sign-in with the error {code or 'without a code'}.")
