"""LINE's identifiers, checked on the way in.

LINE documents user ids (an ID token's ``sub``, the profile's ``userId``) and bot ids (a module attach's
``bot_id``) as ``U`` followed by 32 lower-case hex digits. An answer whose id does not have that shape is one
flask-line cannot use (a 502, :class:`~flask_line.errors.UnusableAnswer`): it is never stored, so it can never
break a page later (an id that cannot go into an HTTP header, a NUL that PostgreSQL refuses).
"""

from __future__ import annotations

import re

from ..errors import UnusableAnswer

#: A LINE user id or bot id.
LINE_ID = re.compile(r"U[0-9a-f]{32}")


def line_id(value: object, what: str) -> str:
    """``value`` when it is a LINE id; otherwise :class:`UnusableAnswer` naming ``what`` (never the value)."""
    if isinstance(value, str) and LINE_ID.fullmatch(value):
        return value
    raise UnusableAnswer(f"LINE's {what} is not a LINE id (U and 32 hex digits)")
