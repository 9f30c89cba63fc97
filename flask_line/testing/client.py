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

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.testing import FlaskClient


def _line(app: Flask) -> Any:
    try:
        return app.extensions["line"]
    except KeyError:
        raise RuntimeError("flask-line is not initialised on this app: call LineOAuth(app) first.") from None


def _login(app: Flask, channel: Any) -> Any:
    """The app's LINE Login service, or that of ``channel`` in an app of many channels."""
    line = _line(app)
    return line.login if channel is None else line.login_for(channel)


def configure_app(app: Flask, config: Mapping[str, Any]) -> Flask:
    """Apply ``config`` (such as the ``line_app_config`` fixture) to ``app`` and have flask-line read it again.

    For an app made at import time (``app = Flask(__name__)`` in ``myapp.py``), which read its ``LINE_``
    settings before the test's fixtures existed; an app factory can take the config directly. Returns ``app``.
    """
    app.config.update(config)
    _line(app).reload_config(app)
    return app


def sign_in_line_user(client: FlaskClient, user: Any, token: Any = None, *, channel: Any = None) -> None:
    """Sign ``client`` in with LINE Login as ``user`` (a :class:`~flask_line.LineUser` or a user id).

    :param token: a :class:`~flask_line.LineToken` (None: signed in without one, as a LIFF sign-in is).
    :param channel: in an app of many channels, the :class:`~flask_line.LoginChannel` to sign in at.
    """
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        _login(app, channel).identity.save(user, token, session=session)


def sign_in_works_member(client: FlaskClient, member: Any, token: Any = None) -> None:
    """Sign ``client`` in with LINE WORKS as ``member`` (a :class:`~flask_line.WorksUser` or a user id)."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        _line(app).works.sign_in.identity.save(member, token, session=session)


def select_attachment(client: FlaskClient, bot_id: str) -> None:
    """Make ``bot_id`` the client's selected module attachment (the access rule still decides at each use)."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        _line(app).module.selection.remember(bot_id, session=session)


def signed_in_line_user(client: FlaskClient, *, channel: Any = None) -> Any:
    """The LINE Login user stored for ``client`` (a :class:`~flask_line.LineUser`, or an anonymous user)."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        return _login(app, channel).identity.current_user(session=session)


def signed_in_line_token(client: FlaskClient, *, channel: Any = None) -> Any:
    """The LINE Login token stored for ``client`` (a :class:`~flask_line.LineToken`), or None."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        return _login(app, channel).identity.current_token(session=session)


def signed_in_works_member(client: FlaskClient) -> Any:
    """The LINE WORKS member stored for ``client``, or an anonymous user."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        return _line(app).works.sign_in.identity.current_user(session=session)


def selected_bot_id(client: FlaskClient) -> str | None:
    """The bot id of ``client``'s selected attachment as stored, or None."""
    app = client.application
    with app.app_context(), client.session_transaction() as session:
        bot_id: str | None = _line(app).module.selection.selected_bot_id(session=session)
        return bot_id


class LineTestClient(FlaskClient):
    """A test client that can start signed in: ``app.test_client(line_user=..., works_member=..., bot_id=...)``.

    Each keyword is optional; ``line_token`` and ``works_token`` go with the users. The methods below sign in,
    select and read later in the test.
    """

    def __init__(
        self,
        *args: Any,
        line_user: Any = None,
        line_token: Any = None,
        works_member: Any = None,
        works_token: Any = None,
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

    def sign_in_line_user(self, user: Any, token: Any = None) -> None:
        """See :func:`sign_in_line_user`."""
        sign_in_line_user(self, user, token)

    def sign_in_works_member(self, member: Any, token: Any = None) -> None:
        """See :func:`sign_in_works_member`."""
        sign_in_works_member(self, member, token)

    def select_attachment(self, bot_id: str) -> None:
        """See :func:`select_attachment`."""
        select_attachment(self, bot_id)

    @property
    def line_user(self) -> Any:
        """See :func:`signed_in_line_user`."""
        return signed_in_line_user(self)

    @property
    def line_token(self) -> Any:
        """See :func:`signed_in_line_token`."""
        return signed_in_line_token(self)

    @property
    def works_member(self) -> Any:
        """See :func:`signed_in_works_member`."""
        return signed_in_works_member(self)

    @property
    def selected_bot_id(self) -> str | None:
        """See :func:`selected_bot_id`."""
        return selected_bot_id(self)
