"""LINE WORKS for many companies: each customer company's app, members, state, ID tokens, links and service token
stay that company's own.

The site here reads its company from a path segment (``/c/<company>/me``) or ``?company=`` (flask-line's own
routes), lists two companies in config (no app-wide ``LINE_WORKS_CLIENT_ID``), and names the company in
``LINE_URL_VALUES``. The emulator holds both companies: their own domains, members, apps and keys.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, jsonify, request, url_for

from flask_line import WorksCompany, current_works_user, errors, signals, works_login_required
from flask_line.testing import EmulatedWorksCompany, EmulatedWorksMember, EmulatorServer

from .conftest import AppFactory, captured, deliver, same_browser_at

KIM = EmulatedWorksMember("acme-0000-4000-8000-000000000001", "kim@acme.example", "Kim", "Ann")
LEE = EmulatedWorksMember("globex-000-4000-8000-000000000001", "lee@globex.example", "Lee", "Bo")
JSON = {"Accept": "application/json"}


@dataclass
class Companies:
    app: Flask
    acme: EmulatedWorksCompany
    globex: EmulatedWorksCompany


def company_of_request() -> str | None:
    return (request.view_args or {}).get("company") or request.args.get("company")


NO_APP_WIDE_WORKS = {
    "LINE_WORKS_CLIENT_ID": None,
    "LINE_WORKS_CLIENT_SECRET": None,
    "LINE_WORKS_SERVICE_ACCOUNT": None,
    "LINE_WORKS_PRIVATE_KEY": None,
}


@pytest.fixture
def companies(make_app: AppFactory, line_works_company: Any) -> Companies:
    acme = line_works_company("20000001", [KIM], name="Acme")
    globex = line_works_company("30000001", [LEE], name="Globex")
    app = make_app(
        **NO_APP_WIDE_WORKS,
        LINE_WORKS_SCOPES="openid profile",
        LINE_WORKS_COMPANIES={"acme": acme.app_settings(), "globex": globex.app_settings()},
        LINE_URL_VALUES=["company"],
    )
    app.extensions["line"].works_company_loader(company_of_request)

    @app.get("/c/<company>/me")
    @works_login_required
    def me(company: str) -> Any:
        return jsonify(company=company, user=current_works_user.user_id, name=current_works_user.name)

    @app.get("/c/<company>/token")
    def token(company: str) -> Any:
        return jsonify(token=app.extensions["line"].works.get_access_token())

    @app.get("/c/<company>/links")
    def links(company: str) -> Any:
        return jsonify(login=url_for("line.works_login"), logout=url_for("line.works_logout"))

    return Companies(app, acme, globex)


def sign_in(client: Any, line_platform: EmulatorServer, company: str, user: str) -> Any:
    start = client.get(f"/line/works/login?company={company}&next=/c/{company}/me")
    assert start.status_code == 302, start.data
    return deliver(client, line_platform.consent(start.location, user=user))


def authorize_params(location: str) -> dict[str, str]:
    return {key: value[0] for key, value in parse_qs(urlsplit(location).query).items()}


# One app, two companies --------------------------------------------------------------------------------------


def test_each_company_signs_in_with_its_own_app(companies, line_platform):
    client = companies.app.test_client()
    acme_start = authorize_params(client.get("/line/works/login?company=acme").location)
    globex_start = authorize_params(client.get("/line/works/login?company=globex").location)
    assert acme_start["client_id"] == companies.acme.client_id
    assert globex_start["client_id"] == companies.globex.client_id


def test_sign_in_at_two_companies_in_one_app(companies, line_platform):
    kims, lees = companies.app.test_client(), companies.app.test_client()
    with captured(signals.works_login_succeeded) as succeeded:
        assert sign_in(kims, line_platform, "acme", KIM.email).location == "/c/acme/me"
        assert sign_in(lees, line_platform, "globex", LEE.email).location == "/c/globex/me"
    assert kims.get("/c/acme/me").json == {"company": "acme", "user": KIM.user_id, "name": "Kim Ann"}
    assert lees.get("/c/globex/me").json == {"company": "globex", "user": LEE.user_id, "name": "Lee Bo"}
    assert [sent["company_id"] for sent in succeeded] == [companies.acme.client_id, companies.globex.client_id]


def test_a_member_of_company_a_is_never_signed_in_at_company_b(companies, line_platform):
    client = companies.app.test_client()
    sign_in(client, line_platform, "acme", KIM.email)
    assert client.get("/c/acme/me").status_code == 200
    assert client.get("/c/globex/me", headers=JSON).status_code == 401
    assert client.get("/c/globex/me").location.startswith("/line/works/login?"), "sent to globex's own sign-in"
    assert "company=globex" in client.get("/c/globex/me").location


def test_company_bs_sign_in_offers_only_its_own_members(companies, line_platform):
    client = companies.app.test_client()
    start = client.get("/line/works/login?company=globex").location
    with pytest.raises(requests.HTTPError) as refused:
        line_platform.consent(start, user=KIM.email)
    assert refused.value.response.status_code == 400


def test_urls_flask_line_builds_keep_the_company(companies):
    links = companies.app.test_client().get("/c/globex/links").json
    assert links == {"login": "/line/works/login?company=globex", "logout": "/line/works/logout?company=globex"}


def test_sign_out_ends_the_session_at_the_companys_own_app(companies, line_platform):
    client = companies.app.test_client()
    sign_in(client, line_platform, "acme", KIM.email)
    logout = client.post("/line/works/logout?company=acme").location
    assert logout.startswith(f"{line_platform.url}/oauth2/v2.0/logout?")
    assert authorize_params(logout)["client_id"] == companies.acme.client_id
    assert client.get("/c/acme/me", headers=JSON).status_code == 401
    line_platform.browser.get(logout, allow_redirects=False, timeout=10)
    assert line_platform.platform.works_logouts == [(companies.acme.client_id, KIM.user_id)]


def test_an_expired_member_token_is_refreshed_with_the_companys_own_app(companies, line_platform):
    client = companies.app.test_client()
    sign_in(client, line_platform, "acme", KIM.email)
    with companies.app.app_context():
        identity = companies.app.extensions["line"].works_for("acme").sign_in.identity
        with client.session_transaction() as stored:
            user, token = identity.current_user(session=stored), identity.current_token(session=stored)
            identity.save(user, replace(token, expires_at=time.time() - 10), session=stored)
    refreshed = client.get("/c/acme/token").json["token"]
    assert refreshed != token.access_token
    assert line_platform.platform.access_tokens[refreshed].client_id == companies.acme.client_id


# Isolation ---------------------------------------------------------------------------------------------------


def test_company_as_code_is_refused_at_company_b(companies, line_platform):
    client = companies.app.test_client()
    acme_back = line_platform.consent(client.get("/line/works/login?company=acme").location, user=KIM.email)
    globex_state = authorize_params(client.get("/line/works/login?company=globex").location)["state"]
    with captured(signals.works_login_failed) as failed:
        response = client.get(f"/line/works/callback?code={acme_back.params['code']}&state={globex_state}")
    assert response.status_code == 400
    assert failed[0]["company_id"] == companies.globex.client_id
    assert client.get("/c/acme/me", headers=JSON).status_code == 401
    assert client.get("/c/globex/me", headers=JSON).status_code == 401


def test_an_id_token_for_company_a_is_refused_at_company_b(companies, line_platform):
    line_platform.platform.inject("POST /oauth2/v2.0/token", id_token={"claims": {"aud": companies.acme.client_id}})
    client = companies.app.test_client()
    with captured(signals.works_login_failed) as failed:
        response = sign_in(client, line_platform, "globex", LEE.email)
    assert response.status_code == 400
    assert isinstance(failed[0]["error"], errors.IdTokenError)
    assert client.get("/c/globex/me", headers=JSON).status_code == 401


@pytest.fixture
def by_host(make_app: AppFactory, line_works_company: Any) -> Companies:
    """A site that gives each company its own host (the loader reads ``request.host``), sharing one session
    cookie across them (``SESSION_COOKIE_DOMAIN``)."""
    acme = line_works_company("20000001", [KIM], callback_urls=("https://acme.app.test/line/works/callback",))
    globex = line_works_company("30000001", [LEE], callback_urls=("https://globex.app.test/line/works/callback",))
    app = make_app(
        **NO_APP_WIDE_WORKS,
        LINE_WORKS_CALLBACK_URL=None,
        SERVER_NAME=None,  # one app on many hosts (Flask 3.0 routes only SERVER_NAME's host when it is set)
        SESSION_COOKIE_DOMAIN="app.test",
        LINE_WORKS_COMPANIES={
            "acme": {**acme.app_settings(), "callback_url": "https://acme.app.test/line/works/callback"},
            "globex": {**globex.app_settings(), "callback_url": "https://globex.app.test/line/works/callback"},
        },
    )
    app.extensions["line"].works_company_loader(lambda: request.host.split(".")[0])

    @app.get("/me")
    @works_login_required
    def me() -> Any:
        return jsonify(user=current_works_user.user_id)

    return Companies(app, acme, globex)


def test_company_as_state_is_refused_at_company_bs_callback(by_host, line_platform):
    client = by_host.app.test_client()
    start = client.get("/line/works/login", base_url="https://acme.app.test")
    back = line_platform.consent(start.location, user=KIM.email)
    assert back.url.startswith("https://acme.app.test/")
    with captured(signals.works_login_failed) as failed:
        response = client.get(urlsplit(back.path).path, query_string=back.params, base_url="https://globex.app.test")
    assert response.status_code == 400
    assert isinstance(failed[0]["error"], errors.StateError)
    assert client.get("/me", headers=JSON, base_url="https://globex.app.test").status_code == 401
    assert client.get("/me", headers=JSON, base_url="https://acme.app.test").status_code == 401


def test_each_host_signs_in_at_its_own_company(by_host, line_platform):
    client = by_host.app.test_client()
    start = client.get("/line/works/login", base_url="https://globex.app.test")
    back = line_platform.consent(start.location, user=LEE.email)
    response = client.get(urlsplit(back.path).path, query_string=back.params, base_url="https://globex.app.test")
    assert response.status_code == 302
    assert client.get("/me", base_url="https://globex.app.test").json == {"user": LEE.user_id}
    assert client.get("/me", headers=JSON, base_url="https://acme.app.test").status_code == 401


@pytest.mark.parametrize("outcome", ["raises", "none", "unknown name", "not a company"])
def test_a_loader_that_fails_is_a_clean_404_and_never_another_company(companies, outcome, caplog):
    answers = {"none": None, "unknown name": "initech", "not a company": 42}

    def loader() -> Any:
        if outcome == "raises":
            raise LookupError("tenant database unavailable")
        return answers[outcome]

    companies.app.extensions["line"].works_company_loader(loader)
    client = companies.app.test_client()
    response = client.get("/line/works/login", headers=JSON)
    assert response.status_code in (404, 500)
    if outcome != "not a company":
        assert response.status_code == 404
        assert response.json["error"] == "company_not_found"
    assert "Traceback" not in response.get_data(as_text=True)
    assert not response.headers.get("Location")


def test_an_unknown_state_at_the_callback_is_a_400(companies):
    response = companies.app.test_client().get("/line/works/callback?code=x&state=never-issued", headers=JSON)
    assert response.status_code == 400
    assert response.json["error"] == "invalid_state"


# Account links -----------------------------------------------------------------------------------------------


def test_account_links_are_the_companys_own(companies, line_platform):
    line = companies.app.extensions["line"]
    users: dict[str, Any] = {}

    @line.link_user
    def user_for(identity: Any, linked_user_id: str | None) -> Any:
        return users.setdefault(identity.user_id, type("User", (), {"id": len(users) + 1})())

    client = companies.app.test_client()
    sign_in(client, line_platform, "acme", KIM.email)
    with companies.app.app_context():
        link = line.account_links.find("works", KIM.user_id)
    assert link.scope == f"company:{companies.acme.client_id}"


def test_a_link_made_at_company_b_is_never_used_at_company_a(companies, line_platform):
    line = companies.app.extensions["line"]
    line.link_user(lambda identity, linked: type("User", (), {"id": 7})())
    with companies.app.app_context():
        line.account_links.link("works", KIM.user_id, "99", scope=f"company:{companies.globex.client_id}")
    client = companies.app.test_client()
    response = sign_in(client, line_platform, "acme", KIM.email)
    assert response.status_code in (403, 409)
    assert client.get("/c/acme/me", headers=JSON).status_code == 401


# The service account, per company ---------------------------------------------------------------------------


def test_a_bot_push_at_each_company_uses_that_companys_service_token(companies, line_platform):
    line = companies.app.extensions["line"]
    with companies.app.app_context():
        for name in ("acme", "globex"):
            line.works_for(name).api().post(f"/bots/2000001/users/{name}-member/messages", json={"text": name})
        acme_token, globex_token = line.works_for("acme").service_token(), line.works_for("globex").service_token()
    assert acme_token.access_token != globex_token.access_token
    calls = line_platform.platform.works_calls_of
    assert [call[2]["text"] for call in calls[companies.acme.client_id]] == ["acme"]
    assert [call[2]["text"] for call in calls[companies.globex.client_id]] == ["globex"]


def test_the_request_company_service_token_is_its_own(companies, line_platform):
    line = companies.app.extensions["line"]
    with companies.app.test_request_context("/c/globex/me"):
        companies.app.preprocess_request()
        assert line.works.settings.client_id == companies.globex.client_id
        assert line.works.service_token().access_token == line.works_for("globex").service_token().access_token


def test_an_assertion_for_company_a_is_refused_for_company_b(companies, line_platform):
    acme, globex = companies.acme, companies.globex
    mixed = WorksCompany(
        globex.client_id, globex.client_secret, service_account=acme.service_account, private_key=acme.private_key
    )
    with companies.app.app_context(), pytest.raises(errors.ServiceAccountError):
        companies.app.extensions["line"].works_for(mixed).service_token()


def test_a_key_rotated_in_the_loader_is_used_for_the_next_token(companies, line_platform):
    acme = companies.acme
    tenant = {"key": acme.private_key}
    line = companies.app.extensions["line"]

    def company() -> WorksCompany:
        return WorksCompany(
            acme.client_id, acme.client_secret, service_account=acme.service_account, private_key=tenant["key"]
        )

    line.works_company_loader(company)
    with companies.app.test_request_context("/"):
        line.works.service_token()
    tenant["key"] = line_platform.platform.rotate_works_key(acme.client_id)  # the old key is refused from now on
    with companies.app.test_request_context("/"):
        assert line.works.service_token().access_token
    assert line_platform.platform.calls("/oauth2/v2.0/token") == 2


def test_the_private_key_is_never_in_a_repr(companies):
    acme = companies.acme
    company = WorksCompany(
        acme.client_id, acme.client_secret, service_account=acme.service_account, private_key=acme.private_key
    )
    with companies.app.app_context():
        service = companies.app.extensions["line"].works_for(company)
    for text in (repr(company), repr(service), repr(service.settings)):
        assert "PRIVATE KEY" not in text and acme.client_secret not in text


def test_a_bad_listed_company_fails_init_app_without_echoing_its_key(make_app, line_works_company):
    acme = line_works_company("20000001", [KIM])
    entry = {**acme.app_settings(), "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-key\n"}
    with pytest.raises(errors.ConfigurationError) as refused:
        make_app(**NO_APP_WIDE_WORKS, LINE_WORKS_COMPANIES={"acme": entry})
    assert "LINE_WORKS_COMPANIES" in str(refused.value) and "not-a-key" not in str(refused.value)


def test_the_single_company_settings_are_the_company_named_default(app):
    with app.app_context():
        assert app.extensions["line"].works_for("default").settings.client_id == "works-demo-client"
        with pytest.raises(errors.CompanyNotFound):
            app.extensions["line"].works_for("initech")


# Bounded -----------------------------------------------------------------------------------------------------


def test_ten_thousand_companies_resolved_once_each_keep_a_bounded_number_of_services(companies):
    line = companies.app.extensions["line"]
    registry = companies.app.extensions["line.runtime"].companies
    with companies.app.app_context():
        for number in range(10_000):
            line.works_for(WorksCompany(f"client-{number}", "secret"))
    assert registry.cached == registry.size == 256


SINGLE_COMPANY_SITE = {**NO_APP_WIDE_WORKS, "LINE_WORKS_SCOPES": "openid profile"}


@dataclass
class StartedBeforeTheRelease:
    """A LINE WORKS sign-in started on a site with one company for all (no start URL kept), at its callback."""

    acme: EmulatedWorksCompany
    client: Any
    before: Flask
    callback_path: str


@pytest.fixture
def started_before_the_release(make_app, line_works_company, line_platform) -> StartedBeforeTheRelease:
    acme = line_works_company("20000001", [KIM], name="Acme")
    before = make_app(**SINGLE_COMPANY_SITE, LINE_WORKS_COMPANIES={"default": acme.app_settings()})
    client = before.test_client()
    start = client.get("/line/works/login")
    assert start.status_code == 302, start.data
    return StartedBeforeTheRelease(acme, client, before, line_platform.consent(start.location, user=KIM.email).path)


def test_a_sign_in_started_before_the_site_chose_companies_completes_at_that_company(
    make_app, started_before_the_release
):
    acme = started_before_the_release.acme
    # A new release, with companies chosen per request, gets the callback: its loader, asked at the callback,
    # names the same company (an unlisted one, built from the tenant's row).
    after = make_app(**SINGLE_COMPANY_SITE)
    after.extensions["line"].works_company_loader(
        lambda: WorksCompany(
            acme.client_id, acme.client_secret, service_account=acme.service_account, private_key=acme.private_key
        )
    )

    @after.get("/me")
    @works_login_required
    def me() -> Any:
        return jsonify(user=current_works_user.user_id)

    elsewhere = same_browser_at(after, started_before_the_release.client, started_before_the_release.before)
    landed = elsewhere.get(started_before_the_release.callback_path)
    assert landed.status_code == 302, landed.data
    assert elsewhere.get("/me").json == {"user": KIM.user_id}


def test_a_sign_in_started_before_the_site_chose_companies_and_found_nowhere_asks_to_start_again(
    make_app, started_before_the_release
):
    after = make_app(**SINGLE_COMPANY_SITE, LINE_URL_VALUES=["company"])
    after.extensions["line"].works_company_loader(company_of_request)  # the callback URL names no company
    elsewhere = same_browser_at(after, started_before_the_release.client, started_before_the_release.before)
    with captured(signals.works_login_failed) as failed:
        landed = elsewhere.get(started_before_the_release.callback_path, headers=JSON)
    assert landed.status_code == 400
    assert landed.json["error"] == "invalid_state"
    assert isinstance(failed[0]["error"], errors.StateError)
