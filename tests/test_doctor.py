"""``flask line doctor`` against the emulator: the callbacks to register, credentials LINE accepts or refuses,
and what only the LINE Developers Console can do."""

from __future__ import annotations

from typing import Any

from tests.conftest import AppFactory


def doctor(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["line", "doctor", *args])


def test_a_good_setup_lists_every_callback_and_passes(make_app: AppFactory, line_platform: Any) -> None:
    result = doctor(make_app(), "--base-url", "http://app.test")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "LINE Login channel 'default' 1650000000: http://app.test/line/callback" in out
    assert "module channel 2000000000: http://app.test/line/attach/callback" in out
    assert "LINE WORKS app works-demo-client: https://app.test/line/works/callback" in out
    assert "[ok  ] LINE accepts channel 1650000000's id and secret" in out
    assert "[ok  ] LINE accepts http://app.test/line/callback as a callback of channel 1650000000" in out
    assert "[ok  ] LINE accepts module channel 2000000000's id and secret" in out
    assert "[ok  ] LINE WORKS accepts the client id, secret and service account key" in out
    assert "publish it (Developing -> Published)" in out
    assert "FAIL" not in out


def test_a_wrong_secret_fails_naming_the_channel_and_no_secret(make_app: AppFactory, line_platform: Any) -> None:
    result = doctor(make_app(LINE_LOGIN_CHANNEL_SECRET="not-the-secret-0001"), "--base-url", "http://app.test")
    assert result.exit_code == 1
    assert "[FAIL] LINE refused channel 1650000000's id or secret" in result.output
    assert "not-the-secret-0001" not in result.output


def test_an_unregistered_callback_fails_with_where_to_register_it(make_app: AppFactory, line_platform: Any) -> None:
    result = doctor(make_app(SERVER_NAME=None), "--base-url", "https://www.example.com")
    assert result.exit_code == 1
    assert (
        "[FAIL] https://www.example.com/line/callback is not a registered callback of channel 1650000000"
        in result.output
    )
    assert "Callback URL in the LINE Developers Console" in result.output


def test_console_only_steps_follow_the_settings(make_app: AppFactory, line_platform: Any) -> None:
    app = make_app(LINE_LOGIN_SCOPES="profile openid email", LINE_LOGIN_BOT_PROMPT="aggressive")
    out = doctor(app, "--base-url", "http://app.test").output
    assert "apply for Email address permission" in out
    assert "link your LINE Official Account" in out
