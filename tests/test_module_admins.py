"""Module providers with many admins and many Official Accounts: sign-in first, your accounts found again and
chosen, no loops, and no other company's accounts in sight (the default owner rule)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask_line.signals import module_attach_failed, module_attached
from tests.conftest import captured, deliver, follow_login
from tests.test_module import BROWN_CAFE, CONY_FLOWERS, attach

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"


def path_of(location: str) -> str:
    return urlsplit(location).path


def test_an_anonymous_admin_signs_in_then_attaches_and_lands_on_the_page_without_a_loop(client, line_platform):
    first = client.post("/send")
    assert path_of(first.location) == "/line/login", "sign in first"
    back = deliver(client, line_platform.consent(client.get(first.location).location, user="Brown"))
    assert back.location == "/send"
    to_attach = client.post("/send")
    assert path_of(to_attach.location) == "/line/attach"
    at_line = client.get(to_attach.location)
    assert at_line.location.startswith(line_platform.url), "one consent for the attach"
    landed = deliver(client, line_platform.consent(at_line.location, user="Brown Cafe"))
    assert landed.location == "/send"
    assert client.post("/send").json["status"] == 200


def test_an_anonymous_visit_to_attach_signs_in_first_and_keeps_the_attach_options(client, line_platform):
    start = client.get("/line/attach?scope=message:send&region=JP")
    assert path_of(start.location) == "/line/login"
    comes_back_to = parse_qs(urlsplit(start.location).query)["next"][0]
    assert path_of(comes_back_to) == "/line/attach" and "region=JP" in comes_back_to


def test_a_returning_admin_in_a_fresh_browser_works_with_their_only_account(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    fresh = app.test_client()
    follow_login(fresh, line_platform, user="Brown")
    assert fresh.get("/bots/current").json["bot_id"] == BROWN_CAFE, "their one account is selected"
    assert fresh.post("/send").json["status"] == 200


def test_an_admin_with_several_accounts_is_sent_to_the_chooser_not_to_attach(app, client, line_platform):
    attach(client, line_platform, admin="Brown", account="Brown Cafe")
    attach(client, line_platform, admin="Brown", account="Cony Flowers", query="region=TW")
    fresh = app.test_client()
    follow_login(fresh, line_platform, user="Brown")
    send = fresh.post("/send")
    assert path_of(send.location) == "/line/accounts"
    page = fresh.get(send.location)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Brown Cafe" in text and "Cony Flowers" in text, "names from LINE's bot info"
    chosen = fresh.post("/line/accounts", data={"bot_id": CONY_FLOWERS, "next": "/send"})
    assert chosen.location == "/send"
    assert fresh.get("/bots/current").json["bot_id"] == CONY_FLOWERS


def test_the_chooser_answers_api_clients_with_json(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    answer = client.get("/line/accounts", headers={"Accept": "application/json"})
    [account] = answer.json["accounts"]
    assert account["bot_id"] == BROWN_CAFE and account["name"] == "Brown Cafe" and account["selected"] is True
    anonymous = app.test_client().get("/line/accounts", headers={"Accept": "application/json"})
    assert anonymous.status_code == 401


def test_admins_never_see_each_others_accounts(app, line_platform):
    brown, cony = app.test_client(), app.test_client()
    attach(brown, line_platform, admin="Brown", account="Brown Cafe")
    attach(cony, line_platform, admin="Cony", account="Cony Flowers", query="region=TW")
    listed = cony.get("/line/accounts", headers={"Accept": "application/json"}).json["accounts"]
    assert [account["bot_id"] for account in listed] == [CONY_FLOWERS]
    assert cony.post("/line/accounts", data={"bot_id": BROWN_CAFE}).status_code == 404
    with app.test_request_context():
        module = app.extensions["line"].module
        assert module.attachments() == [], "an anonymous request sees no tenant's bots"
        assert {attachment.bot_id for attachment in module.all_attachments()} == {BROWN_CAFE, CONY_FLOWERS}


def test_a_declined_permission_is_explained_instead_of_asked_for_again(app, client, line_platform):
    attach(client, line_platform, admin="Brown", query="scope=message:send%20account:manage", scopes=["message:send"])
    page = client.get("/insights")
    assert page.status_code == 403, "no automatic trip back to LINE: it would loop"
    assert "A permission was not granted" in page.get_data(as_text=True)
    assert "/line/attach" in page.get_data(as_text=True), "attaching again is one click away"


def test_a_scope_the_attach_never_asked_for_is_still_asked_for(app, client, line_platform):
    attach(client, line_platform, admin="Brown", query="scope=message:send")
    assert path_of(client.get("/insights").location) == "/line/attach"


def test_an_admin_detaches_from_the_chooser_after_confirming_and_keeps_next(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    asked = client.post("/line/accounts/detach", data={"bot_id": BROWN_CAFE, "next": "/dashboard"})
    assert asked.status_code == 200, "one click only asks"
    page = asked.get_data(as_text=True)
    assert "Detach from Brown Cafe?" in page and 'name="confirmed" value="1"' in page
    assert 'value="/dashboard"' in page and "/line/accounts?next=/dashboard" in page, "Keep it attached keeps next"
    json_accounts = client.get("/line/accounts", headers={"Accept": "application/json"}).json["accounts"]
    assert [account["bot_id"] for account in json_accounts] == [BROWN_CAFE], "nothing detached yet"
    answer = client.post("/line/accounts/detach", data={"bot_id": BROWN_CAFE, "next": "/dashboard", "confirmed": "1"})
    assert path_of(answer.location) == "/line/accounts"
    assert parse_qs(urlsplit(answer.location).query)["next"] == ["/dashboard"]
    assert client.get("/line/accounts", headers={"Accept": "application/json"}).json["accounts"] == []


def test_a_json_client_detaches_at_once(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    answer = client.post("/line/accounts/detach", data={"bot_id": BROWN_CAFE}, headers={"Accept": "application/json"})
    assert answer.status_code == 302
    assert client.get("/line/accounts", headers={"Accept": "application/json"}).json["accounts"] == []


def test_confirming_the_detach_of_an_account_not_yours_is_a_404(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    assert client.post("/line/accounts/detach", data={"bot_id": CONY_FLOWERS}).status_code == 404


def test_the_chooser_leads_back_to_next_or_the_site(app, client, line_platform):
    attach(client, line_platform, admin="Brown")
    page = client.get("/line/accounts?next=/dashboard").get_data(as_text=True)
    assert '<a class="button" id="back" href="/dashboard">Back to the site</a>' in page
    assert 'name="next" value="/dashboard"' in page.split('action="/line/accounts/detach"')[1], "Detach keeps next"
    elsewhere = client.get("/line/accounts?next=https://evil.example/").get_data(as_text=True)
    assert '<a class="button" id="back" href="/">' in elsewhere


def test_the_empty_chooser_offers_to_attach_an_account_not_another(app, client, line_platform):
    follow_login(client, line_platform, user="Brown")
    page = client.get("/line/accounts").get_data(as_text=True)
    assert "Attach an Official Account" in page and "another" not in page


def test_attach_without_line_login_under_the_owner_rule_says_what_to_configure(make_app):
    app = make_app(LINE_LOGIN_CHANNEL_ID=None, LINE_LOGIN_CHANNEL_SECRET=None, DEBUG=True)
    answer = app.test_client().get("/line/attach")
    assert answer.status_code == 404
    assert "LINE_LOGIN_CHANNEL_ID" in answer.get_data(as_text=True), "the developer reads what to set"


def test_with_an_app_rule_the_app_decides_who_attaches(app, line_platform):
    line = app.extensions["line"]
    line.module_access_rule(lambda attachment, user: True)
    client = app.test_client()  # nobody signed in: the app's rule decides, not flask-line
    start = client.get("/line/attach")
    assert start.location.startswith(line_platform.url)


def test_an_account_another_admin_attached_is_refused_and_kept_theirs(app, line_platform):
    brown, cony = app.test_client(), app.test_client()
    attach(brown, line_platform, admin="Brown", account="Brown Cafe")
    answer = attach(cony, line_platform, admin="Cony", account="Brown Cafe")
    assert answer.status_code == 409
    assert "another administrator" in answer.get_data(as_text=True)
    with app.app_context():
        assert app.extensions["line"].module.store.get(BROWN_CAFE).attached_by == BROWN, "still Brown's"
    assert brown.post("/send").json["status"] == 200


def test_an_app_rule_that_shares_an_account_lets_the_second_admin_in(app, line_platform):
    app.extensions["line"].module_access_rule(lambda attachment, user: user.is_authenticated)
    brown, cony = app.test_client(), app.test_client()
    attach(brown, line_platform, admin="Brown", account="Brown Cafe")
    assert attach(cony, line_platform, admin="Cony", account="Brown Cafe").status_code == 302
    with app.app_context():
        assert app.extensions["line"].module.store.get(BROWN_CAFE).attached_by == BROWN, "shared, owner unchanged"
    assert cony.post("/send").json["status"] == 200


def race_to_attach(app, line_platform) -> dict[str, int]:
    """Brown and Cony each consent to attaching Brown Cafe, then both callbacks arrive at the same moment."""
    import threading

    clients = {"Brown": app.test_client(), "Cony": app.test_client()}
    backs = {}
    for admin, client in clients.items():
        follow_login(client, line_platform, user=admin)
        backs[admin] = line_platform.consent(client.get("/line/attach").location, user="Brown Cafe")
    gate, answers = threading.Barrier(2), {}

    def finish(admin: str) -> None:
        gate.wait()
        answers[admin] = deliver(clients[admin], backs[admin]).status_code

    threads = [threading.Thread(target=finish, args=(admin,)) for admin in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_two_admins_attaching_one_account_at_once_end_with_one_owner_and_both_told_the_truth(
    make_app, database_url, line_platform
):
    app = make_app(LINE_DATABASE_URI=database_url)
    owners = {"Brown": BROWN, "Cony": "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"}
    for _ in range(5):
        with app.app_context():
            app.extensions["line"].module.store.delete(BROWN_CAFE)
        answers = race_to_attach(app, line_platform)
        assert sorted(answers.values()) == [302, 409], answers
        winner = next(admin for admin, status in answers.items() if status == 302)
        with app.app_context():
            assert app.extensions["line"].module.store.get(BROWN_CAFE).attached_by == owners[winner]


# A pending attach belongs to the admin who started it ------------------------------------------------------------


def test_an_attach_completed_after_another_admin_signed_in_is_refused_and_nothing_is_stored(app, client, line_platform):
    follow_login(client, line_platform, user="Brown")
    at_line = client.get("/line/attach")  # Brown starts attaching Brown Cafe...
    assert at_line.location.startswith(line_platform.url)
    follow_login(client, line_platform, user="Cony")  # ...Cony signs in on the same browser meanwhile
    token_calls = line_platform.platform.calls("/module/auth/v1/token")
    with captured(module_attach_failed) as failed, captured(module_attached) as attached:
        answer = deliver(client, line_platform.consent(at_line.location, user="Brown Cafe"))
    assert answer.status_code == 403
    assert "started by another LINE account" in answer.get_data(as_text=True)
    assert [event["error"].code for event in failed] == ["attach_started_by_another"] and attached == []
    assert line_platform.platform.calls("/module/auth/v1/token") == token_calls, "LINE was not asked to attach"
    with app.test_request_context():
        assert app.extensions["line"].module.store.get(BROWN_CAFE) is None
    assert client.get("/bots/current").json["bot_id"] is None


def test_the_admin_who_started_the_attach_completes_it(app, client, line_platform):
    follow_login(client, line_platform, user="Brown")
    at_line = client.get("/line/attach")
    landed = deliver(client, line_platform.consent(at_line.location, user="Brown Cafe"))
    assert landed.status_code == 302
    with app.test_request_context():
        assert app.extensions["line"].module.store.get(BROWN_CAFE).attached_by == BROWN


def test_the_module_example_names_the_account_by_its_display_name(line_platform, monkeypatch, tmp_path):
    from examples.run_demo import load_example

    monkeypatch.setenv("LINE_EMULATOR_URL", line_platform.url)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = load_example("module_provider").create_app()
    client = app.test_client()
    attach(client, line_platform, admin="Brown", query="scope=message:send")
    home = client.get("/").get_data(as_text=True)
    assert '<strong id="account-name">Brown Cafe</strong>' in home and BROWN_CAFE not in home
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert '<strong id="account-name">Brown Cafe</strong>' in dashboard
