"""flask-line: LINE Login, LINE Official Account modules and LINE WORKS sign-in for Flask."""

from .decorators import current_attachment, current_line_user, line_login_required, requires_module_scope
from .extension import LineOAuth
from .module.store import AttachmentStore, ModuleAttachment, SQLiteAttachmentStore
from .tokens import LineToken
from .user import AnonymousUser, LineUser

__all__ = [
    "AnonymousUser",
    "AttachmentStore",
    "LineOAuth",
    "LineToken",
    "LineUser",
    "ModuleAttachment",
    "SQLiteAttachmentStore",
    "current_attachment",
    "current_line_user",
    "line_login_required",
    "requires_module_scope",
]

__version__ = "0.1.0"
