"""Ids from LINE's answers are checked on the way in: a NUL, an over-long id, an emoji, bytes that were not UTF-8
or anything else without LINE's documented shape (``U`` and 32 hex digits) is a 502 "LINE answered something
this site cannot use", never a 500 and never a stored record that breaks a page later (issue 33)."""

from __future__ import annotations

import pytest

from flask_line import signals
from flask_line._store.attachments import ModuleAttachment, utc_now
from tests.conftest import captured, follow_login
from tests.test_module import BROWN_CAFE, attach, stored

ODD_IDS = {
    "nul": "U" + "0" * 15 + "\x00" + "0" * 16,
    "65 characters": "U" + "0" * 64,
    "emoji": "U" + "0" * 31 + "\N{RICE BALL}",
    "not utf-8": "U" + "0" * 31 + "\udcff",
    "upper-case hex": "U" + "A" * 32,
    "not a line id": "bot-1",
}


@pytest.mark.parametrize("odd", ODD_IDS.values(), ids=ODD_IDS.keys())
def test_an_attach_answer_with_an_odd_bot_id_is_a_502_and_stores_nothing(make_app, line_platform, odd):
    app = make_app()
    client = app.test_client()
    line_platform.platform.inject(
        "POST /module/auth/v1/token", status=200, body={"bot_id": odd, "scope": "message:send message:receive"}
    )
    with captured(signals.module_attach_failed) as failed:
        answer = attach(client, line_platform)
    assert answer.status_code == 502
    assert failed[0]["error"].code == "upstream_unusable"
    with app.app_context():
        assert app.extensions["line"].module.all_attachments() == []
    assert client.get("/line/accounts").status_code == 200, "the chooser still works"


@pytest.mark.parametrize("odd", ODD_IDS.values(), ids=ODD_IDS.keys())
def test_an_id_token_with_an_odd_user_id_is_a_502_and_signs_nobody_in(make_app, line_platform, odd):
    client = make_app().test_client()
    line_platform.platform.inject("POST /oauth2/v2.1/token", id_token={"claims": {"sub": odd}})
    with captured(signals.login_failed) as failed:
        answer = follow_login(client, line_platform, user="Brown")
    assert answer.status_code == 502
    # (bytes that are not UTF-8 cannot even be signed into a token: LINE's answer is then unusable as a whole)
    assert failed[0]["error"].code in ("upstream_unusable", "upstream_unavailable")
    assert client.get("/profile").status_code == 302, "nobody is signed in"


@pytest.mark.parametrize("odd", ODD_IDS.values(), ids=ODD_IDS.keys())
def test_a_profile_with_an_odd_user_id_is_a_502(make_app, line_platform, odd):
    client = make_app(LINE_LOGIN_SCOPES="profile").test_client()
    line_platform.platform.inject("GET /v2/profile", status=200, body={"userId": odd, "displayName": "Brown"})
    answer = follow_login(client, line_platform, user="Brown")
    assert answer.status_code == 502
    assert client.get("/profile").status_code == 302


def test_a_stored_attachment_no_request_could_carry_is_skipped_not_a_500(make_app, line_platform, caplog):
    """An emoji bot id stored by an older version: the admin's pages keep working, the log says what to delete."""
    app = make_app()
    client = app.test_client()
    attach(client, line_platform)
    with app.app_context():
        module = app.extensions["line"].module
        module.store.inner.save(ModuleAttachment("U\N{RICE BALL}", frozenset({"message:send"}), utc_now()))
    page = client.get("/line/accounts")
    assert page.status_code == 200 and "Brown Cafe" in page.get_data(as_text=True)
    with app.app_context():
        assert [attachment.bot_id for attachment in module.all_attachments()] == [BROWN_CAFE]
    assert "its id cannot be used" in caplog.text
    assert stored(app, BROWN_CAFE) is not None
