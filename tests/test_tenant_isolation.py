"""Module tenants: an attachment is usable in a request only by the LINE user who attached it (or by the app's
access rule), and signing out takes the selected Official Account with it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flask_line import errors
from flask_line.testing import select_attachment, selected_bot_id
from tests.conftest import follow_login
from tests.test_module import BROWN, BROWN_CAFE, CONY, CONY_FLOWERS, attach, stored


@pytest.fixture
def tenants(app, line_platform):
    """Brown attached Brown Cafe in one browser; Cony signed in on another browser."""
    brown = app.test_client()
    attach(brown, line_platform, admin="Brown", account="Brown Cafe")
    cony = app.test_client()
    follow_login(cony, line_platform, user="Cony")
    return brown, cony


def test_another_user_cannot_select_a_foreign_bot(tenants):
    _brown, cony = tenants
    foreign = cony.post(f"/bots/select?bot={BROWN_CAFE}")
    unknown = cony.post("/bots/select?bot=Ub0000000000000000000000000000000")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.data == unknown.data, "a refused bot answers exactly like a bot that does not exist"
    assert cony.get("/bots/current").json["bot_id"] is None


def test_another_user_cannot_pass_the_scope_decorator_or_push(tenants, line_platform):
    brown, cony = tenants
    cony.post(f"/bots/select?bot={BROWN_CAFE}")
    response = cony.post("/send")
    assert response.status_code == 302 and "/line/attach" in response.location
    assert cony.post("/send", headers={"Accept": "application/json"}).status_code == 403
    assert line_platform.platform.messages == []
    assert brown.post("/send").json["status"] == 200, "the owner still can"


def test_a_foreign_session_selection_is_not_honoured(app, tenants, line_platform):
    _brown, cony = tenants
    select_attachment(cony, BROWN_CAFE)  # as if selected before the rule, or planted
    assert cony.get("/bots/current").json["bot_id"] is None
    assert cony.post("/send").status_code == 302


@pytest.mark.parametrize("operation", ["push", "detach"])
def test_api_and_detach_in_a_request_apply_the_rule(app, tenants, line_platform, operation):
    _brown, cony = tenants
    assert cony.post(f"/bots/{BROWN_CAFE}/{operation}").status_code == 404
    assert line_platform.platform.messages == []
    assert stored(app, BROWN_CAFE) is not None
    assert ("2000000000", BROWN_CAFE) in line_platform.platform.attachments


def test_anonymous_visitors_cannot_use_an_owned_attachment(app, tenants):
    anonymous = app.test_client()
    assert anonymous.post(f"/bots/select?bot={BROWN_CAFE}").status_code == 404


def test_an_attachment_made_without_a_signed_in_user_has_no_owner(app, client, line_platform):
    # The routes sign an admin in first; an attachment LINE reports that nobody here made has no owner.
    attach(app.test_client(), line_platform, admin="Brown")
    with app.app_context():
        store = app.extensions["line"].module.store
        store.save(replace(store.get(BROWN_CAFE), attached_by=None))
    assert stored(app, BROWN_CAFE).attached_by is None
    assert client.get("/bots/current").json["bot_id"] is None, "not even the browser that attached"
    assert client.post(f"/bots/select?bot={BROWN_CAFE}").status_code == 404
    with app.app_context():  # outside a request (a job, a CLI command) the app is trusted
        answer = (
            app.extensions["line"]
            .module.api(BROWN_CAFE)
            .post(
                "/v2/bot/message/push",
                json={"to": "U4af4980629a1b2c3d4e5f60718293a4b", "messages": [{"type": "text", "text": "job"}]},
            )
        )
    assert answer.status_code == 200


def test_the_access_rule_opens_shared_bots(app, tenants, line_platform):
    _brown, cony = tenants
    seen = []

    @app.extensions["line"].module_access_rule
    def team(attachment, user):
        seen.append((attachment.bot_id, user.user_id if user.is_authenticated else None))
        return user.is_authenticated and user.user_id in (BROWN, CONY)

    assert cony.post(f"/bots/select?bot={BROWN_CAFE}").json["bot_id"] == BROWN_CAFE
    assert cony.post("/send").json["status"] == 200
    assert (BROWN_CAFE, CONY) in seen
    assert app.test_client().post(f"/bots/select?bot={BROWN_CAFE}").status_code == 404, "the rule still decides"


def test_logout_drops_the_selected_bot_for_the_next_person(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    assert client.get("/bots/current").json["bot_id"] == BROWN_CAFE
    client.post("/line/logout")
    assert client.get("/bots/current").json["bot_id"] is None
    assert selected_bot_id(client) is None
    follow_login(client, line_platform, user="Cony")
    assert client.post("/send").status_code == 302, "Cony inherits nothing"
    assert line_platform.platform.messages == []


def test_a_new_login_as_someone_else_drops_the_previous_bot(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    follow_login(client, line_platform, user="Cony")  # no logout in between
    assert selected_bot_id(client) is None
    assert client.get("/bots/current").json["bot_id"] is None


def test_signing_in_again_as_the_same_user_keeps_the_bot(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    follow_login(client, line_platform, user="Brown")
    assert client.get("/bots/current").json["bot_id"] == BROWN_CAFE


def test_logout_drops_a_pending_attach(app, client, line_platform):
    follow_login(client, line_platform, user="Brown")
    start = client.get("/line/attach")
    back = line_platform.consent(start.location, user="Cony Flowers")
    client.post("/line/logout")
    follow_login(client, line_platform, user="Cony")
    assert client.get(back.path).status_code == 400, "the attach Brown started cannot finish as Cony"
    assert stored(app, CONY_FLOWERS) is None


def test_works_logout_keeps_the_line_login_and_its_bot(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    start = client.get("/line/works/login")
    client.get(line_platform.consent(start.location).path)
    client.post("/line/works/logout")
    assert client.get("/bots/current").json["bot_id"] == BROWN_CAFE
    assert client.get("/profile").status_code == 200


def test_line_logout_keeps_the_works_member(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    start = client.get("/line/works/login")
    client.get(line_platform.consent(start.location).path)
    client.post("/line/logout")
    assert client.get("/works/me").status_code == 200
    assert client.get("/profile").status_code == 302


def test_a_refused_lookup_is_a_lookup_error_not_a_scope_error(app, tenants):
    _brown, _cony = tenants
    with app.test_request_context(), pytest.raises(LookupError):
        app.extensions["line"].module.select(BROWN_CAFE)
    assert not issubclass(LookupError, errors.LineError)


def test_the_owner_can_push_and_detach_by_bot_id(app, tenants, line_platform):
    brown, _cony = tenants
    assert brown.post(f"/bots/{BROWN_CAFE}/push").json["status"] == 200
    assert brown.post(f"/bots/{BROWN_CAFE}/detach").json["detached"] == BROWN_CAFE
    assert stored(app, BROWN_CAFE) is None
