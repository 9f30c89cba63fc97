"""flask-line: LINE Login, LINE Official Account modules and LINE WORKS sign-in for Flask."""

from .decorators import current_line_user, line_login_required
from .extension import LineOAuth
from .tokens import LineToken
from .user import AnonymousUser, LineUser

__all__ = [
    "AnonymousUser",
    "LineOAuth",
    "LineToken",
    "LineUser",
    "current_line_user",
    "line_login_required",
]

__version__ = "0.1.0"
