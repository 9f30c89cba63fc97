"""flask-line: LINE Login, LINE Official Account modules and LINE WORKS sign-in for Flask."""

from .decorators import (
    current_attachment,
    current_line_user,
    current_works_user,
    line_login_required,
    requires_module_scope,
    works_login_required,
)
from .extension import LineOAuth
from .module.store import AttachmentStore, ModuleAttachment, SQLiteAttachmentStore
from .tokens import LineToken
from .user import AnonymousUser, LineUser
from .works.user import WorksUser

__all__ = [
    "AnonymousUser",
    "AttachmentStore",
    "LineOAuth",
    "LineToken",
    "LineUser",
    "ModuleAttachment",
    "SQLiteAttachmentStore",
    "WorksUser",
    "current_attachment",
    "current_line_user",
    "current_works_user",
    "line_login_required",
    "requires_module_scope",
    "works_login_required",
]

__version__ = "0.1.0"
