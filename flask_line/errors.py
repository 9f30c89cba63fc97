"""Exceptions raised by flask-line.

Every error a user can meet is a :class:`LineError`. Each class carries the HTTP status the default handler
answers with and a short machine-readable ``code`` for JSON clients, so apps can register their own handler
for the base class or for one case.
"""

from __future__ import annotations

from ._translatable import N_, LazyText, Text


class LineError(Exception):
    """Base class of every flask-line error.

    ``title`` and ``explanation`` are marked with ``N_`` and translate themselves wherever they are shown (a
    page, a JSON body, ``str()``); a site's own subclass may set plain strings, shown as written.
    """

    #: What a visitor reads: plain words, no internals.
    explanation: Text = N_("Something went wrong while signing you in. Please try again.")

    #: HTTP status of the default error response.
    status_code: int = 500
    #: Short machine-readable error code, sent to JSON clients.
    code: str = "line_error"
    #: Title of the default error page.
    title: Text = N_("LINE sign-in failed")
    #: Answered with JSON whatever the client accepts: a credential an API client sent was refused
    #: (``@line_token_required``, ``POST /line/session``).
    answer_json: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        #: The technical detail: logged, and shown on pages only when ``app.debug`` is on.
        self.message = message
        #: Where "Try again" leads (the sign-in this error interrupted), when there is one.
        self.retry_url: str | None = None


class ConfigurationError(LineError):
    """An ``app.config`` setting is missing or invalid. Raised by ``init_app`` or for a bad per-request option."""

    explanation: Text = N_(
        "Sign-in is not set up correctly on this site. The site's team can see the details in its log."
    )

    code = "configuration_error"
    title: Text = N_("Sign-in is misconfigured")

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        #: The config key (or request parameter) at fault.
        self.key = key


class BadRequestOption(ConfigurationError):
    """A per-request override (``?prompt=...``, ``?scope=...``) has a value LINE does not accept."""

    explanation: Text = N_("This sign-in link is not valid. Please start again from the site.")

    status_code = 400
    code = "invalid_request"
    title: Text = N_("Invalid request")


class CallbackError(LineError):
    """The callback request is not one we accept (answered with 400)."""

    explanation: Text = N_("The sign-in could not be completed. Please try again.")

    status_code = 400
    code = "invalid_callback"


class StateError(CallbackError):
    """The ``state`` is missing, unknown, replayed, expired or belongs to another flow."""

    explanation: Text = N_(
        "This sign-in was already used, took too long, or was started in another browser. Please try again."
    )

    code = "invalid_state"


class IdTokenError(CallbackError):
    """The ID token failed local verification (signature, algorithm, ``iss``, ``aud``, time, ``nonce``...)."""

    explanation: Text = N_("LINE's answer could not be verified, so you were not signed in. Please try again.")

    code = "invalid_id_token"


class AuthorizationDenied(LineError):
    """LINE redirected back with an ``error``: the user (or OA admin) declined, or LINE refused the request."""

    explanation: Text = N_("You cancelled at LINE. You can try again whenever you like.")

    status_code = 403
    code = "access_denied"
    title: Text = N_("Sign-in was cancelled")

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

    explanation: Text = N_("LINE did not accept this sign-in. Please try again.")

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

    explanation: Text = N_("LINE is not answering right now. Please try again in a moment.")

    status_code = 502
    code = "upstream_unavailable"
    title: Text = N_("LINE is not answering")

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        #: Seconds LINE asked us to wait (from ``Retry-After`` on a 429), when given.
        self.retry_after = retry_after


class UnusableAnswer(UpstreamUnavailable):
    """LINE answered, but with something flask-line cannot use: an id that does not have LINE's documented shape.

    Nothing from the answer is stored; the visitor can try again.
    """

    explanation = N_("LINE answered something this site cannot use. Please try again in a moment.")

    code = "upstream_unusable"
    title = N_("LINE's answer cannot be used")


class UpstreamTimeout(UpstreamUnavailable):
    """LINE did not answer within ``LINE_HTTP_TIMEOUT`` seconds."""

    explanation: Text = N_("LINE took too long to answer. Please try again in a moment.")

    status_code = 504
    code = "upstream_timeout"


class NotAuthenticated(LineError):
    """The operation needs a signed-in user (or a token that can still be refreshed) and there is none."""

    explanation: Text = N_("Please sign in to continue.")

    status_code = 401
    code = "not_authenticated"
    title: Text = N_("Please sign in")


class LoginRequired(NotAuthenticated):
    """A view behind ``@line_login_required`` or ``@works_login_required`` was asked for by a visitor who is not
    signed in.

    The default handler sends a person's browser loading a page to ``login_url`` (with ``next`` back to the page),
    and answers any other client with a 401 JSON body and a ``WWW-Authenticate`` header naming ``login_url``.
    """

    def __init__(self, message: Text, login_url: str, *, api: bool = False) -> None:
        # The log reads the English text; the visitor reads it in their language.
        super().__init__(message.message if isinstance(message, LazyText) else message)
        #: What the visitor reads: where to sign in.
        self.explanation = message
        #: Where to sign in (with ``next`` set to the requested page).
        self.login_url = login_url
        #: Answer with the 401 JSON body even to a browser loading a page (``@line_login_required(api=True)``).
        self.api = api


class MissingModuleScope(LineError):
    """A module API call or view needs scopes the attachment does not hold (refused before any HTTP)."""

    explanation: Text = N_("This page needs more permissions for your LINE Official Account.")

    status_code = 403
    code = "insufficient_scope"
    title: Text = N_("The module needs more permissions")

    def __init__(self, missing: frozenset[str] | set[str], bot_id: str | None = None) -> None:
        super().__init__(f"The module attachment lacks the scope(s): {', '.join(sorted(missing))}")
        #: The scopes that are missing.
        self.missing = frozenset(missing)
        #: The bot the call was for.
        self.bot_id = bot_id


class ModuleScopeNotGranted(MissingModuleScope):
    """The Official Account's administrator just attached the module without a permission this page needs.

    Answered with a page that says so and offers to attach again (never an automatic trip back to LINE, which
    would loop while the administrator keeps declining).
    """

    explanation: Text = N_(
        "Your LINE Official Account was connected without a permission this page needs. Attach again and allow "
        "every permission on LINE's screen, or ask the account's administrator to."
    )

    title: Text = N_("A permission was not granted")


class AttachmentOwnedElsewhere(LineError):
    """The Official Account is already connected to this service by another administrator, who has not shared it.

    LINE attached the module; the other administrator's record is kept as it was (it is theirs).
    """

    explanation: Text = N_(
        "This LINE Official Account is already connected to this service by another administrator. Ask them to "
        "share it with you, or choose another account."
    )

    status_code = 409
    code = "attachment_owned_elsewhere"
    title: Text = N_("Another administrator connected this account")


class AttachStartedByAnother(LineError):
    """An attach callback arrived after another person signed in with LINE in the browser that started it.

    The pending attach belongs to the administrator who started it: nothing was attached, nothing stored.
    """

    explanation = N_(
        "This attach was started by another LINE account than the one signed in now, so it was not completed. "
        "Start the attach again."
    )

    status_code = 403
    code = "attach_started_by_another"
    title = N_("The attach was not completed")


class AttachmentStoreError(LineError):
    """LINE attached the module but the attachment could not be stored; the log names the bot id to recover."""

    explanation: Text = N_("LINE attached the module, but this site could not save it. The site's team has been told.")

    status_code = 500
    code = "attachment_not_stored"
    title: Text = N_("The module could not be saved")


class ServiceAccountError(LineError):
    """LINE WORKS refused the service account's JWT assertion (wrong key, client or account), or the key is bad."""

    explanation: Text = N_("LINE WORKS refused this site's service account. The site's team has been told.")

    status_code = 502
    code = "service_account_rejected"
    title: Text = N_("LINE WORKS refused the service account")


class CrossSiteRequest(LineError):
    """A state-changing request (logout) came from another site: refused, so no page can log users out."""

    explanation: Text = N_(
        "This request came from another site, so it was refused. Please use the button on this site."
    )

    status_code = 403
    code = "cross_site_request"
    title: Text = N_("Request refused")


class ApiTargetRefused(LineError):
    """An API call named a host outside LINE's configured API URLs, or a path that cannot be sent safely.

    Refused before any network call, so a channel or service-account token never leaves for another host.
    """

    explanation: Text = N_("This request was refused.")

    status_code = 400
    code = "api_target_refused"
    title: Text = N_("Request refused")


class WebhookSignatureError(LineError):
    """A webhook delivery's ``X-Line-Signature`` is missing or does not verify (nothing was changed)."""

    explanation: Text = N_("This request was refused.")

    status_code = 403
    code = "invalid_signature"
    title: Text = N_("Request refused")


class ChatControlError(LineError):
    """LINE refused to hand a chat's control to the module, or to take it back.

    ``reason`` says why: ``invalid_chat`` (400: LINE does not know the chat id), ``not_attached`` (403),
    ``not_in_chat`` (404: the user is not a friend of the Official Account, or it is not in the group or room),
    ``locked`` (423: another channel took control moments ago; try again shortly).
    """

    explanation: Text = N_("LINE refused to change which service answers this chat.")

    code = "chat_control_failed"
    title: Text = N_("LINE refused the chat control request")

    REASONS = {400: "invalid_chat", 403: "not_attached", 404: "not_in_chat", 423: "locked"}

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        #: LINE's HTTP status, which the default error page answers with too.
        self.status_code = status if status in self.REASONS else 502
        #: Why, as a word (see the class docstring); ``upstream`` for anything else.
        self.reason = self.REASONS.get(status, "upstream")


class ModuleSuspended(LineError):
    """LINE suspended the Official Account (``botSuspended``); the module cannot act for it until it resumes."""

    explanation: Text = N_(
        "LINE has suspended this Official Account; the module can act for it again once LINE resumes it."
    )

    status_code = 403
    code = "module_suspended"
    title: Text = N_("This Official Account is suspended")


class MissingLoginScope(LineError):
    """The signed-in user's LINE Login token lacks a scope this call needs (``is_friend`` needs ``profile``)."""

    explanation: Text = N_("Your LINE sign-in did not allow what this needs. Sign in again and allow it.")

    status_code = 403
    code = "insufficient_scope"
    title: Text = N_("Sign-in did not grant this permission")


class SignInMisconfigured(LineError):
    """LINE refused our authorization request as malformed (``INVALID_REQUEST``, ``INVALID_SCOPE``...).

    This is the site's configuration, not the visitor's doing: a 500 page, and an ERROR log naming the setting.
    """

    explanation: Text = N_(
        "Sign-in is not set up correctly on this site. The site's team can see the details in its log."
    )

    status_code = 500
    code = "sign_in_misconfigured"
    title: Text = N_("Sign-in is misconfigured")


class TokenAuthError(LineError):
    """A request's LINE credential (bearer access token, ID token) is missing, invalid, expired or foreign.

    ``code`` says which: ``missing_token``, ``invalid_token``, ``expired_token``, ``foreign_channel`` (401), or
    ``insufficient_scope`` (403: valid, but without a scope or authentication method the view demands).
    """

    explanation: Text = N_("Send a valid LINE access token or ID token.")
    status_code = 401
    code = "invalid_token"
    title: Text = N_("LINE credential refused")

    def __init__(self, code: str, message: str, explanation: Text | None = None) -> None:
        super().__init__(message)
        self.code = code
        if code == "insufficient_scope":
            self.status_code = 403
        #: What the client reads, in the request's language (``message`` is the check that failed, in English).
        self.explanation = explanation or TOKEN_REFUSALS.get(code, self.explanation)


#: What a client is told for each refusal of a credential (:class:`TokenAuthError`'s ``code``).
TOKEN_REFUSALS: dict[str, Text] = {
    "missing_token": N_("Send a valid LINE access token or ID token."),
    "invalid_token": N_("This LINE credential is not valid. Sign in with LINE again."),
    "expired_token": N_("This LINE credential has expired. Sign in with LINE again."),
    "foreign_channel": N_("This LINE credential was issued for another service."),
    "insufficient_scope": N_("This LINE credential does not allow this. Sign in with LINE again and allow it."),
}


class NotConfigured(LineError):
    """The app has not configured the LINE product a blueprint route belongs to (answered with 404)."""

    explanation: Text = N_("This sign-in is not available on this site.")
    status_code = 404
    code = "not_configured"
    title: Text = N_("Not available")


class EmulatorNotAnswering(UpstreamUnavailable):
    """``LINE_EMULATOR_URL`` points at nothing: nobody runs the emulator there (a development setup)."""

    code = "emulator_not_answering"
    title: Text = N_("The LINE emulator is not answering")

    def __init__(self, emulator_url: str, command: str | None = None) -> None:
        message = (
            f"The LINE emulator at {emulator_url} is not answering: start it with "
            f"{command or '`line-emulator` (or `flask line emulator` inside the app)'}."
        )
        super().__init__(message)
        #: ``LINE_EMULATOR_URL``, where nothing answered.
        self.emulator_url = emulator_url
        #: The commands that start the emulator this app needs (port, channel), when known.
        self.command = command
        #: A development setup: the visitor is the developer, so the page says what to do.
        self.explanation = message


class SessionStoreUnavailable(LineError):
    """The session store (Redis, the embedded SQLite file, Flask-Session's others) cannot be reached right now.

    Answered with 503 and ``Retry-After`` when the request uses its session; pages that do not keep working.
    """

    explanation: Text = N_("This site cannot reach its session store right now. Please try again in a moment.")

    status_code = 503
    code = "session_store_unavailable"
    title: Text = N_("Please try again in a moment")


class InvalidIdentifier(LineError):
    """An id (bot id, account id, site user id) that no store can keep: a NUL byte, too long, not UTF-8."""

    explanation: Text = N_("The request names something that cannot exist here.")

    status_code = 400
    code = "invalid_identifier"
    title: Text = N_("This request cannot be handled")


class SchemaOutOfDate(LineError):
    """flask-line's tables in the database are not what this version needs (a table or column is missing).

    The log names the table, the column and the command that fixes it (``flask line db upgrade``, or the app's
    migrations); answered with 503 until then, and it recovers without a restart once the schema is fixed.
    """

    explanation: Text = N_(
        "This site's database needs an update before this works. The site's team can see the details."
    )

    status_code = 503
    code = "schema_out_of_date"
    title: Text = N_("Please try again later")


class StoreUnavailable(LineError):
    """The database behind flask-line's records (attachments, account links) cannot be reached right now.

    Nothing was half-written: every write is one transaction. Answered with 503; the request can be retried.
    """

    explanation: Text = N_("This site cannot reach its database right now. Please try again in a moment.")

    status_code = 503
    code = "store_unavailable"
    title: Text = N_("Please try again in a moment")


class SignInRefused(LineError):
    """The site's account-linking hook (``@line.link_user``) returned None, or an inactive user: no sign-in.

    The LINE identity was verified, but this site does not let it in; nothing was stored in the session.
    """

    explanation: Text = N_("This account cannot be used to sign in to this site.")

    status_code = 403
    code = "sign_in_refused"
    title: Text = N_("Sign-in refused")


class SiteUserError(LineError):
    """The site's account-linking hook raised an exception: answered with 500, nothing stored in the session."""

    explanation: Text = N_("This site could not sign you in just now. Please try again.")

    code = "site_user_error"
    title: Text = N_("Sign-in failed")


class AccountLinkConflict(LineError):
    """The LINE (or LINE WORKS) account is already linked to another user of this site (answered with 409)."""

    explanation: Text = N_(
        "This LINE account is already linked to another account on this site. Sign in with it and unlink it there "
        "first."
    )

    status_code = 409
    code = "account_already_linked"
    title: Text = N_("This account is linked to someone else")


class AccountLinkedElsewhere(SignInRefused):
    """The LINE account is linked to a member through another LINE provider's channels (answered with 403).

    LINE user ids are per provider: a sign-in at one provider's channel never reaches a member linked through
    another's (a leaked or shared channel secret cannot mint a way in). See ``LoginChannel.provider``.
    """

    explanation: Text = N_(
        "This LINE account is linked to a membership of another service on this site, so it cannot be used here."
    )

    code = "account_linked_elsewhere"
    title: Text = N_("This LINE account belongs to another service")


class RequestTooLarge(LineError):
    """A request body sent to flask-line (a form, a JSON credential, a webhook delivery) is over
    ``LINE_MAX_BODY_SIZE``: refused after reading one byte past the limit, whatever ``Content-Length`` said."""

    explanation = N_("This request is too large.")
    status_code = 413
    code = "request_too_large"
    title = N_("Request refused")


class ChannelNotFound(NotConfigured):
    """This request's site has no LINE Login channel: the ``channel_loader`` found none, or raised (a 404).

    Never answered with another site's channel.
    """

    explanation: Text = N_("This shop does not use LINE Login.")
    code = "channel_not_found"


class MessagingChannelNotFound(NotConfigured):
    """This request's shop has no Messaging API channel: the ``messaging_channel_loader`` found none, or raised, or
    a webhook URL names an unlisted channel (a 404). Never answered with another shop's channel."""

    explanation: Text = N_("This shop has no LINE Official Account.")
    code = "messaging_channel_not_found"


class InvalidWebhookSignature(WebhookSignatureError):
    """The Messaging API webhook's ``X-Line-Signature`` is missing or does not verify (a 400; nothing was done)."""

    status_code = 400


class LineProviderMismatch(LineError):
    """A push was refused before any call: the member's LINE user id belongs to another LINE provider.

    LINE gives a person one user id per provider. A member who signed in through a LINE Login channel of another
    provider than the Messaging API channel's (``LINE_MESSAGING_PROVIDER``) has an id the bot cannot reach.
    """

    explanation = N_("This LINE account cannot receive messages from this site's LINE Official Account.")

    status_code = 409
    code = "provider_mismatch"
    title = N_("Message not sent")


class NotLinkedToLine(LineError):
    """A push named a site user who has no LINE account linked under the Messaging API channel's provider."""

    explanation = N_("This account is not linked to LINE.")

    status_code = 404
    code = "not_linked_to_line"
    title = N_("Message not sent")


class NotAFriend(LineError):
    """LINE refused a push because the user has not added the Official Account as a friend (or blocked it).

    ``user_id`` is the LINE user id. Ask the member to add the account (``bot_prompt`` at sign-in) and try again.
    """

    explanation = N_("Add this site's LINE Official Account as a friend to receive its messages.")

    status_code = 409
    code = "not_a_friend"
    title = N_("Message not sent")

    def __init__(self, user_id: str, message: str) -> None:
        super().__init__(message)
        #: The LINE user id LINE refused to message.
        self.user_id = user_id


class MessagingRequestError(LineError):
    """LINE refused a Messaging API request for another reason than friendship (LINE's ``message`` is kept)."""

    explanation = N_("LINE refused to send this message.")

    status_code = 502
    code = "messaging_refused"
    title = N_("Message not sent")

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        #: LINE's HTTP status.
        self.line_status = status


class CompanyNotFound(NotConfigured):
    """This request's company has no LINE WORKS app: the ``works_company_loader`` found none, or raised (a 404).

    Never answered with another company's app.
    """

    explanation: Text = N_("This company does not use LINE WORKS.")
    code = "company_not_found"
