"""flask-line: LINE Login, LINE Official Account modules and LINE WORKS sign-in for Flask.

The names below, and the modules :mod:`flask_line.errors`, :mod:`flask_line.signals` and
:mod:`flask_line.testing`, are the public API. Modules whose names start with ``_`` are internal.
"""

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
from ._messaging.channels import MessagingChannel, MessagingChannelLoader
from ._messaging.messages import SdkModel
from ._messaging.routing import Messaging
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
    "Messaging",
    "MessagingChannel",
    "MessagingChannelLoader",
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

__version__ = "0.1.0"
