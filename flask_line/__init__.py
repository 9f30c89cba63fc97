"""flask-line: LINE Login, LINE Official Account modules and LINE WORKS sign-in for Flask.

The names below, and the modules :mod:`flask_line.errors`, :mod:`flask_line.signals` and
:mod:`flask_line.testing`, are the public API. Modules whose names start with ``_`` are internal.
"""

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import errors, signals
    from ._accounts.linking import LinkUserHook
    from ._config import CommonSettings, Setting
    from ._decorators import (
        SignInRequired,
        current_attachment,
        current_line_user,
        current_works_user,
        line_login_required,
        line_token_required,
        requires_module_scope,
        works_login_required,
    )
    from ._extension import LineOAuth, Storage
    from ._identity.anonymous import AnonymousUser
    from ._identity.signed_in import SignedInIdentity
    from ._identity.storage import IdentityStorage
    from ._login.channels import ChannelLoader, LoginChannel
    from ._login.service import LoginService
    from ._login.settings import LoginSettings
    from ._login.user import LineUser
    from ._messaging.messages import SdkModel
    from ._messaging.service import MessagingService, MulticastResult, PushResult
    from ._messaging.settings import MessagingSettings
    from ._module.api import ModuleApiClient
    from ._module.selection import AttachmentSelection
    from ._module.service import AccessRule, ModuleService
    from ._module.settings import ModuleSettings
    from ._runtime import Settings
    from ._store.attachments import AttachmentStore, ModuleAttachment, SQLiteAttachmentStore
    from ._store.links import AccountLink, AccountLinkStore, SQLiteAccountLinks
    from ._wire.api_client import ApiClient
    from ._wire.tokens import LineToken
    from ._works.companies import CompanyLoader, WorksCompany
    from ._works.service import WorksService
    from ._works.settings import WorksSettings
    from ._works.user import WorksUser

__all__ = [
    "AccessRule",
    "AccountLink",
    "AccountLinkStore",
    "AnonymousUser",
    "ApiClient",
    "AttachmentSelection",
    "AttachmentStore",
    "ChannelLoader",
    "CommonSettings",
    "CompanyLoader",
    "IdentityStorage",
    "LineOAuth",
    "LineToken",
    "LineUser",
    "LinkUserHook",
    "LoginChannel",
    "LoginService",
    "LoginSettings",
    "MessagingService",
    "MessagingSettings",
    "ModuleApiClient",
    "ModuleAttachment",
    "ModuleService",
    "ModuleSettings",
    "MulticastResult",
    "PushResult",
    "SQLiteAccountLinks",
    "SQLiteAttachmentStore",
    "SdkModel",
    "Setting",
    "Settings",
    "SignInRequired",
    "SignedInIdentity",
    "Storage",
    "WorksCompany",
    "WorksService",
    "WorksSettings",
    "WorksUser",
    "current_attachment",
    "current_line_user",
    "current_works_user",
    "errors",
    "line_login_required",
    "line_token_required",
    "requires_module_scope",
    "signals",
    "works_login_required",
]

#: Where each public name is defined. ``import flask_line`` loads none of them: a name loads the first time it is
#: used (``from flask_line import LineOAuth``, ``flask_line.LineOAuth``), with PEP 562's module ``__getattr__``.
#: Why: a process that needs one part (``flask_line.errors``, the emulator of ``flask_line.testing``, a CLI) does
#: not pay for the whole extension, and ``import flask_line`` stays within 1.15x of ``import flask``.
_DEFINED_IN = {
    "AccessRule": "._module.service",
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
    "MessagingService": "._messaging.service",
    "MessagingSettings": "._messaging.settings",
    "ModuleApiClient": "._module.api",
    "ModuleAttachment": "._store.attachments",
    "ModuleService": "._module.service",
    "ModuleSettings": "._module.settings",
    "MulticastResult": "._messaging.service",
    "PushResult": "._messaging.service",
    "SQLiteAccountLinks": "._store.links",
    "SQLiteAttachmentStore": "._store.attachments",
    "SdkModel": "._messaging.messages",
    "Setting": "._config",
    "Settings": "._runtime",
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
    "errors": ".errors",
    "line_login_required": "._decorators",
    "line_token_required": "._decorators",
    "requires_module_scope": "._decorators",
    "signals": ".signals",
    "works_login_required": "._decorators",
}


def __getattr__(name: str) -> object:
    """The public ``name``, imported from its module on first use (then kept, so this runs once per name)."""
    try:
        module = _DEFINED_IN[name]
    except KeyError:
        raise AttributeError(f"module 'flask_line' has no attribute {name!r}") from None
    imported = importlib.import_module(module, __name__)
    value = imported if module == f".{name}" else getattr(imported, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = "0.1.0"
