"""Attaching a module channel: LINE Official Account Manager's consent, then the attach call."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import current_app
from werkzeug.datastructures import MultiDict

from .. import signals
from ..config import BRAND_TYPES, MODULE_REGIONS, MODULE_SCOPES, ConfigReader, ModuleSettings, basic_search_id
from ..errors import AttachmentStoreError, BadRequestOption, UpstreamUnavailable
from ..flows import AuthorizationFlow, FlowSignals
from ..http import LineHttp
from ..login.flow import LineLogin
from ..pending import PendingFlow, PendingFlows
from ..user import LineUser
from .selection import AttachmentSelection
from .store import AttachmentStore, ModuleAttachment, utc_now

log = logging.getLogger("flask_line")


class ModuleAttachFlow(AuthorizationFlow[ModuleAttachment]):
    """The attach flow of one app."""

    kind = "attach"
    signals = FlowSignals(signals.module_attached, signals.module_attach_denied, signals.module_attach_failed)
    callback_endpoint = "line.attach_callback"

    def __init__(
        self,
        settings: ModuleSettings,
        pending: PendingFlows,
        http: LineHttp,
        store: AttachmentStore,
        selection: AttachmentSelection,
        login: LineLogin | None = None,
    ) -> None:
        super().__init__(pending, callback_url=settings.callback_url, default_next=settings.default_next)
        self.settings = settings
        self.http = http
        self.store = store
        self.selection = selection
        #: The app's LINE Login, to record which signed-in admin attached (None: LINE Login is off).
        self.login = login

    @property
    def uses_nonce(self) -> bool:
        return False

    @property
    def uses_pkce(self) -> bool:
        return self.settings.pkce

    def options_from(self, args: MultiDict[str, str]) -> dict[str, Any]:
        """The attach parameters: settings overridden by ``scope``, ``region``, ``basic_search_id``, ``brand_type``."""
        given = {key: args[key] for key in ("scope", "region", "basic_search_id", "brand_type") if args.get(key)}
        read = ConfigReader(given, error=BadRequestOption)
        settings = self.settings
        scopes = read.words("scope", MODULE_SCOPES) if "scope" in given else settings.scopes
        brand_type = read.words("brand_type", BRAND_TYPES) if "brand_type" in given else settings.brand_type
        options = {
            "scope": " ".join(scopes),
            "region": read.choice("region", MODULE_REGIONS) if "region" in given else settings.region,
            "basic_search_id": basic_search_id(read, "basic_search_id") or settings.basic_search_id,
            "brand_type": " ".join(brand_type) or None,
        }
        return {key: value for key, value in options.items() if value}

    def authorization_url(self, flow: PendingFlow) -> str:
        return self.grant_uri(self.settings.authorize_url, self.settings.channel_id, flow, flow.extra)

    def complete(self, code: str, flow: PendingFlow, params: Mapping[str, str]) -> ModuleAttachment:
        body = {"grant_type": "authorization_code", "code": code, "redirect_uri": flow.redirect_uri, **flow.extra}
        if flow.code_verifier:
            body["code_verifier"] = flow.code_verifier
        auth = (self.settings.channel_id, self.settings.channel_secret)
        answer = self.http.json("POST", self.settings.token_url, data=body, auth=auth)
        bot_id, scopes = answer.get("bot_id"), answer.get("scopes")
        if not isinstance(bot_id, str) or not bot_id or not isinstance(scopes, list):
            raise UpstreamUnavailable("LINE's attach response has no bot_id and scopes")
        return ModuleAttachment(
            bot_id=bot_id,
            # Only what LINE granted counts: the admin may have approved fewer scopes than we asked for.
            scopes=frozenset(str(scope) for scope in scopes),
            attached_at=utc_now(),
            attached_by=self._signed_in_admin(),
            region=flow.extra.get("region"),
            basic_search_id=flow.extra.get("basic_search_id"),
        )

    def _signed_in_admin(self) -> str | None:
        user = self.login.current_user() if self.login is not None else None
        return user.user_id if isinstance(user, LineUser) else None

    def commit(self, result: ModuleAttachment, flow: PendingFlow) -> None:
        try:
            self.store.save(result)
        except Exception as error:  # any store backend: log everything an operator needs, then fail loudly
            log.exception(
                "Module attached at LINE but NOT stored: bot_id=%s scopes=%s attached_by=%s",
                result.bot_id,
                " ".join(sorted(result.scopes)),
                result.attached_by,
            )
            raise AttachmentStoreError(
                f"LINE attached the module to bot {result.bot_id}, but saving it failed; an operator has been told."
            ) from error
        self.selection.remember(result.bot_id)
        log.info("Module attached to bot %s with scopes %s", result.bot_id, " ".join(sorted(result.scopes)))
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.signals.succeeded.send(app, attachment=result)
