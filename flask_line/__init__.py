"""flask-line: LINE Login, LINE Official Account modules and LINE WORKS sign-in for Flask.

The names below, and the modules :mod:`flask_line.errors`, :mod:`flask_line.signals` and
:mod:`flask_line.testing`, are the public API. Modules whose names start with ``_`` are internal.
"""

from . import errors, signals
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
from ._extension import LineOAuth
from ._identity.anonymous import AnonymousUser
from ._login.user import LineUser
from ._module.service import ModuleService
from ._store.attachments import AttachmentStore, ModuleAttachment, SQLiteAttachmentStore
from ._store.links import AccountLink, AccountLinkStore, SQLiteAccountLinks
from ._wire.api_client import ApiClient
from ._wire.tokens import LineToken
from ._works.service import WorksService
from ._works.user import WorksUser

__all__ = [
    "AccountLink",
    "AccountLinkStore",
    "AnonymousUser",
    "ApiClient",
    "AttachmentStore",
    "LineOAuth",
    "LineToken",
    "LineUser",
    "ModuleAttachment",
    "ModuleService",
    "SQLiteAccountLinks",
    "SQLiteAttachmentStore",
    "SignInRequired",
    "WorksService",
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
