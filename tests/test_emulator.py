"""The emulator as users start it: a command, a consent screen, LINE's error behaviour."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from flask_line import LineOAuth
from flask_line.testing import LinePlatform, sign_in_line_user
from tests.local import free_port


def test_python_m_flask_line_testing_serves_lines_endpoints():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "flask_line.testing", "--port", str(port)])
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/.well-known/openid-configuration", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        assert answer.json()["token_endpoint"] == f"http://127.0.0.1:{port}/oauth2/v2.1/token"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_flask_line_emulator_command_is_registered(app):
    result = app.test_cli_runner().invoke(args=["line", "emulator", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output


def test_consent_screen_offers_every_account(line_platform, client):
    start = client.get("/line/login")
    page = requests.get(start.location, timeout=5).text
    for name in ("Brown", "Cony", "Sally"):
        assert f'data-user="{name}"' in page
    sign_in_line_user(client, "U4af4980629a1b2c3d4e5f60718293a4b")  # an admin signs in before attaching
    attach = requests.get(client.get("/line/attach").location, timeout=5).text
    assert "Brown Cafe (@browncafe)" in attach and 'name="granted_scope"' in attach


def test_unknown_client_gets_an_error_page_not_a_redirect(line_platform):
    answer = requests.get(
        f"{line_platform.url}/oauth2/v2.1/authorize",
        params={
            "client_id": "nobody",
            "redirect_uri": "https://evil.example/cb",
            "state": "x",
            "response_type": "code",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 400


def test_invalid_scope_is_redirected_back_with_lines_error_code(line_platform):
    answer = requests.get(
        f"{line_platform.url}/oauth2/v2.1/authorize",
        params={
            "client_id": "1650000000",
            "redirect_uri": "http://app.test/line/callback",
            "state": "s1",
            "response_type": "code",
            "scope": "email",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    assert "error=INVALID_SCOPE" in answer.headers["Location"] and "state=s1" in answer.headers["Location"]


def wait_for_server(url: str) -> None:
    deadline = time.monotonic() + 15
    while True:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.1)


def test_line_emulator_runs_anywhere_and_takes_faults_over_http(tmp_path):
    script = Path(sys.executable).parent / "line-emulator"
    port = free_port()
    process = subprocess.Popen([str(script), "--port", str(port), "--allow-faults"], cwd=tmp_path)  # an empty folder
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_server(base + "/")
        fault = {"request": "POST /oauth2/v2.1/token", "status": 503, "body": "down"}
        assert requests.post(f"{base}/_emulator/faults", json=fault, timeout=5).status_code == 201
        token = requests.post(f"{base}/oauth2/v2.1/token", data={}, timeout=5)
        assert token.status_code == 503 and token.text == "down"
        # The default app (http://127.0.0.1:5000) has its callbacks registered.
        page = requests.get(
            f"{base}/oauth2/v2.1/authorize",
            params={
                "response_type": "code",
                "client_id": "1650000000",
                "redirect_uri": "http://127.0.0.1:5000/line/callback",
                "state": "s" * 20,
                "scope": "profile openid",
            },
            timeout=5,
        )
        assert page.status_code == 200 and "LINE Login" in page.text
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("command", [["line-emulator", "--help"], ["flask", "line", "emulator", "--help"]])
def test_emulator_help_is_plain_text(command, tmp_path):
    executable = Path(sys.executable).parent / command[0]
    environment = {**os.environ, "FLASK_APP": "examples.quickstart.app:create_app"}
    result = subprocess.run(
        [str(executable), *command[1:]],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env=environment,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout
    assert "``" not in result.stdout and ":class:" not in result.stdout


def test_make_demo_on_a_busy_port_names_the_variable_to_set():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        root = Path(__file__).resolve().parents[1]
        result = subprocess.run(
            [sys.executable, "examples/run_demo.py"],
            cwd=root,
            env={**os.environ, "PORT": str(port), "EMULATOR_PORT": str(free_port())},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"Port {port} (PORT) is already in use" in result.stderr and "`make demo PORT=" in result.stderr


def test_make_demo_with_both_ports_busy_names_both_and_free_ones_in_one_message():
    root = Path(__file__).resolve().parents[1]
    with socket.socket() as site, socket.socket() as emulator:
        # Below the ephemeral range (32768 and up), where the other tests' servers and connections take ports,
        # so the free ports the message suggests stay free while the test checks them.
        candidates = iter(range(21000, 30000, 211))
        for busy in (site, emulator):
            while True:
                try:
                    busy.bind(("127.0.0.1", next(candidates)))
                    break
                except OSError:
                    continue
            busy.listen()
        site_port, emulator_port = site.getsockname()[1], emulator.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "examples/run_demo.py"],
            cwd=root,
            env={**os.environ, "PORT": str(site_port), "EMULATOR_PORT": str(emulator_port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode != 0
        [message] = result.stderr.strip().splitlines()
        assert f"{site_port} (PORT) and {emulator_port} (EMULATOR_PORT) are already in use" in message
        suggested = dict(word.split("=") for word in message.split("`make demo ")[1].split("`")[0].split())
        assert set(suggested) == {"PORT", "EMULATOR_PORT"}
        for port in suggested.values():  # the command it gives works at the first try
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as run_demo.py checks
                probe.bind(("127.0.0.1", int(port)))


def test_signals_render_as_names_on_the_api_page():
    import runpy

    from flask_line import signals

    runpy.run_path(str(Path(__file__).resolve().parents[1] / "docs" / "conf.py"))
    assert repr(signals.login_succeeded) == "signal('login-succeeded')"


def test_a_busy_port_is_one_line_with_the_fix_not_a_traceback(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for command in (
            [sys.executable, "-m", "flask_line.testing", "--port", str(port)],
            [sys.executable, "-m", "flask", "--app", "quickstart_app", "line", "emulator", "--port", str(port)],
        ):
            (tmp_path / "quickstart_app.py").write_text(
                "from flask import Flask\nfrom flask_line import LineOAuth\napp = Flask(__name__)\n"
                "app.config.update(SECRET_KEY='x', LINE_LOGIN_CHANNEL_ID='1', LINE_LOGIN_CHANNEL_SECRET='s',\n"
                f"                  LINE_EMULATOR_URL='http://127.0.0.1:{port}')\n"
                "LineOAuth(app)\n"
            )
            answer = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
            assert answer.returncode != 0
            assert "Traceback" not in answer.stderr and "AttributeError" not in answer.stderr
            assert f"Cannot listen on 127.0.0.1:{port}" in answer.stderr and "--port" in answer.stderr


def test_the_home_page_is_a_console_of_what_happened(line_platform, client):
    from tests.conftest import follow_login

    empty = requests.get(line_platform.url, timeout=5).text
    assert 'id="no-authorizations"' in empty and "1650000000" in empty  # the accepted channel is listed
    follow_login(client, line_platform, user="Cony")
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=503)
    page = requests.get(line_platform.url, timeout=5).text
    authorizations = page.split('id="authorizations"', 1)[1].split("</table>", 1)[0]
    assert "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8" in authorizations and 'class="allowed"' in authorizations
    assert 'id="tokens"' in page and "profile openid" in page
    assert 'id="faults"' in page and "POST /oauth2/v2.1/token" in page


# flask line emulator never serves a config that talks to the real LINE -----------------------------------------


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """What ``flask line emulator`` would serve (the server itself is not started)."""
    calls: list[dict[str, object]] = []
    monkeypatch.setattr("flask_line.testing.platform.serve_forever", lambda *args, **kwargs: calls.append(kwargs))
    return calls


def emulator_command(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["line", "emulator", "--port", "5999"])


def production_app(tmp_path: Path, **config: object) -> Flask:
    app = Flask("production", instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY="x", LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="production-secret", **config
    )
    LineOAuth(app)
    return app


def test_the_emulator_command_refuses_a_config_not_pointed_at_an_emulator(tmp_path, served):
    result = emulator_command(production_app(tmp_path))
    assert result.exit_code == 1 and "LINE_EMULATOR_URL is not set" in result.output
    assert served == [], "no emulator signs with these secrets"


def test_the_emulator_command_refuses_a_config_with_an_endpoint_at_line(tmp_path, served):
    app = production_app(
        tmp_path,
        LINE_EMULATOR_URL="http://127.0.0.1:5999",
        LINE_LOGIN_TOKEN_URL="https://api.line.me/oauth2/v2.1/token",
    )
    result = emulator_command(app)
    assert result.exit_code == 1 and "LINE_LOGIN_TOKEN_URL is https://api.line.me" in result.output
    assert served == []


def test_the_emulator_command_serves_a_config_pointed_at_it(tmp_path, served):
    result = emulator_command(production_app(tmp_path, LINE_EMULATOR_URL="http://127.0.0.1:5999"))
    assert result.exit_code == 0, result.output
    [options] = served
    assert options["login_channels"] == {"1650000000": "production-secret"}


def test_the_test_fixtures_config_is_pointed_at_the_emulator(line_app_config):
    from flask_line._cli import emulator_refusal

    assert emulator_refusal(line_app_config) is None


def test_platforms_in_one_process_share_their_routes_but_answer_from_their_own_memory():
    # The URL map is compiled once per process and shared; each platform's views (and data) stay its own.
    first, second = LinePlatform(), LinePlatform()
    first.add_module_channel("2700000001", "first-platform-module-secret-0001")
    assert first.app.url_map is second.app.url_map
    form = {
        "grant_type": "client_credentials",
        "client_id": "2700000001",
        "client_secret": "first-platform-module-secret-0001",
    }
    issued = first.app.test_client().post("/v2/oauth/accessToken", data=form)
    refused = second.app.test_client().post("/v2/oauth/accessToken", data=form)
    assert issued.status_code == 200 and issued.get_json()["access_token"]
    assert refused.status_code == 400, "the second platform never heard of the first one's channel"
    token = issued.get_json()["access_token"]
    assert first.app.test_client().post("/v2/oauth/verify", data={"access_token": token}).status_code == 200
    assert second.app.test_client().post("/v2/oauth/verify", data={"access_token": token}).status_code == 400
