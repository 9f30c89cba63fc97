"""``examples/works`` serves the site's own LINE WORKS and two customer companies side by side (issue 39): each
company's members sign in at their company's pages only, the URLs flask-line builds keep the company."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask

from examples.run_demo import load_example
from tests.conftest import BrowserClient, deliver


@pytest.fixture
def works_site(monkeypatch: Any, tmp_path: Any, line_platform: Any) -> Flask:
    monkeypatch.setenv("LINE_EMULATOR_URL", line_platform.url)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LINE_WORKS_CLIENT_ID", raising=False)
    example = load_example("works")
    example.emulate(line_platform.platform)
    app = example.create_app()
    app.test_client_class = BrowserClient
    line_platform.platform.register_app("http://localhost")
    return app


def sign_in(client: Any, line_platform: Any, start_path: str, member: str) -> Any:
    start = client.get(start_path)
    assert start.status_code == 302, start.data
    return deliver(client, line_platform.consent(start.location, user=member))


def test_each_company_signs_its_own_members_in_at_its_own_pages(works_site, line_platform):
    client = works_site.test_client()
    home = client.get("/companies/acme/").get_data(as_text=True)
    assert "Acme Corp" in home and "company=acme" in home, "the sign-in link keeps the company"
    landed = sign_in(client, line_platform, "/line/works/login?company=acme&next=/companies/acme/intranet", "Kim Ann")
    assert landed.status_code == 302 and landed.location.endswith("/companies/acme/intranet")
    page = client.get("/companies/acme/intranet").get_data(as_text=True)
    assert 'id="member-name">Kim Ann' in page and 'id="company-name">Acme Corp' in page
    assert client.get("/companies/globex/intranet").status_code == 302, "Acme's member is nobody at Globex"


def test_a_companys_sign_in_offers_only_its_own_members_and_its_own_app(works_site, line_platform):
    start = works_site.test_client().get("/line/works/login?company=globex")
    params = parse_qs(urlsplit(start.location).query)
    assert params["client_id"] == ["works-globex"]
    with pytest.raises(requests.HTTPError):  # Kim is a member of Acme: Globex's sign-in screen does not offer her
        line_platform.consent(start.location, user="Kim Ann")


def test_the_sites_own_company_still_signs_in_at_the_root(works_site, line_platform):
    client = works_site.test_client()
    assert "Acme Corp" in client.get("/").get_data(as_text=True)
    assert sign_in(client, line_platform, "/line/works/login?next=/intranet", "Sato Bob").status_code == 302
    assert 'id="member-name">Sato Bob' in client.get("/intranet").get_data(as_text=True)
    assert client.get("/companies/unknown/").status_code == 404
