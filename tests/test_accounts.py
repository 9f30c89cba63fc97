"""Account linking (``@line.link_user``), link and unlink, and the Flask-Login bridge, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from flask import Flask, jsonify
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user

from flask_line import AccountLink, LineUser, WorksUser, errors, signals
from tests.conftest import captured, deliver, follow_login

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"
CONY = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"
ALICE = "a1b2c3d4-0000-4000-8000-000000000001"


class User(UserMixin):
    def __init__(self, user_id: int, name: str, active: bool = True) -> None:
        self.id = user_id
        self.name = name
        self.active = active

    @property
    def is_active(self) -> bool:
        return self.active


class Site:
    """A site with its own users: the hook signs up new LINE users and finds linked ones."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.line = app.extensions["line"]
        self.users: dict[int, User] = {}
        self.calls: list[tuple[Any, str | None]] = []
        self.ids = itertools.count(1)
        #: Replace to make the hook refuse (return None), fail (raise) or hand back an inactive user.
        self.behaviour = "sign_up"

        @self.line.link_user
        def user_for(identity: Any, linked_user_id: str | None) -> User | None:
            self.calls.append((identity, linked_user_id))
            if self.behaviour == "refuse":
                return None
            if self.behaviour == "raise":
                raise RuntimeError("the users table is on fire")
            if linked_user_id is not None:
                return self.users[int(linked_user_id)]
            return self.add(getattr(identity, "display_name", None) or identity.name, self.behaviour != "inactive")

        @app.get("/site-user")
        def site_user() -> Any:
            return jsonify(id=self.line.site_user_id())

    def add(self, name: str, active: bool = True) -> User:
        user = User(next(self.ids), name, active)
        self.users[user.id] = user
        return user

    def links(self) -> Any:
        with self.app.app_context():
            return self.line.account_links


def signed_out(client: Any) -> bool:
    """Whether ``@login_required`` sends this client to sign in (LINE sign-in: the app set no login_view)."""
    answer = client.get("/members")
    return answer.status_code == 302 and answer.location.startswith("/line/login?next=%2Fmembers")


def with_flask_login(app: Flask, site: Site) -> LoginManager:
    manager = LoginManager(app)
    manager.user_loader(lambda user_id: site.users.get(int(user_id)))

    @app.get("/members")
    @login_required
    def members() -> Any:
        return jsonify(id=current_user.id, name=current_user.name)

    @app.post("/password-login/<int:user_id>")
    def password_login(user_id: int) -> str:
        login_user(site.users[user_id])
        return "ok"

    return manager


@pytest.fixture
def site(make_app: Any, database_url: str) -> Site:
    return Site(make_app(LINE_DATABASE_URI=database_url))


@pytest.fixture
def member_site(make_app: Any, database_url: str) -> Site:
    app = make_app(LINE_DATABASE_URI=database_url)
    site = Site(app)
    with_flask_login(app, site)
    return site


def works_login(client: Any, line_platform: Any, path: str = "/line/works/login", user: str = "Alice") -> Any:
    start = client.get(path)
    assert start.status_code == 302, start.data
    return deliver(client, line_platform.consent(start.location, user=user))


# The hook ------------------------------------------------------------------------------------------------------


def test_a_first_sign_in_signs_up_and_links_then_the_next_finds_the_same_user(site, line_platform):
    with captured(signals.login_succeeded) as succeeded, captured(signals.account_linked) as linked:
        response = follow_login(site.app.test_client(), line_platform, user="Brown")
    assert response.status_code == 302
    identity, linked_user_id = site.calls[0]
    assert isinstance(identity, LineUser) and identity.user_id == BROWN and linked_user_id is None
    assert succeeded[0]["site_user"] is site.users[1], "the success signal carries the site user"
    link = site.links().find("line", BROWN)
    assert (link.user_id, link.provider) == ("1", "line") and link.created_at.tzinfo is not None
    assert linked[0]["link"] == link

    again = site.app.test_client()
    follow_login(again, line_platform, user="Brown")
    assert site.calls[1][1] == "1", "the hook is told which site user the identity is linked to"
    assert len(site.users) == 1, "no second account for the same LINE user"
    assert again.get("/site-user").json == {"id": "1"}


@pytest.mark.parametrize(
    "behaviour,status,error",
    [
        ("refuse", 403, errors.SignInRefused),
        ("inactive", 403, errors.SignInRefused),
        ("raise", 500, errors.SiteUserError),
    ],
)
def test_a_refusing_or_failing_hook_is_a_clean_refusal_that_leaves_the_session_alone(
    site, line_platform, behaviour, status, error, caplog
):
    site.behaviour = behaviour
    client = site.app.test_client()
    with captured(signals.login_failed) as failed, captured(signals.login_succeeded) as succeeded:
        response = follow_login(client, line_platform, user="Brown")
    assert response.status_code == status
    assert b"Traceback" not in response.data and b"on fire" not in response.data
    assert isinstance(failed[0]["error"], error) and succeeded == []
    assert client.get("/profile").status_code == 302, "no half-signed-in LINE user"
    assert client.get("/site-user").json == {"id": None}
    if behaviour == "refuse":
        assert site.links().find("line", BROWN) is None, "a refused identity is not linked"
    if behaviour == "raise":
        assert "the users table is on fire" in caplog.text, "the site's own error is logged for its team"


def test_the_api_client_gets_json_for_a_refusal(site, line_platform):
    site.behaviour = "refuse"
    client = site.app.test_client()
    id_token = line_platform.liff_login("Sally")["id_token"]
    response = client.post("/line/session", json={"id_token": id_token}, headers={"Accept": "application/json"})
    assert response.status_code == 403 and response.json["error"] == "sign_in_refused"
    assert site.calls[0][0].display_name == "Sally", "a LIFF sign-in goes through the same hook"


def test_a_liff_session_exchange_signs_the_site_user_in(site, line_platform):
    client = site.app.test_client()
    client.post("/line/session", json={"id_token": line_platform.liff_login("Sally")["id_token"]})
    assert client.get("/site-user").json == {"id": "1"}


def test_a_works_sign_in_goes_through_the_same_hook_as_a_works_link(site, line_platform):
    client = site.app.test_client()
    works_login(client, line_platform)
    identity, _ = site.calls[0]
    assert isinstance(identity, WorksUser) and identity.user_id == ALICE
    assert site.links().find("works", ALICE).user_id == "1"
    assert site.links().find("line", ALICE) is None, "LINE and LINE WORKS ids never mix"


def test_without_a_hook_nothing_changes(make_app, line_platform):
    app = make_app()

    @app.get("/site-user")
    def site_user() -> Any:
        return jsonify(id=app.extensions["line"].site_user_id())

    client = app.test_client()
    follow_login(client, line_platform, user="Brown")
    assert client.get("/site-user").json["id"] is None, "no site user without a hook"
    assert client.get("/line/link").status_code == 404
    assert client.post("/line/unlink").status_code == 404


# Flask-Login --------------------------------------------------------------------------------------------------


def test_flask_login_current_user_is_the_linked_user(member_site, line_platform):
    client = member_site.app.test_client()
    assert signed_out(client), "@login_required refuses before sign-in"
    follow_login(client, line_platform, user="Cony")
    assert client.get("/members").json == {"id": 1, "name": "Cony"}
    assert "remember_token" not in {cookie.key for cookie in client._cookies.values()}


def test_remember_user_sets_flask_logins_remember_cookie(make_app, database_url, line_platform):
    app = make_app(LINE_DATABASE_URI=database_url, LINE_REMEMBER_USER=True)
    with_flask_login(app, Site(app))
    client = app.test_client()
    follow_login(client, line_platform, user="Cony")
    assert "remember_token" in {cookie.key for cookie in client._cookies.values()}


def test_line_logout_also_logs_the_flask_login_user_out(member_site, line_platform):
    client = member_site.app.test_client()
    follow_login(client, line_platform, user="Cony")
    with captured(signals.logged_out) as logged_out:
        assert client.post("/line/logout").status_code == 302
    assert logged_out[0]["user"].user_id == CONY
    assert signed_out(client)
    assert client.get("/profile").status_code == 302


def test_a_works_sign_out_logs_the_staff_member_out(member_site, line_platform):
    client = member_site.app.test_client()
    works_login(client, line_platform)
    assert client.get("/members").json["id"] == 1
    client.post("/line/works/logout")
    assert signed_out(client)


def test_an_inactive_flask_login_user_is_refused(member_site, line_platform):
    member_site.behaviour = "inactive"
    client = member_site.app.test_client()
    assert follow_login(client, line_platform, user="Cony").status_code == 403
    assert signed_out(client)


# Linking an existing account ------------------------------------------------------------------------------------


def test_a_signed_in_member_links_line_then_signs_in_with_it(member_site, line_platform):
    member = member_site.add("Existing member")
    client = member_site.app.test_client()
    client.post(f"/password-login/{member.id}")
    start = client.get("/line/link?next=/account")
    assert start.status_code == 302
    with captured(signals.account_linked) as linked, captured(signals.login_succeeded) as succeeded:
        response = deliver(client, line_platform.consent(start.location, user="Brown"))
    assert response.location == "/account"
    assert member_site.calls == [], "linking does not ask the hook for a user: the member is already known"
    assert linked[0]["link"].user_id == str(member.id)
    assert "site_user" not in succeeded[0]
    assert client.get("/members").json["id"] == member.id, "still the same member"
    assert client.get("/profile").json["user_id"] == BROWN, "and signed in with LINE too"

    fresh = member_site.app.test_client()
    follow_login(fresh, line_platform, user="Brown")
    assert fresh.get("/members").json["id"] == member.id, "LINE now signs the member in"
    assert len(member_site.users) == 1


def test_linking_an_identity_of_another_member_is_refused(member_site, line_platform):
    owner = member_site.add("Owner")
    other = member_site.add("Other")
    member_site.links().link("line", BROWN, str(owner.id))
    client = member_site.app.test_client()
    client.post(f"/password-login/{other.id}")
    start = client.get("/line/link")
    with captured(signals.login_failed) as failed:
        response = deliver(client, line_platform.consent(start.location, user="Brown"))
    assert response.status_code == 409
    assert isinstance(failed[0]["error"], errors.AccountLinkConflict)
    assert member_site.links().find("line", BROWN).user_id == str(owner.id), "the owner keeps the link"
    assert client.get("/members").json["id"] == other.id
    assert client.get("/profile").status_code == 302, "the refused identity was not signed in"


def test_linking_needs_a_signed_in_site_user(member_site, line_platform):
    client = member_site.app.test_client()
    response = client.get("/line/link", headers={"Accept": "application/json"})
    assert response.status_code == 401 and response.json["error"] == "not_authenticated"


def test_a_link_started_by_one_member_cannot_finish_for_another(member_site, line_platform):
    first, second = member_site.add("First"), member_site.add("Second")
    client = member_site.app.test_client()
    client.post(f"/password-login/{first.id}")
    start = client.get("/line/link")
    client.post(f"/password-login/{second.id}")  # someone else signs in on this browser meanwhile
    response = deliver(client, line_platform.consent(start.location, user="Brown"))
    assert response.status_code == 400
    assert member_site.links().find("line", BROWN) is None


def test_linking_another_line_account_replaces_the_first(member_site, line_platform):
    member = member_site.add("Member")
    client = member_site.app.test_client()
    client.post(f"/password-login/{member.id}")
    for user in ("Brown", "Cony"):
        deliver(client, line_platform.consent(client.get("/line/link").location, user=user))
    assert member_site.links().find("line", BROWN) is None
    assert member_site.links().for_user("line", str(member.id)).subject == CONY


def test_unlink_removes_the_link_and_the_line_identity_but_keeps_the_member(member_site, line_platform):
    client = member_site.app.test_client()
    follow_login(client, line_platform, user="Brown")
    with captured(signals.account_unlinked) as unlinked:
        response = client.post("/line/unlink", data={"next": "/account"})
    assert response.location == "/account"
    assert isinstance(unlinked[0]["link"], AccountLink) and unlinked[0]["link"].subject == BROWN
    assert member_site.links().find("line", BROWN) is None
    assert client.get("/profile").status_code == 302
    assert client.get("/members").json["id"] == 1, "the member stays signed in"

    follow_login(member_site.app.test_client(), line_platform, user="Brown")
    assert len(member_site.users) == 2, "an unlinked LINE account signs up anew"


def test_unlink_is_refused_from_another_site(member_site, line_platform):
    client = member_site.app.test_client()
    follow_login(client, line_platform, user="Brown")
    response = client.post("/line/unlink", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert member_site.links().find("line", BROWN) is not None


def test_works_link_and_unlink(member_site, line_platform):
    member = member_site.add("Staff")
    client = member_site.app.test_client()
    client.post(f"/password-login/{member.id}")
    works_login(client, line_platform, path="/line/works/link")
    assert member_site.links().find("works", ALICE).user_id == str(member.id)
    client.post("/line/works/unlink")
    assert member_site.links().for_user("works", str(member.id)) is None
    assert client.get("/works/me").status_code == 302


def test_every_link_event_is_logged_without_secrets(member_site, line_platform, caplog):
    caplog.set_level(logging.INFO, logger="flask_line")
    client = member_site.app.test_client()
    follow_login(client, line_platform, user="Brown")
    client.post("/line/unlink")
    assert f"Linked line account {BROWN} to site user 1" in caplog.text
    assert f"Unlinked line account {BROWN} from site user 1" in caplog.text
    assert member_site.app.config["LINE_LOGIN_CHANNEL_SECRET"] not in caplog.text


def test_two_tabs_signing_up_at_once_end_as_the_same_member(site, line_platform):
    # The other tab's sign-in links Brown while this one's hook is still creating a member.
    original = site.line._link_user

    def racing(identity, linked_user_id):
        if not site.calls:
            winner = site.add("Brown (other tab)")
            site.links().link("line", identity.user_id, str(winner.id))
        return original(identity, linked_user_id)

    site.line.link_user(racing)
    client = site.app.test_client()
    assert follow_login(client, line_platform, user="Brown").status_code == 302
    assert site.calls[-1][1] == "1", "the hook is asked again with the member the other tab linked"
    assert client.get("/site-user").json == {"id": "1"}
    assert site.links().find("line", BROWN).user_id == "1"


def test_line_login_v20_signs_members_in_through_the_same_hook(make_app, database_url, line_platform):
    with pytest.warns(DeprecationWarning):
        app = make_app(LINE_DATABASE_URI=database_url, LINE_LOGIN_VERSION="2.0")
    site = Site(app)
    with_flask_login(app, site)
    client = app.test_client()
    follow_login(client, line_platform, user="Cony")
    identity, linked_user_id = site.calls[0]
    assert identity.user_id == CONY and linked_user_id is None
    assert client.get("/members").json == {"id": 1, "name": "Cony"}
    assert site.links().find("line", CONY).user_id == "1"


@pytest.mark.parametrize(
    "fetch_site,silent", [("cross-site", False), (None, False), ("none", False), ("same-origin", True)]
)
def test_a_link_is_silent_only_when_this_site_started_it(member_site, fetch_site, silent):
    member = member_site.add("Existing member")
    client = member_site.app.test_client()
    client.post(f"/password-login/{member.id}")
    headers = {"Sec-Fetch-Site": fetch_site} if fetch_site else {}
    start = client.get("/line/link?prompt=none", headers=headers)
    assert start.status_code == 302
    assert ("prompt=none" in start.location) is silent
