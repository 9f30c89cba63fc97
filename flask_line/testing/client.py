"""Sign a Flask test client in without the dance, as Flask-Login's ``FlaskLoginClient`` does for its users.

::

    from flask_line import LineUser
    from flask_line.testing import LineTestClient

    app.test_client_class = LineTestClient
    client = app.test_client(line_user=LineUser("U4af4980629...", display_name="Brown"))
    assert client.get("/profile").status_code == 200

Or, with any test client: ``sign_in_line_user(client, "U4af4980629...")``. The identity is written through
flask-line's public identity objects (``line.login.identity``, ``line.works.sign_in.identity``,
``line.module.selection``), so a test never spells a session key. This module talks to the app's extension
object only, never to the rest of the emulator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from flask import Flask
from flask.testing import FlaskClient

if TYPE_CHECKING:  # type names only: these helpers hand objects through to flask-line and share no rule with it
    from .._extension import LineOAuth
    from .._identity.anonymous import AnonymousUser
    from .._identity.signed_in import SignedInIdentity
    from .._login.channels import LoginChannel
    from .._login.service import LoginService
    from .._login.user import LineUser
    from .._wire.tokens import LineToken
    from .._works.user import WorksUser


def _line(app: Flask) -> LineOAuth:
    try:
        return cast("LineOAuth", app.extensions["line"])
    except KeyError:
        raise RuntimeError("flask-line is not initialised on this app: call LineOAuth(app) first.") from None


def _login(app: Flask, channel: LoginChannel | str | None) -> LoginService:
    """The app's LINE Login service, or that of ``channel`` in an app of many channels."""
    line = _line(app)
    return line.login if channel is None else line.login_for(channel)


def _works_identity(app: Flask) -> SignedInIdentity[WorksUser]:
    sign_in = _line(app).works.sign_in
    if sign_in is None:
        raise RuntimeError("this app's LINE WORKS has no sign-in: set LINE_WORKS_CLIENT_ID and its secret.")
    return sign_in.identity


def sign_in_line_user(
    client: FlaskClient,
    user: LineUser | str,
    token: LineToken | None = None,
    *,
    channel: LoginChannel | str | None = None,
) -> None:
    """Sign ``client`` in with LINE Login as ``user`` (a :class:`~flask_line.LineUser` or a user id).

    :param token: a :class:`~flask_line.LineToken` (None: signed in without one, as a LIFF sign-in is).
    :param channel: in an app of many channels, the :class:`~flask_line.LoginChannel` to sign in at.
    """
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        _login(app, channel).identity.save(user, token, session=session)


def sign_in_works_member(client: FlaskClient, member: WorksUser | str, token: LineToken | None = None) -> None:
    """Sign ``client`` in with LINE WORKS as ``member`` (a :class:`~flask_line.WorksUser` or a user id)."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        _works_identity(app).save(member, token, session=session)


def select_attachment(client: FlaskClient, bot_id: str) -> None:
    """Make ``bot_id`` the client's selected module attachment (the access rule still decides at each use)."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        _line(app).module.selection.remember(bot_id, session=session)


def signed_in_line_user(client: FlaskClient, *, channel: LoginChannel | str | None = None) -> LineUser | AnonymousUser:
    """The LINE Login user stored for ``client`` (a :class:`~flask_line.LineUser`, or an anonymous user)."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        return _login(app, channel).identity.current_user(session=session)


def signed_in_line_token(client: FlaskClient, *, channel: LoginChannel | str | None = None) -> LineToken | None:
    """The LINE Login token stored for ``client`` (a :class:`~flask_line.LineToken`), or None."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        return _login(app, channel).identity.current_token(session=session)


def signed_in_works_member(client: FlaskClient) -> WorksUser | AnonymousUser:
    """The LINE WORKS member stored for ``client``, or an anonymous user."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        return _works_identity(app).current_user(session=session)


def selected_bot_id(client: FlaskClient) -> str | None:
    """The bot id of ``client``'s selected attachment as stored, or None."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        return _line(app).module.selection.selected_bot_id(session=session)


class LineTestClient(FlaskClient):
    """A test client that can start signed in: ``app.test_client(line_user=..., works_member=..., bot_id=...)``.

    Each keyword is optional; ``line_token`` and ``works_token`` go with the users. The methods below sign in,
    select and read later in the test.
    """

    def __init__(
        self,
        *args: Any,
        line_user: LineUser | str | None = None,
        line_token: LineToken | None = None,
        works_member: WorksUser | str | None = None,
        works_token: LineToken | None = None,
        bot_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if line_user is not None:
            self.sign_in_line_user(line_user, line_token)
        if works_member is not None:
            self.sign_in_works_member(works_member, works_token)
        if bot_id is not None:
            self.select_attachment(bot_id)

    def sign_in_line_user(self, user: LineUser | str, token: LineToken | None = None) -> None:
        """See :func:`sign_in_line_user`."""
        sign_in_line_user(self, user, token)

    def sign_in_works_member(self, member: WorksUser | str, token: LineToken | None = None) -> None:
        """See :func:`sign_in_works_member`."""
        sign_in_works_member(self, member, token)

    def select_attachment(self, bot_id: str) -> None:
        """See :func:`select_attachment`."""
        select_attachment(self, bot_id)

    @property
    def line_user(self) -> LineUser | AnonymousUser:
        """See :func:`signed_in_line_user`."""
        return signed_in_line_user(self)

    @property
    def line_token(self) -> LineToken | None:
        """See :func:`signed_in_line_token`."""
        return signed_in_line_token(self)

    @property
    def works_member(self) -> WorksUser | AnonymousUser:
        """See :func:`signed_in_works_member`."""
        return signed_in_works_member(self)

    @property
    def selected_bot_id(self) -> str | None:
        """See :func:`selected_bot_id`."""
        return selected_bot_id(self)
