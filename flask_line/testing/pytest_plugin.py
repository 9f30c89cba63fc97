"""pytest fixtures for apps that use flask-line (installed as a ``pytest11`` plugin).

``line_platform`` is a running LINE emulator; ``line_app_config`` is the ``app.config`` that points an app at
it. An end-to-end login test::

    def test_login(line_platform, line_app_config):
        app = create_app(line_app_config)
        client = app.test_client()
        start = client.get("/line/login")
        back = line_platform.consent(start.location, user="Brown")
        assert client.get(back.path).status_code == 302
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from cachelib.file import FileSystemCache

from .accounts import DEMO_WORKS_CLIENT_ID, EmulatedWorksCompany, EmulatedWorksMember
from .server import EmulatorServer

#: LINE WORKS accepts only HTTPS callbacks off localhost ("Access Token" page): the fixture app's is on https.
WORKS_CALLBACK = "https://app.test/line/works/callback"


@pytest.fixture
def line_platform() -> Iterator[EmulatorServer]:
    """A LINE platform emulator serving on a free port of 127.0.0.1 for one test.

    The callbacks of an app at ``http://app.test`` (``line_app_config``'s ``SERVER_NAME``) are registered;
    register others with ``line_platform.platform.register_app(base_url)``.
    """
    with EmulatorServer() as server:
        server.platform.register_app("http://app.test")
        server.platform.register_callback(DEMO_WORKS_CLIENT_ID, WORKS_CALLBACK)  # LINE WORKS wants HTTPS
        yield server


@pytest.fixture
def line_app_config(line_platform: EmulatorServer, tmp_path: Path) -> dict[str, Any]:
    """App settings for the emulator's demo channel, with sessions kept in the test's temporary folder."""
    return {
        **line_platform.app_config(),
        "SECRET_KEY": "test-secret-key",
        "SERVER_NAME": "app.test",
        "LINE_WORKS_CALLBACK_URL": WORKS_CALLBACK,
        "SESSION_TYPE": "cachelib",
        "SESSION_CACHELIB": FileSystemCache(str(tmp_path / "sessions")),
    }


#: ``line_works_company(domain_id, members, callback_urls=...)`` -> the new company (see the fixture).
WorksCompanyFactory = Callable[..., EmulatedWorksCompany]


@pytest.fixture
def line_works_company(line_platform: EmulatorServer) -> WorksCompanyFactory:
    """Make customer companies of LINE WORKS in the emulator: each with its domain, its members, its own app
    (client id and secret) and a service account with its own private key::

        def test_two_companies(line_works_company, line_app_config):
            acme = line_works_company("20000001", [EmulatedWorksMember("u-1", "kim@acme.example", "Kim", "Ann")])
            config = {**line_app_config, "LINE_WORKS_COMPANIES": {"acme": acme.app_settings()}}

    Each app accepts ``https://app.test/line/works/callback`` (``line_app_config``'s) unless ``callback_urls``
    names others; its logout goes back to ``https://app.test/``.
    """

    def make(
        domain_id: str,
        members: Sequence[EmulatedWorksMember] = (),
        *,
        name: str | None = None,
        callback_urls: Sequence[str] = (WORKS_CALLBACK,),
    ) -> EmulatedWorksCompany:
        company = line_platform.platform.add_works_company(domain_id, members, name=name)
        for url in callback_urls:
            line_platform.platform.register_callback(company.client_id, url)
        line_platform.platform.register_logout_url(company.client_id, "https://app.test/")
        return company

    return make
