"""Exceptions raised by flask-line.

Every error a user can meet is a :class:`LineError`. Each class carries the HTTP status the default handler
answers with and a short machine-readable ``code`` for JSON clients, so apps can register their own handler
for the base class or for one case.
"""

from __future__ import annotations


class LineError(Exception):
    """Base class of every flask-line error."""

    #: HTTP status of the default error response.
    status_code: int = 500
    #: Short machine-readable error code, sent to JSON clients.
    code: str = "line_error"
    #: Title of the default error page.
    title: str = "LINE sign-in failed"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(LineError):
    """An ``app.config`` setting is missing or invalid. Raised by ``init_app`` or for a bad per-request option."""

    code = "configuration_error"
    title = "flask-line is misconfigured"

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        #: The config key (or request parameter) at fault.
        self.key = key


class BadRequestOption(ConfigurationError):
    """A per-request override (``?prompt=...``, ``?scope=...``) has a value LINE does not accept."""

    status_code = 400
    code = "invalid_request"
    title = "Invalid request"


class CallbackError(LineError):
    """The callback request is not one we accept (answered with 400)."""

    status_code = 400
    code = "invalid_callback"


class StateError(CallbackError):
    """The ``state`` is missing, unknown, replayed, expired or belongs to another flow."""

    code = "invalid_state"


class IdTokenError(CallbackError):
    """The ID token failed local verification (signature, algorithm, ``iss``, ``aud``, time, ``nonce``...)."""

    code = "invalid_id_token"


class AuthorizationDenied(LineError):
    """LINE redirected back with an ``error``: the user (or OA admin) declined, or LINE refused the request."""

    status_code = 403
    code = "access_denied"
    title = "Sign-in was cancelled"

    def __init__(self, error: str, description: str | None = None, **extra: str) -> None:
        super().__init__(description or error)
        #: LINE's error code, normalised to lower case (``access_denied``).
        self.error = error.lower()
        #: LINE's ``error_description``, when given.
        self.description = description
        #: Any further error parameters LINE sent (LINE Login v2.0's ``errorCode``/``errorMessage``).
        self.extra = extra


class TokenRequestError(LineError):
    """A LINE token or API endpoint answered with an OAuth error (``invalid_grant``, ``invalid_client``...)."""

    status_code = 400
    code = "token_request_failed"

    def __init__(self, error: str, description: str | None = None, status: int | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        #: The ``error`` field of LINE's JSON answer.
        self.error = error
        #: The ``error_description`` (or ``message``) field, when given.
        self.description = description
        #: The HTTP status LINE answered with.
        self.status = status


class UpstreamUnavailable(LineError):
    """LINE could not be reached, answered 5xx or 429, or sent a body that is not the JSON it documents."""

    status_code = 502
    code = "upstream_unavailable"
    title = "LINE is not answering"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: Seconds LINE asked us to wait (from ``Retry-After`` on a 429), when given.
        self.retry_after = retry_after


class UpstreamTimeout(UpstreamUnavailable):
    """LINE did not answer within ``LINE_HTTP_TIMEOUT`` seconds."""

    status_code = 504
    code = "upstream_timeout"


class NotAuthenticated(LineError):
    """The operation needs a signed-in user (or a token that can still be refreshed) and there is none."""

    status_code = 401
    code = "not_authenticated"
    title = "Please sign in"


class MissingModuleScope(LineError):
    """A module API call or view needs scopes the attachment does not hold (refused before any HTTP)."""

    status_code = 403
    code = "insufficient_scope"
    title = "The module needs more permissions"

    def __init__(self, missing: frozenset[str] | set[str], bot_id: str | None = None) -> None:
        super().__init__(f"The module attachment lacks the scope(s): {', '.join(sorted(missing))}")
        #: The scopes that are missing.
        self.missing = frozenset(missing)
        #: The bot the call was for.
        self.bot_id = bot_id


class AttachmentStoreError(LineError):
    """LINE attached the module but the attachment could not be stored; the log names the bot id to recover."""

    status_code = 500
    code = "attachment_not_stored"
    title = "The module could not be saved"


class ServiceAccountError(LineError):
    """LINE WORKS refused the service account's JWT assertion (wrong key, client or account), or the key is bad."""

    status_code = 502
    code = "service_account_rejected"
    title = "LINE WORKS refused the service account"


class CrossSiteRequest(LineError):
    """A state-changing request (logout) came from another site: refused, so no page can log users out."""

    status_code = 403
    code = "cross_site_request"
    title = "Request refused"


class ApiTargetRefused(LineError):
    """An API call named a host outside LINE's configured API URLs, or a path that cannot be sent safely.

    Refused before any network call, so a channel or service-account token never leaves for another host.
    """

    status_code = 400
    code = "api_target_refused"
    title = "Request refused"


class WebhookSignatureError(LineError):
    """A webhook delivery's ``X-Line-Signature`` is missing or does not verify (nothing was changed)."""

    status_code = 403
    code = "invalid_signature"
    title = "Request refused"


class ChatControlError(LineError):
    """LINE refused to hand a chat's control to the module, or to take it back.

    ``reason`` says why: ``invalid_chat`` (400: LINE does not know the chat id), ``not_attached`` (403),
    ``not_in_chat`` (404: the user is not a friend of the Official Account, or it is not in the group or room),
    ``locked`` (423: another channel took control moments ago; try again shortly).
    """

    code = "chat_control_failed"
    title = "LINE refused the chat control request"

    REASONS = {400: "invalid_chat", 403: "not_attached", 404: "not_in_chat", 423: "locked"}

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        #: LINE's HTTP status, which the default error page answers with too.
        self.status_code = status if status in self.REASONS else 502
        #: Why, as a word (see the class docstring); ``upstream`` for anything else.
        self.reason = self.REASONS.get(status, "upstream")


class ModuleSuspended(LineError):
    """LINE suspended the Official Account (``botSuspended``); the module cannot act for it until it resumes."""

    status_code = 403
    code = "module_suspended"
    title = "This Official Account is suspended"


class MissingLoginScope(LineError):
    """The signed-in user's LINE Login token lacks a scope this call needs (``is_friend`` needs ``profile``)."""

    status_code = 403
    code = "insufficient_scope"
    title = "Sign-in did not grant this permission"


class SignInMisconfigured(LineError):
    """LINE refused our authorization request as malformed (``INVALID_REQUEST``, ``INVALID_SCOPE``...).

    This is the site's configuration, not the visitor's doing: a 500 page, and an ERROR log naming the setting.
    """

    status_code = 500
    code = "sign_in_misconfigured"
    title = "Sign-in is misconfigured"
