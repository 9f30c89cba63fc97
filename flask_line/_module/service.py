"""``ext.module``: the attachments, the module channel access token, detach, and the Messaging API client."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context

from .. import signals
from .._log import log
from .._store.attachments import AttachmentStore, ModuleAttachment, utc_now
from .._wire.http import LineHttp, oauth_error
from .._wire.oauth import OAuthClient
from .._wire.shared_cache import NOT_SHARED, SharedCache
from .._wire.shared_token import SharedToken
from .._wire.tokens import LineToken
from .._wire.untrusted_json import UntrustedJsonError, parse
from ..errors import LineError, MissingModuleScope
from .api import ModuleApiClient
from .choices import AccountChoice
from .flow import AttachFlow
from .scopes import required_scope
from .selection import AttachmentSelection
from .settings import ModuleSettings
from .webhook import handle_webhook

#: Decides whether the person of this request may use an attachment: ``rule(attachment, current_line_user)``.
AccessRule = Callable[[ModuleAttachment, Any], bool]


def owner_only(attachment: ModuleAttachment, user: Any) -> bool:
    """The default access rule: only the LINE user who attached may use the attachment.

    An attachment made without a signed-in LINE user has no owner: only an app's own rule can open it.
    """
    owner = attachment.attached_by
    return owner is not None and bool(getattr(user, "is_authenticated", False)) and user.user_id == owner


#: How many webhook event ids each process remembers, to apply a delivery once.
SEEN_EVENTS = 10_000


def is_newer(at: datetime, attachment: ModuleAttachment) -> bool:
    """Whether an event of time ``at`` comes after the attachment was made and after its last state change."""
    return at >= attachment.attached_at and (attachment.state_changed_at is None or at > attachment.state_changed_at)


def rule_allows(
    access_rule: Callable[[], AccessRule | None], current_user: Callable[[], Any], attachment: ModuleAttachment
) -> bool:
    """Whether the app's rule (or :func:`owner_only`) lets this request's user use ``attachment`` (an
    ``async def`` rule runs too)."""
    rule = access_rule() or owner_only
    return bool(current_app.ensure_sync(rule)(attachment, current_user()))


class ModuleService:
    """Everything a module provider does after the attach: usable in requests, CLI commands and jobs.

    In a request, every way to reach an attachment (``current``, ``select``, ``api``, ``detach``, the
    ``requires_module_scope`` decorator) applies the access rule, so one tenant cannot act as another's
    Official Account. Outside a request (a CLI command, a background job) the app itself is trusted.

    :param current_user: the person of this request (``current_line_user``).
    :param access_rule: the app's rule (``@line.module_access_rule``), or None for :func:`owner_only`.
    """

    def __init__(
        self,
        settings: ModuleSettings,
        http: LineHttp,
        store: AttachmentStore,
        flow: AttachFlow,
        current_user: Callable[[], Any],
        access_rule: Callable[[], AccessRule | None] = lambda: None,
        shared: SharedCache = NOT_SHARED,
    ) -> None:
        self.settings = settings
        self.http = http
        #: Where attachments are kept (the app's store, or the default SQLite one).
        self.store = store
        self.flow = flow
        self.selection: AttachmentSelection = flow.selection
        self._channel_client = OAuthClient(http, settings.channel_id, settings.channel_secret)
        #: The module channel access token, shared by every thread.
        self.channel_token = SharedToken(
            self._issue_channel_token, shared=shared, name=f"module-channel:{settings.channel_id}"
        )
        self._current_user = current_user
        self._access_rule = access_rule
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self._seen_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ModuleService channel {self.settings.channel_id}>"

    def _issue_channel_token(self) -> LineToken:
        return self._channel_client.client_credentials(self.settings.channel_token_url)

    def may_use(self, attachment: ModuleAttachment) -> bool:
        """Whether this request's user may use ``attachment`` (always True outside a request)."""
        if not has_request_context():
            return True
        return rule_allows(self._access_rule, self._current_user, attachment)

    @property
    def owner_rule(self) -> bool:
        """Whether the default rule applies: an attachment belongs to the LINE user who attached it."""
        return self._access_rule() is None

    def needs_sign_in(self) -> bool:
        """Whether this request's visitor must sign in with LINE before attaching or choosing (the default rule
        gives an attachment to the signed-in LINE user; an anonymous one would belong to nobody)."""
        return has_request_context() and self.owner_rule and not self.signed_in()

    def signed_in(self) -> bool:
        """Whether this request's visitor is signed in with LINE Login."""
        return bool(getattr(self._current_user(), "is_authenticated", False))

    def current(self) -> ModuleAttachment | None:
        """The session's selected attachment, or None (nothing selected, detached, or not this user's).

        A signed-in admin with exactly one attachment of their own has it selected without choosing.
        """
        attachment = self.selection.current()
        if attachment is None and has_request_context() and self.selection.selected_bot_id() is None:
            attachment = self._only_attachment()
        return attachment if attachment is not None and self.may_use(attachment) else None

    def _only_attachment(self) -> ModuleAttachment | None:
        if not self.signed_in():
            return None
        visible = self.attachments()
        if len(visible) != 1:
            return None
        self.selection.remember(visible[0].bot_id)
        return visible[0]

    def select(self, bot_id: str) -> ModuleAttachment:
        """Make ``bot_id`` the session's current attachment.

        :raises LookupError: it is not attached, or the access rule refuses it (the same error, so nothing
            about another tenant's bot leaks).
        """
        attachment = self._attachment(bot_id)
        self.selection.remember(bot_id)
        return attachment

    def attachments(self) -> list[ModuleAttachment]:
        """The attachments this request's user may use (the access rule decides); outside a request, all.

        A "your Official Accounts" page lists these. Jobs and CLI commands that need every tenant's attachments
        call :meth:`all_attachments`, which says so.
        """
        every = self.store.list()
        return [attachment for attachment in every if self.may_use(attachment)] if has_request_context() else every

    def choices(self) -> list[AccountChoice]:
        """The :meth:`attachments` as the chooser lists them: each Official Account's name and picture, and the one
        this browser works with (the only one is selected now)."""
        current = self.current()
        return [AccountChoice.of(attachment, self._info(attachment), current) for attachment in self.attachments()]

    def choice(self, bot_id: str) -> AccountChoice | None:
        """One of the :meth:`attachments`, as the detach page names it (None: no such attachment for this user)."""
        attachment = next((found for found in self.attachments() if found.bot_id == bot_id), None)
        return AccountChoice.of(attachment, self._info(attachment), None) if attachment is not None else None

    def _info(self, attachment: ModuleAttachment) -> dict[str, Any]:
        return self.bot_info(attachment.bot_id) if attachment.active else {}

    def all_attachments(self) -> list[ModuleAttachment]:
        """Every stored attachment of every tenant, whoever asks: for jobs, CLI commands and operators."""
        return self.store.list()

    def bot_info(self, bot_id: str) -> dict[str, Any]:
        """The Official Account's name and picture (Messaging API "Get bot info"): ``{"displayName",
        "pictureUrl", "basicId"}`` as LINE answers, or ``{}`` when LINE cannot say (the access rule applies)."""
        try:
            response = self.api(bot_id).get("/v2/bot/info")
        except LineError as error:
            log.info("No bot info for %s (%s)", bot_id, error.code)
            return {}
        if response.status_code != 200:
            return {}
        try:
            info = parse(response.content)
        except UntrustedJsonError:
            return {}
        return {
            key: str(info[key])
            for key in ("displayName", "pictureUrl", "basicId")
            if isinstance(info, dict) and isinstance(info.get(key), str)
        }

    def detach(self, bot_id: str) -> None:
        """Detach the module from ``bot_id`` at LINE, then forget it and send ``module_detached``.

        If LINE refuses or fails, the record is kept and the error raised: nothing is lost. In a request, the
        access rule applies (:class:`LookupError` as for a bot that is not attached).
        """
        self._attachment(bot_id)
        response = self._client(headers={}).post(self.settings.detach_url, json={"botId": bot_id})
        if response.status_code >= 400:
            raise oauth_error(response)
        self.forget(bot_id)

    def forget(self, bot_id: str) -> None:
        """Remove ``bot_id``'s record (LINE already detached it) and send ``module_detached``."""
        self.store.delete(bot_id)
        if has_request_context():  # a job or CLI command has no session to update
            self.selection.forget(bot_id)
        log.info("Module detached from bot %s", bot_id)
        signals.module_detached.send(current_app._get_current_object(), bot_id=bot_id)  # type: ignore[attr-defined]

    def handle_webhook(self, body: bytes, signature: str | None) -> int:
        """Verify one delivery of LINE's module webhook and apply its events; return how many were applied."""
        return handle_webhook(self, body, signature)

    def api(self, bot_id: str) -> ModuleApiClient:
        """A client for the Messaging API on behalf of ``bot_id``.

        It sends the module channel access token and the bot id header, refuses locally a path whose scope the
        attachment lacks (:class:`~flask_line.errors.MissingModuleScope`), sends nothing outside LINE's API URLs
        (:class:`~flask_line.errors.ApiTargetRefused`), and retries once on a 401.

        :raises LookupError: ``bot_id`` is not attached, or (in a request) the access rule refuses it.
        """
        attachment = self._attachment(bot_id)

        def check_scope(method: str, path: str) -> None:
            scope = required_scope(path)
            if scope is not None and scope not in attachment.scopes:
                raise MissingModuleScope({scope}, bot_id)

        return self._client(headers={self.settings.bot_id_header: bot_id}, before_send=check_scope)

    def record_suspension(self, bot_id: str, *, suspended: bool, at: datetime | None = None) -> ModuleAttachment | None:
        """Mark ``bot_id``'s attachment suspended or active again (LINE's ``botSuspended``/``botResumed``); None
        when nothing changed. An event from before the attachment's last change (``at``) changes nothing."""
        attachment = self.store.get(bot_id)
        if attachment is None or (at is not None and not is_newer(at, attachment)):
            return None
        if attachment.active is not suspended:
            if at is not None:  # already so: remember the newer time, so an older opposite event cannot undo it
                self.store.save(replace(attachment, state_changed_at=at))
            return None
        updated = replace(attachment, active=not suspended, state_changed_at=at or utc_now())
        self.store.save(updated)
        return updated

    def first_delivery(self, event_id: object) -> bool:
        """Whether this process sees LINE's ``webhookEventId`` for the first time (bounded memory; a redelivery to
        another worker is caught by the events' times instead)."""
        if not isinstance(event_id, str) or not event_id:
            return True
        with self._seen_lock:
            if event_id in self._seen_events:
                return False
            self._seen_events[event_id] = None
            while len(self._seen_events) > SEEN_EVENTS:
                self._seen_events.popitem(last=False)
        return True

    def _attachment(self, bot_id: str) -> ModuleAttachment:
        # In a view behind @requires_module_scope the session's attachment is already loaded: no second query.
        current = self.selection.current() if has_request_context() else None
        attachment = current if current is not None and current.bot_id == bot_id else self.store.get(bot_id)
        if attachment is None or not self.may_use(attachment):
            raise LookupError(f"no module attachment for bot {bot_id}")
        return attachment

    def _client(
        self, headers: dict[str, str], before_send: Callable[[str, str], None] | None = None
    ) -> ModuleApiClient:
        settings = self.settings
        other_bases = (settings.messaging_api_data_url, settings.detach_url)
        return ModuleApiClient(
            self.http, settings.messaging_api_url, self.channel_token, headers, before_send, other_bases
        )
