"""flask-line: LINE Login, LINE Official Account modules and LINE WORKS sign-in for Flask.

The names below, and the modules :mod:`flask_line.errors`, :mod:`flask_line.signals`, :mod:`flask_line.demo` and
:mod:`flask_line.testing`, are the public API. Modules whose names start with ``_`` are internal.

Each name is imported when it is first used (``from flask_line import LineOAuth`` loads the extension, not LINE
WORKS or the Messaging API): ``PUBLIC_NAMES`` says where each one lives.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Every public name and the module that defines it; ``__all__``, ``__getattr__`` and ``__dir__`` read it.
PUBLIC_NAMES: dict[str, str] = {
    "AccessRule": "._module.service",
    "AccountChoice": "._module.choices",
    "AccountLink": "._store.links",
    "AccountLinkStore": "._store.links",
    "AnonymousUser": "._identity.anonymous",
    "ApiClient": "._wire.api_client",
    "AttachmentSelection": "._module.selection",
    "AttachmentStore": "._store.attachments",
    "ChannelLoader": "._login.channels",
    "CommonSettings": "._config",
    "CompanyLoader": "._works.companies",
    "IdentityStorage": "._identity.storage",
    "LineOAuth": "._extension",
    "LineToken": "._wire.tokens",
    "LineUser": "._login.user",
    "LinkUserHook": "._accounts.linking",
    "LoginChannel": "._login.channels",
    "LoginService": "._login.service",
    "LoginSettings": "._login.settings",
    "Messaging": "._messaging.routing",
    "MessagingChannel": "._messaging.channels",
    "MessagingChannelLoader": "._messaging.channels",
    "MessagingService": "._messaging.service",
    "MessagingSettings": "._messaging.settings",
    "ModuleApiClient": "._module.api",
    "ModuleAttachment": "._store.attachments",
    "ModuleService": "._module.service",
    "ModuleSettings": "._module.settings",
    "MulticastResult": "._messaging.service",
    "PushResult": "._messaging.service",
    "SQLiteAccountLinks": "._store.sqlite",
    "SQLiteAttachmentStore": "._store.sqlite",
    "SdkModel": "._messaging.messages",
    "Setting": "._config",
    "Settings": "._settings",
    "SignInRequired": "._decorators",
    "SignedInIdentity": "._identity.signed_in",
    "Storage": "._extension",
    "WorksCompany": "._works.companies",
    "WorksService": "._works.service",
    "WorksSettings": "._works.settings",
    "WorksUser": "._works.user",
    "current_attachment": "._decorators",
    "current_line_user": "._decorators",
    "current_works_user": "._decorators",
    "line_login_required": "._decorators",
    "line_token_required": "._decorators",
    "requires_module_scope": "._decorators",
    "works_login_required": "._decorators",
}

#: The public modules, importable as attributes too (``flask_line.errors``).
PUBLIC_MODULES = ("demo", "errors", "signals")

__all__ = sorted([*PUBLIC_NAMES, *PUBLIC_MODULES])

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """A public name, imported from its module at first use (then kept in this module, so asked for once)."""
    if name in PUBLIC_NAMES:
        value = getattr(importlib.import_module(PUBLIC_NAMES[name], __name__), name)
    elif name in PUBLIC_MODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if TYPE_CHECKING:  # the same names, for type checkers and IDEs (a test checks they agree with PUBLIC_NAMES)
    from . import demo as demo
    from . import errors as errors
    from . import signals as signals
    from ._accounts.linking import LinkUserHook as LinkUserHook
    from ._config import CommonSettings as CommonSettings
    from ._config import Setting as Setting
    from ._decorators import (
        SignInRequired as SignInRequired,
    )
    from ._decorators import (
        current_attachment as current_attachment,
    )
    from ._decorators import (
        current_line_user as current_line_user,
    )
    from ._decorators import (
        current_works_user as current_works_user,
    )
    from ._decorators import (
        line_login_required as line_login_required,
    )
    from ._decorators import (
        line_token_required as line_token_required,
    )
    from ._decorators import (
        requires_module_scope as requires_module_scope,
    )
    from ._decorators import (
        works_login_required as works_login_required,
    )
    from ._extension import LineOAuth as LineOAuth
    from ._extension import Storage as Storage
    from ._identity.anonymous import AnonymousUser as AnonymousUser
    from ._identity.signed_in import SignedInIdentity as SignedInIdentity
    from ._identity.storage import IdentityStorage as IdentityStorage
    from ._login.channels import ChannelLoader as ChannelLoader
    from ._login.channels import LoginChannel as LoginChannel
    from ._login.service import LoginService as LoginService
    from ._login.settings import LoginSettings as LoginSettings
    from ._login.user import LineUser as LineUser
    from ._messaging.channels import (
        MessagingChannel as MessagingChannel,
    )
    from ._messaging.channels import (
        MessagingChannelLoader as MessagingChannelLoader,
    )
    from ._messaging.messages import SdkModel as SdkModel
    from ._messaging.routing import Messaging as Messaging
    from ._messaging.service import (
        MessagingService as MessagingService,
    )
    from ._messaging.service import (
        MulticastResult as MulticastResult,
    )
    from ._messaging.service import (
        PushResult as PushResult,
    )
    from ._messaging.settings import MessagingSettings as MessagingSettings
    from ._module.api import ModuleApiClient as ModuleApiClient
    from ._module.choices import AccountChoice as AccountChoice
    from ._module.selection import AttachmentSelection as AttachmentSelection
    from ._module.service import AccessRule as AccessRule
    from ._module.service import ModuleService as ModuleService
    from ._module.settings import ModuleSettings as ModuleSettings
    from ._settings import Settings as Settings
    from ._store.attachments import AttachmentStore as AttachmentStore
    from ._store.attachments import ModuleAttachment as ModuleAttachment
    from ._store.links import AccountLink as AccountLink
    from ._store.links import AccountLinkStore as AccountLinkStore
    from ._store.sqlite import SQLiteAccountLinks as SQLiteAccountLinks
    from ._store.sqlite import SQLiteAttachmentStore as SQLiteAttachmentStore
    from ._wire.api_client import ApiClient as ApiClient
    from ._wire.tokens import LineToken as LineToken
    from ._works.companies import CompanyLoader as CompanyLoader
    from ._works.companies import WorksCompany as WorksCompany
    from ._works.service import WorksService as WorksService
    from ._works.settings import WorksSettings as WorksSettings
    from ._works.user import WorksUser as WorksUser
