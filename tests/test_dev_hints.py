"""A developer's misconfiguration says what to do: at start-up for a callback nobody serves, at the first visit
for a product not set up, and with the exact command when the emulator is not running."""

from __future__ import annotations

import html
import logging
from typing import Any

import pytest

from tests.conftest import AppFactory
from tests.local import free_port

OWN_CHANNEL = {"LINE_LOGIN_CHANNEL_ID": "1234567890", "LINE_LOGIN_CHANNEL_SECRET": "own-channel-secret-0001"}


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def test_a_login_callback_on_a_path_the_app_does_not_serve_is_a_warning_at_init_app(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    make_app(LINE_LOGIN_CALLBACK_URL="https://www.example.com/auth/line")
    [warning] = [message for message in warnings_of(caplog) if "LINE_LOGIN_CALLBACK_URL" in message]
    assert "https://www.example.com/auth/line" in warning and "serves that callback at /line/callback" in warning
    assert "Set LINE_LOGIN_CALLBACK_URL to https://www.example.com/line/callback" in warning


@pytest.mark.parametrize(
    "key,url",
    [
        ("LINE_LOGIN_CALLBACK_URL", "https://www.example.com/line/callback"),
        ("LINE_LOGIN_CALLBACK_URL", "https://www.example.com/shop/line/callback"),  # a proxy's prefix
        ("LINE_MODULE_CALLBACK_URL", "https://www.example.com/line/attach/callback"),
        ("LINE_WORKS_CALLBACK_URL", "https://www.example.com/line/works/callback"),
    ],
)
def test_a_callback_the_app_serves_is_not_warned_about(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture, key: str, url: str
) -> None:
    make_app(**{key: url})
    assert not [message for message in warnings_of(caplog) if "CALLBACK_URL" in message]


def test_a_module_callback_on_another_path_names_the_module_key(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    make_app(LINE_MODULE_CALLBACK_URL="https://www.example.com/line/callback")
    [warning] = [message for message in warnings_of(caplog) if "CALLBACK_URL" in message]
    assert warning.startswith("LINE_MODULE_CALLBACK_URL is") and "/line/attach/callback" in warning


def test_a_protected_page_without_a_channel_logs_one_line_with_the_fix(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app(LINE_LOGIN_CHANNEL_ID=None, LINE_LOGIN_CHANNEL_SECRET=None)
    client = app.test_client()
    caplog.clear()
    start = client.get("/profile")
    assert client.get(start.location).status_code == 404
    said = [message for message in warnings_of(caplog) if "LINE_LOGIN_CHANNEL_ID" in message]
    assert said == [
        "GET /line/login: LINE Login is not configured (set LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET)."
    ]


def test_a_sign_in_with_the_emulator_not_running_is_a_page_and_a_log_line_with_the_command(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    app = make_app(LINE_EMULATOR_URL=f"http://127.0.0.1:{port}", SERVER_NAME="127.0.0.1:8000", **OWN_CHANNEL)
    client = app.test_client()
    caplog.clear()
    answer = client.get("/line/login")
    assert answer.status_code == 502  # LINE (here, the emulator) unreachable
    page = html.unescape(answer.get_data(as_text=True))
    inside = f"flask --app testapp line emulator --port {port} --app-port 8000"
    outside = (
        f"line-emulator --port {port} --app http://127.0.0.1:8000 --channel 1234567890:<LINE_LOGIN_CHANNEL_SECRET>"
    )
    assert inside in page and outside in page
    logged = [message for message in warnings_of(caplog) if "is not answering" in message]
    assert logged  # the first request's check, and this sign-in's
    assert all(inside in message and outside in message for message in logged)
    assert "own-channel-secret-0001" not in page + " ".join(logged)


def test_an_emulator_that_stops_mid_sign_in_leaves_a_page_naming_the_command(
    make_app: AppFactory, line_platform: Any
) -> None:
    app = make_app()
    client = app.test_client()
    start = client.get("/line/login")
    back = line_platform.consent(start.location, user="Brown")
    line_platform.stop()
    answer = client.get(back.path)
    assert answer.status_code == 502
    port = line_platform.url.rsplit(":", 1)[1]
    assert f"line emulator --port {port}" in html.unescape(answer.get_data(as_text=True))
