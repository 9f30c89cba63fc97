"""The stand-in ``current_line_user`` and ``current_works_user`` return when nobody is signed in."""

from __future__ import annotations


class AnonymousUser:
    """Stands in for a user when nobody is signed in; every profile attribute is None."""

    is_authenticated = False
    is_anonymous = True
    user_id = None
    display_name = None
    picture_url = None
    email = None
    status_message = None
    name = None
    domain_id = None
    amr: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    friendship_status_changed = None

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "<AnonymousUser>"
