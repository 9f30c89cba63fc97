"""Attaching a module channel: LINE Official Account Manager's consent, then the attach call."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from flask import current_app

from .._config import ValueReader
from .._flow.authorization import AuthorizationFlow
from .._flow.pending import PendingAuthorization, PendingAuthorizations
from .._flows import ATTACH_SIGNALS
from .._log import log
from .._store.abilities import claim
from .._store.attachments import AttachmentStore, ModuleAttachment, utc_now
from .._translatable import N_
from .._wire.http import LineHttp
from .._wire.ids import line_id
from .._wire.oauth import OAuthClient
from ..errors import (
    AttachmentOwnedElsewhere,
    AttachmentStoreError,
    AttachStartedByAnother,
    BadRequestOption,
    StoreUnavailable,
    UpstreamUnavailable,
)
from .selection import AttachmentSelection
from .settings import ATTACH_KIND, BRAND_TYPES, MODULE_REGIONS, MODULE_SCOPES, ModuleSettings, basic_search_id


class AttachFlow(AuthorizationFlow[ModuleAttachment]):
    """The attach flow of one app.

    :param signed_in_user_id: who is signed in with LINE Login now (recorded as ``attached_by``), or None.
    """

    kind = ATTACH_KIND
    signals = ATTACH_SIGNALS
    callback_endpoint = "line.attach_callback"
    start_endpoint = "line.attach"
    credential_settings = "LINE_MODULE_CHANNEL_ID and LINE_MODULE_CHANNEL_SECRET"
    denied_title = N_("The attach was cancelled")
    settings_to_check = "LINE_MODULE_SCOPES, LINE_MODULE_CHANNEL_ID, LINE_MODULE_CALLBACK_URL and the attach options"

    def __init__(
        self,
        settings: ModuleSettings,
        pending: PendingAuthorizations,
        http: LineHttp,
        store: AttachmentStore,
        selection: AttachmentSelection,
        signed_in_user_id: Callable[[], str | None],
        may_use: Callable[[ModuleAttachment], bool] = lambda attachment: False,
    ) -> None:
        super().__init__(
            pending,
            # The attach call authenticates with HTTP Basic (LINE's "Attach module channel").
            OAuthClient(http, settings.channel_id, settings.channel_secret, basic_auth=True),
            authorize_url=settings.authorize_url,
            callback_url=settings.callback_url,
            default_next=settings.default_next,
        )
        self.settings = settings
        self.store = store
        self.selection = selection
        self.signed_in_user_id = signed_in_user_id
        #: Whether the app's access rule lets this request's admin use an attachment another admin owns.
        self.may_use = may_use

    @property
    def uses_nonce(self) -> bool:
        return False

    @property
    def uses_pkce(self) -> bool:
        return self.settings.pkce

    def options_from(self, args: Mapping[str, str]) -> dict[str, Any]:
        """The attach parameters: settings overridden by ``scope``, ``region``, ``basic_search_id``, ``brand_type``."""
        given = {key: args[key] for key in ("scope", "region", "basic_search_id", "brand_type") if args.get(key)}
        read = ValueReader(given, error=BadRequestOption)
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

    def authorization_params(self, pending: PendingAuthorization) -> Mapping[str, str | None]:
        return pending.extra

    def starter(self) -> str | None:
        """The admin signed in with LINE Login who starts the attach: it belongs to them."""
        return self.signed_in_user_id()

    def complete(self, code: str, pending: PendingAuthorization, params: Mapping[str, str]) -> ModuleAttachment:
        admin = self.signed_in_user_id()
        if admin != pending.started_by:
            # Another person signed in on this browser since: their consent at LINE is not asked for, and the
            # attach is not made (the code is never exchanged), as linking refuses the same case.
            log.warning(
                "Attach started by %s completed as %s: refused", pending.started_by or "nobody", admin or "nobody"
            )
            raise AttachStartedByAnother("The attach was started by another LINE account than the one signed in.")
        answer = self.client.exchange_code(
            self.settings.token_url, code, pending.redirect_uri, pending.code_verifier, **pending.extra
        )
        bot_id, scopes = answer.get("bot_id"), granted_scopes(answer)
        if bot_id is None or scopes is None:
            raise UpstreamUnavailable("LINE's attach response has no bot_id and scopes")
        return ModuleAttachment(
            bot_id=line_id(bot_id, "attach answer's bot_id"),
            # Only what LINE granted counts: the admin may have approved fewer scopes than we asked for.
            scopes=scopes,
            attached_at=utc_now(),
            attached_by=self.signed_in_user_id(),
            region=pending.extra.get("region"),
            basic_search_id=pending.extra.get("basic_search_id"),
        )

    def commit(self, result: ModuleAttachment, pending: PendingAuthorization) -> None:
        try:
            result = self._save(result)
        except AttachmentOwnedElsewhere:
            raise
        except Exception as error:  # any store backend: log everything an operator needs, then fail loudly
            log.exception(
                "Module attached at LINE but NOT stored: bot_id=%s scopes=%s attached_by=%s",
                result.bot_id,
                " ".join(sorted(result.scopes)),
                result.attached_by,
            )
            failure = AttachmentStoreError(
                f"LINE attached the module to bot {result.bot_id}, but saving it failed; an operator has been told."
            )
            if isinstance(error, StoreUnavailable):
                failure.status_code = StoreUnavailable.status_code  # a database outage: retry later
            raise failure from error
        self.selection.remember(result.bot_id, asked=frozenset(str(pending.extra.get("scope", "")).split()))
        log.info("Module attached to bot %s with scopes %s", result.bot_id, " ".join(sorted(result.scopes)))
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.signals.succeeded.send(app, attachment=result)

    def _save(self, attachment: ModuleAttachment) -> ModuleAttachment:
        """Store ``attachment`` unless another admin owns the bot (then: shared if the app's rule lets this admin
        use it, else refused); the stored record. Of two admins attaching one account at once, one owns it."""
        stored = self._claim(attachment)
        if stored is attachment:
            return stored
        if not self.may_use(stored):
            log.warning("Bot %s is attached by another admin: refused for %s", stored.bot_id, attachment.attached_by)
            raise AttachmentOwnedElsewhere(
                f"The Official Account {stored.bot_id} belongs to another admin; the access rule does not share it."
            )
        shared = replace(stored, scopes=attachment.scopes, active=True)  # LINE's new grant, the owner unchanged
        self.store.save(shared)
        return shared

    def _claim(self, attachment: ModuleAttachment) -> ModuleAttachment:
        # LINE has attached already: a database that is briefly away (a restart, a failover) is waited for, so
        # the record is not lost.
        for delay in (*SAVE_RETRY_DELAYS, None):
            try:
                return claim(self.store, attachment)
            except StoreUnavailable:
                if delay is None:
                    raise
                log.warning("Saving the attachment of bot %s failed; retrying in %.2gs", attachment.bot_id, delay)
                time.sleep(delay)
        raise AssertionError("unreachable: the last attempt raises")


#: Seconds to wait before each retry of saving an attachment while the database is unavailable.
SAVE_RETRY_DELAYS = (0.25, 0.75, 2.0)


def granted_scopes(answer: Mapping[str, object]) -> frozenset[str] | None:
    """The scopes of an attach answer: the documented ``scopes`` array, or a space-separated ``scope`` string
    (the prose of LINE's reference names it so); None when neither is there."""
    scopes = answer.get("scopes")
    if isinstance(scopes, list) and all(isinstance(scope, str) for scope in scopes):
        return frozenset(scopes)
    scope = answer.get("scope")
    if isinstance(scope, str):
        return frozenset(scope.split())
    return None
