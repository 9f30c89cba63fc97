"""The "notify me on LINE" example (issue 38): a member signs in, adds the Official Account at LINE's prompt, sees
it on the settings page, and a background job pushes to them; one who did not add it is told so."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask

from examples.run_demo import load_example
from tests.conftest import BrowserClient

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"  # not a friend of the demo Official Account until he adds it


@pytest.fixture
def notify(monkeypatch: Any, tmp_path: Any, line_platform: Any) -> tuple[Any, Flask]:
    monkeypatch.setenv("LINE_EMULATOR_URL", line_platform.url)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("LINE_LOGIN_CHANNEL_ID", raising=False)
    example = load_example("notify")
    app = example.create_app()
    app.config["SERVER_NAME"] = "app.test"
    app.test_client_class = BrowserClient
    line_platform.platform.register_app("http://app.test")
    return example, app


def sign_in(app: Flask, line_platform: Any, *, add_friend: bool) -> Any:
    client = app.test_client()
    start = client.get("/line/login?next=/settings")
    assert "bot_prompt=aggressive" in start.location
    back = line_platform.consent(start.location, user="Brown", add_friend=add_friend)
    assert client.get(back.path).status_code == 302
    return client


def test_a_member_who_adds_the_account_gets_the_test_message_from_a_background_job(notify, line_platform):
    _, app = notify
    client = sign_in(app, line_platform, add_friend=True)
    page = client.get("/settings").get_data(as_text=True)
    assert "You added our LINE Official Account" in page
    answer = client.post("/settings/test-message")
    assert answer.status_code == 302
    deadline = time.monotonic() + 10
    while not line_platform.platform.messaging.messages_to(BROWN):
        assert time.monotonic() < deadline, "the job's push never reached LINE"
        time.sleep(0.05)
    assert line_platform.platform.messaging.messages_to(BROWN) == [
        {"type": "text", "text": "This is how this site will notify you on LINE."}
    ]


def test_a_member_who_did_not_add_the_account_is_told_and_nothing_is_sent(notify, line_platform):
    example, app = notify
    client = sign_in(app, line_platform, add_friend=False)
    page = client.get("/settings").get_data(as_text=True)
    assert "You have not added our LINE Official Account" in page and 'id="test-message"' not in page
    with app.app_context():
        example.notify_later(app, BROWN, "hello").join(timeout=10)
    assert line_platform.platform.messaging.messages_to(BROWN) == []
