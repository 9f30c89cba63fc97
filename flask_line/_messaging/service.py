"""``line.messaging``: the channel access token, push, multicast and link tokens of the site's Messaging API channel."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import current_app

from .. import signals
from .._log import log
from .._wire.api_client import ApiClient
from .._wire.http import LineHttp, request_id
from .._wire.oauth import OAuthClient
from .._wire.shared_cache import NOT_SHARED, SharedCache
from .._wire.shared_token import SharedToken
from .._wire.tokens import LineToken
from .._wire.untrusted_json import UntrustedJsonError, parse
from ..errors import (
    LineError,
    LineProviderMismatch,
    MessagingRequestError,
    NotAFriend,
    NotLinkedToLine,
    UpstreamUnavailable,
)
from .account_link import BotAccountLink
from .messages import Message, wire_messages
from .recipients import Recipients
from .settings import MULTICAST_BATCH, MessagingSettings
from .webhook import MessagingWebhook

if TYPE_CHECKING:
    import requests

#: LINE's answer to a push whose user cannot receive it: not a friend of the Official Account, or blocked it.
#: (Messaging API reference, "Send push message", error responses; *check*: LINE words it so for both cases.)
NOT_DELIVERABLE = "Failed to send messages"


@dataclass(frozen=True)
class PushResult:
    """What LINE accepted: the user pushed to and the ids of the messages sent."""

    user_id: str
    message_ids: tuple[str, ...]
    #: LINE's ``x-line-request-id`` (what LINE's support asks for).
    request_id: str


@dataclass(frozen=True)
class MulticastResult:
    """A multicast's outcome: the LINE user ids sent to (in batches of 500), and the recipients refused first."""

    sent_to: tuple[str, ...]
    #: Each refused recipient (as the app passed it, or its id) with its error; nothing was sent to them.
    refused: tuple[tuple[Any, LineError], ...] = ()
    request_ids: tuple[str, ...] = field(default=())


class MessagingService:
    """One Messaging API channel (a shop's Official Account): usable in requests, CLI commands and background jobs.

    The channel access token is a stateless one (15 minutes, unlimited issuance), issued once per worker, shared
    by its threads and reissued a minute before it expires; a 401 gets a new one once.
    """

    def __init__(
        self,
        settings: MessagingSettings,
        http: LineHttp,
        recipients: Recipients,
        account_link: BotAccountLink,
        webhook: MessagingWebhook,
        shared: SharedCache = NOT_SHARED,
    ) -> None:
        self.settings = settings
        #: The channel's webhook (``POST /line/messaging/webhook``).
        self.webhook = webhook
        self.recipients = recipients
        #: The bot's account link: nonces of ``/line/bot-link`` and the ``accountLink`` event.
        self.account_link = account_link
        self._client = OAuthClient(http, settings.channel_id, settings.channel_secret)
        #: The channel access token, shared by every thread of this worker (and the fleet, with a shared cache).
        self.channel_token = SharedToken(
            self._issue_token, shared=shared, name=f"messaging-channel:{settings.channel_id}"
        )
        #: A client for any other Messaging API call (the token is added, and only sent to LINE's API URL).
        self.api = ApiClient(http, settings.api_url, self.channel_token)

    def __repr__(self) -> str:
        return f"<MessagingService channel {self.settings.channel_id}>"

    def _issue_token(self) -> LineToken:
        return self._client.client_credentials(self.settings.token_url)

    def push(
        self,
        user: Any,
        messages: Message | Iterable[Message],
        *,
        notification_disabled: bool = False,
        retry_key: str | None = None,
    ) -> PushResult:
        """Send 1 to 5 messages to one member.

        ``user`` is a :class:`~flask_line.LineUser`, a site user linked to LINE (or its id), or a LINE user id.
        ``messages`` are dicts in LINE's shape, texts, or line-bot-sdk v3 models. ``retry_key`` (a UUID) makes
        a retried push after a timeout safe: LINE sends it once.

        :raises ~flask_line.errors.LineProviderMismatch: the member's LINE id is another provider's (no call made).
        :raises ~flask_line.errors.NotLinkedToLine: the site user has no LINE link (no call made).
        :raises ~flask_line.errors.NotAFriend: LINE says the user has not added the Official Account, or blocked it.
        :raises ~flask_line.errors.MessagingRequestError: LINE refused the request otherwise.
        :raises ~flask_line.errors.UpstreamUnavailable: LINE is rate-limiting, failing or unreachable.
        """
        body = wire_messages(messages)
        user_id = self._resolve(user)
        payload = {"to": user_id, "messages": body, "notificationDisabled": notification_disabled}
        response = self.api.post("/v2/bot/message/push", json=payload, headers=_retry_header(retry_key))
        if _already_accepted(response):
            return PushResult(user_id, (), response.headers.get("x-line-accepted-request-id", "-"))
        answer = self._answer(response)
        if response.status_code >= 400:
            error = self._refusal(user_id, response.status_code, answer)
            if isinstance(error, NotAFriend):
                signals.messaging_push_refused.send(
                    _app(), recipient=user, error=error, channel_id=self.settings.channel_id
                )
            raise error
        sent = answer.get("sentMessages") if isinstance(answer, dict) else None
        ids = tuple(str(item.get("id")) for item in sent if isinstance(item, dict)) if isinstance(sent, list) else ()
        return PushResult(user_id, ids, request_id(response))

    def multicast(
        self, users: Iterable[Any], messages: Message | Iterable[Message], *, notification_disabled: bool = False
    ) -> MulticastResult:
        """Send the same 1 to 5 messages to many members, in batches of LINE's limit (500 user ids per request).

        Each recipient is checked as :meth:`push` checks it, before any call: those refused (another provider, no
        LINE link) are returned in ``refused`` and signalled, the others are sent to. LINE does not say which
        users of a multicast are not friends: they simply receive nothing.
        """
        body = wire_messages(messages)
        targets: list[str] = []
        refused: list[tuple[Any, LineError]] = []
        for user in users:
            try:
                user_id = self._resolve(user)
            except (LineProviderMismatch, NotLinkedToLine) as error:
                refused.append((user, error))
                continue
            if user_id not in targets:
                targets.append(user_id)
        request_ids = []
        for start in range(0, len(targets), MULTICAST_BATCH):
            batch = targets[start : start + MULTICAST_BATCH]
            payload = {"to": batch, "messages": body, "notificationDisabled": notification_disabled}
            response = self.api.post("/v2/bot/message/multicast", json=payload)
            answer = self._answer(response)
            if response.status_code >= 400:
                raise MessagingRequestError(response.status_code, _message(answer, response.status_code))
            request_ids.append(request_id(response))
        return MulticastResult(tuple(targets), tuple(refused), tuple(request_ids))

    def issue_link_token(self, user_id: str) -> str:
        """A link token for the chat user ``user_id`` (Messaging API "Issue link token": 10 minutes, single use).

        Send the member a link to ``url_for("line.bot_link", linkToken=token, _external=True)``.
        """
        response = self.api.post(f"/v2/bot/user/{user_id}/linkToken")
        answer = self._answer(response)
        token = answer.get("linkToken") if isinstance(answer, dict) else None
        if response.status_code >= 400 or not isinstance(token, str) or not token:
            raise MessagingRequestError(response.status_code, _message(answer, response.status_code))
        return token

    def _resolve(self, user: Any) -> str:
        try:
            return self.recipients.line_user_id(user)
        except (LineProviderMismatch, NotLinkedToLine) as error:
            log.warning("Push refused before any call: %s", error.message)
            signals.messaging_push_refused.send(
                _app(), recipient=user, error=error, channel_id=self.settings.channel_id
            )
            raise

    @staticmethod
    def _answer(response: requests.Response) -> object:
        if response.status_code == 429 or response.status_code >= 500:
            log.warning(
                "The Messaging API answered %s (x-line-request-id %s)", response.status_code, request_id(response)
            )
            raise UpstreamUnavailable(f"The Messaging API answered with HTTP {response.status_code}")
        try:
            return parse(response.content) if response.content else {}
        except UntrustedJsonError:
            return {}

    @staticmethod
    def _refusal(user_id: str, status: int, answer: object) -> LineError:
        message = _message(answer, status)
        if status == 400 and message.startswith(NOT_DELIVERABLE):
            log.info("LINE user %s cannot receive pushes: not a friend of the Official Account, or blocked it", user_id)
            return NotAFriend(user_id, f"LINE user {user_id} is not a friend of the Official Account: {message}")
        log.warning("The Messaging API refused a push (HTTP %s): %s", status, message)
        return MessagingRequestError(status, message)


def _message(answer: object, status: int) -> str:
    message = answer.get("message") if isinstance(answer, dict) else None
    return str(message) if message else f"HTTP {status}"


def _retry_header(retry_key: str | None) -> dict[str, str]:
    if retry_key is None:
        return {}
    return {"X-Line-Retry-Key": str(uuid.UUID(retry_key))}


def _already_accepted(response: requests.Response) -> bool:
    """LINE's 409 to a retry key it already accepted: the first request went through."""
    return response.status_code == 409 and "x-line-accepted-request-id" in response.headers


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]
