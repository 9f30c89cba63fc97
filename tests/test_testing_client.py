"""The public test helper: a test client signed in as a LINE user, a LINE WORKS member, or with a selected
attachment, without the dance, and read back through public API (``flask_line.testing``)."""

from __future__ import annotations

import time

from flask import jsonify

from flask_line import LineToken, LineUser, WorksUser, current_attachment
from flask_line.testing import (
    LineTestClient,
    select_attachment,
    sign_in_line_user,
    signed_in_line_token,
    signed_in_line_user,
)
from tests.test_module import BROWN_CAFE, attach

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"


def test_a_client_starts_signed_in_as_a_line_user(app):
    app.test_client_class = LineTestClient
    client = app.test_client(line_user=LineUser(BROWN, display_name="Brown", scopes=("profile", "openid")))
    profile = client.get("/profile")
    assert profile.status_code == 200
    assert profile.json["user_id"] == BROWN and profile.json["name"] == "Brown"
    assert client.line_user.display_name == "Brown"


def test_a_bare_user_id_is_enough(app):
    client = app.test_client()
    sign_in_line_user(client, BROWN)
    assert client.get("/profile").json["user_id"] == BROWN
    assert signed_in_line_user(client).user_id == BROWN


def test_nobody_is_signed_in_until_the_helper_says_so(app):
    client = app.test_client()
    assert client.get("/profile").status_code == 302
    assert signed_in_line_user(client).is_authenticated is False
    assert signed_in_line_token(client) is None


def test_a_signed_in_client_with_a_token_signs_out_at_line(app, line_platform):
    client = app.test_client()
    follow = client.get("/line/login")  # a real token from the emulator, to be revoked at logout
    back = line_platform.consent(follow.location, user="Brown")
    client.get(back.path)
    token = signed_in_line_token(client)
    assert isinstance(token, LineToken)
    other = app.test_client()
    sign_in_line_user(other, LineUser(BROWN, display_name="Brown"), token)
    assert other.get("/profile").status_code == 200
    other.post("/line/logout")
    assert signed_in_line_user(other).is_authenticated is False
    assert line_platform.platform.calls("/oauth2/v2.1/revoke") == 1


def test_an_expired_token_set_by_the_helper_is_refreshed(app, line_platform):
    @app.get("/token")
    def current_token() -> str:
        return app.extensions["line"].get_access_token()

    client = app.test_client()
    start = client.get("/line/login")
    client.get(line_platform.consent(start.location, user="Brown").path)
    token = signed_in_line_token(client)
    expired = LineToken(
        token.access_token, expires_at=time.time() - 10, refresh_token=token.refresh_token, scopes=token.scopes
    )
    sign_in_line_user(client, signed_in_line_user(client), expired)
    assert client.get("/token").data.decode() != token.access_token, "refreshed at LINE"
    assert signed_in_line_token(client).is_expired() is False


def test_a_works_member_and_a_line_user_at_once(app):
    app.test_client_class = LineTestClient
    client = app.test_client(line_user=BROWN, works_member=WorksUser("alice-0001", name="Alice"))
    assert client.get("/profile").status_code == 200
    assert client.get("/works/me").json["user_id"] == "alice-0001"
    assert client.works_member.name == "Alice"


def test_a_selected_attachment_still_answers_to_the_access_rule(app, line_platform):
    @app.get("/bot")
    def bot() -> object:
        return jsonify(bot_id=current_attachment.bot_id if current_attachment else None)

    owner = app.test_client()
    attach(owner, line_platform, admin="Brown")

    app.test_client_class = LineTestClient
    someone_else = app.test_client(line_user="U0000000000000000000000000000cafe", bot_id=BROWN_CAFE)
    assert someone_else.selected_bot_id == BROWN_CAFE, "stored as asked"
    assert someone_else.get("/bot").json["bot_id"] is None, "but the owner rule decides"
    brown = app.test_client()
    sign_in_line_user(brown, signed_in_line_user(owner))
    select_attachment(brown, BROWN_CAFE)
    assert brown.get("/bot").json["bot_id"] == BROWN_CAFE


def test_an_identity_stored_for_another_channel_is_nobody(make_app):
    shop_a = make_app()
    shop_b = make_app(LINE_LOGIN_CHANNEL_ID="1650009999")
    session: dict[str, object] = {}
    with shop_a.app_context():
        shop_a.extensions["line"].login.identity.save(BROWN, None, session=session)
        assert shop_a.extensions["line"].login.identity.current_user(session=session).user_id == BROWN
    with shop_b.app_context():
        assert shop_b.extensions["line"].login.identity.current_user(session=session).is_authenticated is False
