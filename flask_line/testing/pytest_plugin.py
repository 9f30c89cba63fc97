"""pytest fixtures for apps that use flask-line (installed as a ``pytest11`` plugin).

``line_platform`` is a running LINE emulator; ``line_app_config`` is the ``app.config`` that points an app at
it, with a temporary database and temporary sessions. An end-to-end login test::

    def test_login(line_platform, line_app_config):
        app = create_app(line_app_config)
        client = app.test_client()
        start = client.get("/line/login")
        back = line_platform.consent(start.location, user="Brown")
        assert client.get(back.path).status_code == 302

After each test, every app :func:`~flask_line.testing.configure_app` changed is put back as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from cachelib.file import FileSystemCache

from ..demo import DEMO_WORKS_CLIENT_ID
from .accounts import Channel, EmulatedWorksCompany, EmulatedWorksMember
from .app_config import restore_configured_apps
from .server import EmulatorServer

#: The apps whose callbacks ``line_platform`` registers (Flask's test client, and a named test host).
FIXTURE_APPS = ("http://localhost", "http://app.test")

#: LINE WORKS accepts only HTTPS callbacks off localhost ("Access Token" page): the fixture app's is on https.
WORKS_CALLBACK = "https://app.test/line/works/callback"

#: The LINE products ``line_products`` may name, and the ``line_platform.app_config()`` keys of each.
PRODUCT_PREFIXES = {"login": "LINE_LOGIN_", "module": "LINE_MODULE_", "works": "LINE_WORKS_"}


@pytest.fixture
def line_platform() -> Iterator[EmulatorServer]:
    """A LINE platform emulator serving on a free port of 127.0.0.1 for one test.

    The callbacks of an app at ``http://localhost`` (Flask's test client) and at ``http://app.test`` are
    registered; register others with ``line_platform.platform.register_app(base_url)``.
    """
    with EmulatorServer() as server:
        for base_url in FIXTURE_APPS:
            server.platform.register_app(base_url)
        server.platform.register_callback(DEMO_WORKS_CLIENT_ID, WORKS_CALLBACK)  # LINE WORKS wants HTTPS
        yield server


@pytest.fixture
def line_products() -> frozenset[str]:
    """The LINE products ``line_app_config`` turns on: ``{"login"}`` (override it in your ``conftest.py``).

    Name ``"module"`` (the module channel) and ``"works"`` (LINE WORKS) too for an app that uses them::

        @pytest.fixture
        def line_products():
            return {"login", "module"}
    """
    return frozenset({"login"})


@pytest.fixture
def line_app_config(line_platform: EmulatorServer, line_products: frozenset[str], tmp_path: Path) -> dict[str, Any]:
    """App settings for the emulator's demo channel of each of ``line_products``, and storage of the test's own.

    No storage the app had configured is used: its database (``SQLALCHEMY_DATABASE_URI``) and flask-line's
    (``LINE_DATABASE_URI``, the same one; ``LINE_MODULE_STORE_URI`` unset) are one SQLite file in the test's
    temporary folder, and the sessions are kept there too (``SESSION_TYPE = "cachelib"``). ``SERVER_NAME`` is
    left as the app has it.
    """
    unknown = set(line_products) - set(PRODUCT_PREFIXES)
    if unknown:
        raise pytest.UsageError(f"line_products names {sorted(unknown)}; the products are {sorted(PRODUCT_PREFIXES)}")
    prefixes = tuple(PRODUCT_PREFIXES[product] for product in line_products)
    products = {key: value for key, value in line_platform.app_config().items() if key.startswith(prefixes)}
    if "works" in line_products:
        products["LINE_WORKS_CALLBACK_URL"] = WORKS_CALLBACK
    database = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    return {
        "LINE_EMULATOR_URL": line_platform.url,
        **products,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database,
        "LINE_DATABASE_URI": database,  # the app's own: an app with Flask-SQLAlchemy still shares its db.session
        "LINE_MODULE_STORE_URI": None,  # attachments go with the rest
        "SESSION_TYPE": "cachelib",
        "SESSION_CACHELIB": FileSystemCache(str(tmp_path / "sessions")),
    }


@pytest.fixture(autouse=True)
def _line_restore_configured_apps() -> Iterator[None]:
    """Put back every app ``configure_app`` changed in the test (a module-level app serves the next test too)."""
    yield
    restore_configured_apps()


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


#: ``line_login_channel(channel_id, secret, **console)`` -> the new channel (see the fixture).
LoginChannelFactory = Callable[..., Channel]


@pytest.fixture
def line_login_channel(line_platform: EmulatorServer) -> LoginChannelFactory:
    """Add LINE Login channels set up as in the LINE Developers Console, with the fixture apps' callbacks::

        def test_only_testers_sign_in(line_login_channel, line_app_config):
            secret = "8a2c31f4d5e6b7a8c9d0e1f2a3b4c5d6"
            channel = line_login_channel("1660000000", secret, status="developing", roles=["Brown"])
            app = create_app({**line_app_config, **channel.app_settings()})

    ``email_permission=False`` gives no ``email`` claim; ``status="developing"`` lets only ``roles`` (user ids or
    names) log in; ``linked_bot`` and ``id_token_alg`` as ``EmulatorServer.add_channel`` takes them.
    """

    def make(channel_id: str, secret: str, **console: Any) -> Channel:
        callbacks = [f"{base_url}/line/callback" for base_url in FIXTURE_APPS]
        return line_platform.add_channel(channel_id, secret, callback_urls=callbacks, **console)

    return make
