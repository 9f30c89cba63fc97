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

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cachelib.file import FileSystemCache

from .accounts import DEMO_WORKS_CLIENT_ID
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
