"""``ext.module``: the attachments, the module channel access token, detach, and the Messaging API client."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, has_request_context

from .. import signals
from .._wire.api_client import ApiClient
from .._wire.http import LineHttp, oauth_error
from .._wire.oauth import OAuthClient
from .._wire.shared_token import SharedToken
from .._wire.tokens import LineToken
from ..errors import MissingModuleScope
from .flow import AttachFlow
from .scopes import required_scope
from .selection import AttachmentSelection
from .settings import ModuleSettings
from .store import AttachmentStore, ModuleAttachment

log = logging.getLogger("flask_line")


class ModuleService:
    """Everything a module provider does after the attach: usable in requests, CLI commands and jobs."""

    def __init__(self, settings: ModuleSettings, http: LineHttp, store: AttachmentStore, flow: AttachFlow) -> None:
        self.settings = settings
        self.http = http
        #: Where attachments are kept (the app's store, or the default SQLite one).
        self.store = store
        self.flow = flow
        self.selection: AttachmentSelection = flow.selection
        self._channel_client = OAuthClient(http, settings.channel_id, settings.channel_secret)
        #: The module channel access token, shared by every thread.
        self.channel_token = SharedToken(self._issue_channel_token)

    def __repr__(self) -> str:
        return f"<ModuleService channel {self.settings.channel_id}>"

    def _issue_channel_token(self) -> LineToken:
        return self._channel_client.client_credentials(self.settings.channel_token_url)

    def current(self) -> ModuleAttachment | None:
        """The session's selected attachment, or None."""
        return self.selection.current()

    def select(self, bot_id: str) -> ModuleAttachment:
        """Make ``bot_id`` the session's current attachment; :class:`LookupError` if it is not attached."""
        attachment = self.store.get(bot_id)
        if attachment is None:
            raise LookupError(f"no module attachment for bot {bot_id}")
        self.selection.remember(bot_id)
        return attachment

    def attachments(self) -> list[ModuleAttachment]:
        """Every stored attachment."""
        return self.store.list()

    def detach(self, bot_id: str) -> None:
        """Detach the module from ``bot_id`` at LINE, then forget it and send ``module_detached``.

        If LINE refuses or fails, the record is kept and the error raised: nothing is lost.
        """
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

    def api(self, bot_id: str) -> ApiClient:
        """A client for the Messaging API on behalf of ``bot_id``.

        It sends the module channel access token and the bot id header, refuses locally a path whose scope the
        attachment lacks (:class:`~flask_line.errors.MissingModuleScope`), and retries once on a 401.
        """
        attachment = self._attachment(bot_id)

        def check_scope(method: str, path: str) -> None:
            scope = required_scope(path)
            if scope is not None and scope not in attachment.scopes:
                raise MissingModuleScope({scope}, bot_id)

        return self._client(headers={self.settings.bot_id_header: bot_id}, before_send=check_scope)

    def _attachment(self, bot_id: str) -> ModuleAttachment:
        # In a view behind @requires_module_scope the session's attachment is already loaded: no second query.
        current = self.selection.current() if has_request_context() else None
        attachment = current if current is not None and current.bot_id == bot_id else self.store.get(bot_id)
        if attachment is None:
            raise LookupError(f"no module attachment for bot {bot_id}")
        return attachment

    def _client(self, headers: dict[str, str], before_send: Callable[[str, str], None] | None = None) -> ApiClient:
        return ApiClient(self.http, self.settings.messaging_api_url, self.channel_token, headers, before_send)
