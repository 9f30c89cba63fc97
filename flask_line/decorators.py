"""View decorators and the ``current_line_user`` proxy."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast, overload

from werkzeug.local import LocalProxy

from .responses import sign_in_required
from .state import app_state
from .user import AnonymousUser, LineUser

F = TypeVar("F", bound=Callable[..., Any])


def _current_line_user() -> LineUser | AnonymousUser:
    login = app_state().login
    return login.current_user() if login is not None else AnonymousUser()


#: The user signed in with LINE Login in this session: a :class:`~flask_line.LineUser`, or an anonymous user
#: whose ``is_authenticated`` is False.
current_line_user: LineUser | AnonymousUser = cast(Any, LocalProxy(_current_line_user))


@overload
def line_login_required(view: F) -> F: ...
@overload
def line_login_required(view: None = None) -> Callable[[F], F]: ...
def line_login_required(view: F | None = None) -> F | Callable[[F], F]:
    """Require a LINE Login user. Usable bare (``@line_login_required``) or called (``@line_login_required()``).

    An anonymous browser is redirected to ``line.login`` with ``next`` set to the requested path and query;
    a client that prefers JSON (or an XHR request) gets a 401 JSON body.
    """
    if view is None:
        return line_login_required

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _current_line_user().is_authenticated:
            return view(*args, **kwargs)
        return sign_in_required("line.login", "Sign in with LINE to continue.")

    return cast(F, wrapper)
