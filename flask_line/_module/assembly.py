"""The module channel's service, built from the app's shared parts: imported by the runtime only for an app that
has a module channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._parts import SharedParts
from .._store.attachments import AttachmentStore
from .flow import AttachFlow
from .selection import AttachmentSelection
from .service import AccessRule, ModuleService, rule_allows
from .settings import ModuleSettings


def module_service(
    parts: SharedParts,
    settings: ModuleSettings,
    store: AttachmentStore,
    current_user: Callable[[], Any],
    signed_in_user_id: Callable[[], str | None],
    access_rule: Callable[[], AccessRule | None],
) -> ModuleService:
    """The module service; its admins are whoever ``current_user`` says is signed in with LINE Login."""
    # The selected Official Account belongs to the LINE Login identity: it goes when that person does.
    selection = parts.identities.register(AttachmentSelection(store, settings.channel_id))
    flow = AttachFlow(
        settings,
        parts.pending,
        parts.http,
        store,
        selection,
        signed_in_user_id,
        may_use=lambda attachment: rule_allows(access_rule, current_user, attachment),
    )
    return ModuleService(settings, parts.http, store, flow, current_user, access_rule, parts.shared)
