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

from .server import EmulatorServer


@pytest.fixture
def line_platform() -> Iterator[EmulatorServer]:
    """A LINE platform emulator serving on a free port of 127.0.0.1 for one test."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def line_app_config(line_platform: EmulatorServer, tmp_path: Path) -> dict[str, Any]:
    """App settings for the emulator's demo channel, with sessions kept in the test's temporary folder."""
    return {
        **line_platform.app_config(),
        "SECRET_KEY": "test-secret-key",
        "SERVER_NAME": "app.test",
        "SESSION_TYPE": "cachelib",
        "SESSION_CACHELIB": FileSystemCache(str(tmp_path / "sessions")),
    }
