"""Products built on demand, combined with what a real site turns on beside them: a LINE Login site whose config
names no LINE WORKS key at all gains companies through a loader registered after ``init_app`` (several companies,
Flask-Login, an ``async def`` view, a Thai visitor), and a login-only site's bearer verifier, built at its first
use, serves LIFF clients that arrive at once on several threads."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask, jsonify, request, url_for
from flask_login import current_user, login_required

from flask_line import (
    LineOAuth,
    WorksCompany,
    current_line_user,
    current_works_user,
    line_token_required,
    works_login_required,
)
from flask_line.testing import EmulatorServer

from .conftest import BrowserClient, deliver
from .test_accounts import Site, with_flask_login
from .test_works_companies import KIM, LEE

API = {"Accept": "application/json"}


def login_only_config(line_app_config: dict[str, Any]) -> dict[str, Any]:
    """The fixtures' config without a single key of LINE WORKS or of module channels."""
    return {key: value for key, value in line_app_config.items() if not key.startswith(("LINE_WORKS_", "LINE_MODULE_"))}


@pytest.fixture
def shop_site(line_app_config: dict[str, Any], line_works_company: Any, tmp_path: Any) -> tuple[Flask, Site]:
    app = Flask("shops", instance_path=str(tmp_path / "instance"))
    app.config.update(login_only_config(line_app_config), LINE_URL_VALUES=["company"], PREFERRED_URL_SCHEME="https")
    app.test_client_class = BrowserClient
    line = LineOAuth(app)
    site = Site(app)
    with_flask_login(app, site)
    companies = {
        "acme": line_works_company("20000001", [KIM], name="Acme"),
        "globex": line_works_company("30000001", [LEE], name="Globex"),
    }

    @line.works_company_loader  # registered after init_app: LINE WORKS is built at its first use
    def company() -> WorksCompany | None:
        name = (request.view_args or {}).get("company") or request.args.get("company")
        found = companies.get(name or "")
        return WorksCompany(found.client_id, found.client_secret) if found is not None else None

    @app.get("/c/<company>/staff")
    @works_login_required
    @login_required
    async def staff(company: str) -> Any:
        await asyncio.sleep(0)
        return jsonify(company=company, member=current_works_user.user_id, site_user=current_user.id)

    @app.get("/c/<company>/links")
    def links(company: str) -> Any:
        return jsonify(login=url_for("line.works_login"), logout=url_for("line.works_logout"))

    return app, site


def sign_in(client: Any, line_platform: EmulatorServer, company: str, member: str, **headers: str) -> Any:
    start = client.get(f"/line/works/login?company={company}&next=/c/{company}/staff", headers=headers)
    assert start.status_code == 302, start.data
    return deliver(client, line_platform.consent(start.location, user=member))


def test_a_loader_registered_after_init_app_serves_each_company_to_a_flask_login_async_view(shop_site, line_platform):
    app, site = shop_site
    thai = {"Accept-Language": "th-TH,th;q=0.9"}
    acme, globex = app.test_client(), app.test_client()
    back = sign_in(acme, line_platform, "acme", KIM.email, **thai)
    assert back.status_code == 302 and back.location == "/c/acme/staff"
    answer = acme.get("/c/acme/staff", headers={**API, **thai})
    assert answer.status_code == 200, answer.data
    assert answer.json["company"] == "acme" and answer.json["member"] == KIM.user_id
    assert answer.json["site_user"] in site.users, "Flask-Login's user is the one linked to the member"
    # Every URL flask-line builds keeps the visitor's company.
    built = acme.get("/c/acme/links").json
    assert "company=acme" in built["login"] and "company=acme" in built["logout"]
    # Acme's member is not signed in at Globex, whose own member signs in with Globex's app.
    assert acme.get("/c/globex/staff", headers=API).status_code in (401, 403)
    assert sign_in(globex, line_platform, "globex", LEE.email).status_code == 302
    assert globex.get("/c/globex/staff", headers=API).json["member"] == LEE.user_id
    # A company the loader does not know is a clean 404, in the visitor's language.
    unknown = app.test_client().get("/line/works/login?company=initech", headers=thai)
    assert unknown.status_code == 404 and b"Traceback" not in unknown.data
    assert 'lang="th"' in unknown.get_data(as_text=True), "the product's page, in the visitor's language"


@pytest.fixture
def token_app(line_app_config: dict[str, Any], tmp_path: Any) -> Flask:
    app = Flask("liff", instance_path=str(tmp_path / "instance"))
    app.config.update(login_only_config(line_app_config))
    LineOAuth(app)

    @app.get("/api/me")
    @line_token_required
    async def me() -> Any:
        await asyncio.sleep(0)
        return jsonify(user_id=current_line_user.user_id)

    return app


def test_liff_clients_arriving_at_once_share_the_verifier_built_at_first_use(token_app, line_platform):
    tokens = {name: line_platform.liff_login(name)["access_token"] for name in ("Brown", "Cony", "Sally")}
    calls: list[tuple[str, str]] = [(name, tokens[name]) for name in tokens for _ in range(6)]

    def call(name_and_token: tuple[str, str]) -> tuple[str, int, str | None]:
        name, token = name_and_token
        answer = token_app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}", **API})
        return name, answer.status_code, (answer.json or {}).get("user_id")

    with ThreadPoolExecutor(max_workers=9) as pool:
        answers = list(pool.map(call, calls))
    assert all(status == 200 for _, status, _ in answers), answers
    ids = {name: {user for who, _, user in answers if who == name} for name in tokens}
    assert all(len(found) == 1 for found in ids.values()), "each client is always its own user"
    assert len({next(iter(found)) for found in ids.values()}) == 3
    with token_app.app_context():
        line = token_app.extensions["line"]
        assert line.login.bearer is line.login.bearer, "built once, then kept"
    forged = token_app.test_client().get("/api/me", headers={"Authorization": "Bearer forged", **API})
    assert forged.status_code == 401 and forged.is_json
