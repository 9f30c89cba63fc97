"""A developer's own app meets the emulator, exactly as the quickstart's "your own app" section says.

The app uses its own channel id and secret (the README's), is made at import time or by a factory, and is
driven by `flask line emulator` / `line-emulator` in another process, or by the pytest fixtures.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from flask_line.testing import EmulatorServer, configure_app
from tests.local import free_port

#: The README quickstart's app, as a developer saves it in myapp.py (their channel, their secret).
MODULE_LEVEL_APP = """
from flask import Flask
from flask_line import LineOAuth, current_line_user, line_login_required

app = Flask(__name__)
app.config.update(
    SECRET_KEY="change-me",
    LINE_LOGIN_CHANNEL_ID="1234567890",
    LINE_LOGIN_CHANNEL_SECRET="your-channel-secret",
    LINE_EMULATOR_URL="http://127.0.0.1:5005",
)
line = LineOAuth(app)

@app.get("/profile")
@line_login_required
def profile():
    return f"Hello {current_line_user.display_name}"
"""

FACTORY_APP = """
from flask import Flask
from flask_line import LineOAuth, current_line_user, line_login_required

line = LineOAuth()

def create_app(config=None):
    app = Flask(__name__)
    app.config.update(SECRET_KEY="change-me", LINE_LOGIN_CHANNEL_ID="1234567890",
                      LINE_LOGIN_CHANNEL_SECRET="your-channel-secret")
    app.config.update(config or {})
    line.init_app(app)

    @app.get("/profile")
    @line_login_required
    def profile():
        return f"Hello {current_line_user.display_name}"

    return app
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A developer's project folder with myapp.py (module-level app) and factory.py, importable."""
    (tmp_path / "myapp.py").write_text(MODULE_LEVEL_APP)
    (tmp_path / "factory.py").write_text(FACTORY_APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path / "instance"))
    for name in ("myapp", "factory"):
        sys.modules.pop(name, None)
    return tmp_path


def sign_in(client: Any, line_platform: EmulatorServer) -> Any:
    start = client.get("/profile", headers={"Accept": "text/html"})
    login = client.get(start.location)
    back = line_platform.consent(login.location, user="Brown")
    return client.get(back.path)


def test_fixtures_drive_a_module_level_app_through_configure_app(
    project: Path, line_platform: EmulatorServer, line_app_config: dict[str, Any]
) -> None:
    myapp = importlib.import_module("myapp")
    app = configure_app(myapp.app, line_app_config)
    client = app.test_client()
    assert sign_in(client, line_platform).status_code == 302
    assert client.get("/profile").get_data(as_text=True) == "Hello Brown"


def test_a_module_level_app_configured_too_late_is_named_with_the_fix(
    project: Path, line_platform: EmulatorServer, line_app_config: dict[str, Any]
) -> None:
    myapp = importlib.import_module("myapp")
    myapp.app.config.update(line_app_config)  # too late: LineOAuth(app) read the settings at import
    client = myapp.app.test_client()
    start = client.get("/profile", headers={"Accept": "text/html"})
    page = client.get(start.location).get_data(as_text=True)  # nobody listens at the app's 127.0.0.1:5005
    assert "The LINE emulator at http://127.0.0.1:5005 is not answering" in page
    assert "configure_app(app, line_app_config)" in page


def test_a_module_level_app_configured_too_late_sent_to_a_running_emulator_is_named_with_the_fix(
    project: Path, line_platform: EmulatorServer, line_app_config: dict[str, Any]
) -> None:
    with EmulatorServer() as developers_own:  # the emulator of `make demo`, running beside the tests
        (project / "myapp.py").write_text(MODULE_LEVEL_APP.replace("http://127.0.0.1:5005", developers_own.url))
        myapp = importlib.import_module("myapp")
        myapp.app.config.update(line_app_config)  # too late
        client = myapp.app.test_client()
        with pytest.raises(AssertionError, match=r"configure_app\(app, line_app_config\)") as raised:
            sign_in(client, line_platform)
        assert f"{developers_own.url}/oauth2/v2.1/authorize" in str(raised.value)


def test_fixtures_drive_a_factory_app(
    project: Path, line_platform: EmulatorServer, line_app_config: dict[str, Any]
) -> None:
    factory = importlib.import_module("factory")
    app = factory.create_app(line_app_config)
    client = app.test_client()
    assert sign_in(client, line_platform).status_code == 302
    assert client.get("/profile").get_data(as_text=True) == "Hello Brown"


@pytest.fixture
def emulator_process(project: Path) -> Iterator[Any]:
    """Start a command that serves the emulator on a free port; return its base URL."""
    started: list[subprocess.Popen[str]] = []

    def start(*argv: str) -> str:
        port = free_port()
        environment = {**os.environ, "PYTHONPATH": str(project), "FLASK_INSTANCE_PATH": str(project / "instance")}
        process = subprocess.Popen(
            [*argv, "--port", str(port)],
            cwd=project,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{url}/.well-known/openid-configuration", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "the emulator did not start"
                time.sleep(0.1)
        return url

    yield start
    for process in started:
        process.terminate()
        process.communicate(timeout=10)


def dance(app: Any, emulator: str, user: str = "U4af4980629a1b2c3d4e5f60718293a4b") -> Any:
    """A browser's trip: the app's login, the emulator's consent screen (Allow), the app's callback."""
    client = app.test_client()
    login = client.get("/line/login?next=/profile")
    assert login.location.startswith(emulator), login.location
    screen = requests.get(login.location, timeout=5)
    assert screen.status_code == 200, screen.text
    answer = requests.post(
        f"{emulator}/_emulator/consent",
        data={"request_id": screen.headers["X-Emulator-Request-Id"], "user_id": user, "decision": "allow"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302, answer.text
    back = client.get(answer.headers["Location"].split("127.0.0.1:5000", 1)[-1])
    return client, back


def test_flask_line_emulator_accepts_the_apps_own_channel_and_secret(project: Path, emulator_process: Any) -> None:
    app_port = 5000
    emulator = emulator_process(
        sys.executable, "-m", "flask", "--app", "myapp", "line", "emulator", "--app-port", str(app_port)
    )
    myapp = importlib.import_module("myapp")
    configure_app(myapp.app, {"LINE_EMULATOR_URL": emulator, "SERVER_NAME": f"127.0.0.1:{app_port}"})
    client, back = dance(myapp.app, emulator)
    assert back.status_code == 302 and back.location.endswith("/profile"), back.get_data(as_text=True)
    assert client.get("/profile").get_data(as_text=True) == "Hello Brown"


def test_line_emulator_accepts_a_channel_given_on_the_command_line(project: Path, emulator_process: Any) -> None:
    emulator = emulator_process(
        sys.executable, "-m", "flask_line.testing", "--channel", "1234567890:your-channel-secret"
    )
    myapp = importlib.import_module("myapp")
    configure_app(myapp.app, {"LINE_EMULATOR_URL": emulator, "SERVER_NAME": "127.0.0.1:5000"})
    client, back = dance(myapp.app, emulator)
    assert back.status_code == 302
    assert client.get("/profile").get_data(as_text=True) == "Hello Brown"


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        (("-m", "flask", "--app", "myapp", "line", "emulator", "--app-port", "5001"), ("--app-port", "--callback-url")),
        (("-m", "flask_line.testing", "--channel", "1234567890:your-channel-secret"), ("--app", "--callback-url")),
    ],
)
def test_a_callback_on_another_port_is_refused_with_flags_of_the_command_that_was_run(
    project: Path, emulator_process: Any, command: tuple[str, ...], flags: tuple[str, ...]
) -> None:
    emulator = emulator_process(sys.executable, *command)
    myapp = importlib.import_module("myapp")
    configure_app(myapp.app, {"LINE_EMULATOR_URL": emulator, "SERVER_NAME": "127.0.0.1:5002"})
    login = myapp.app.test_client().get("/line/login")
    page = requests.get(login.location, timeout=5)
    assert page.status_code == 400
    for flag in flags:
        assert flag in page.text
    program = command[: command.index("emulator") + 1] if "emulator" in command else command[:2]
    help_text = subprocess.run(
        [sys.executable, *program, "--help"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    for flag in flags:
        assert flag in help_text  # the hint names flags the command has


def test_flask_line_emulator_accepts_the_channels_listed_for_many_shops(project: Path, emulator_process: Any) -> None:
    (project / "shopsapp.py").write_text(
        MODULE_LEVEL_APP.replace(
            'LINE_EMULATOR_URL="http://127.0.0.1:5005",',
            'LINE_EMULATOR_URL="http://127.0.0.1:5005", '
            'LINE_LOGIN_CHANNELS={"tea": {"channel_id": "3333333333", "channel_secret": "tea-secret"}},',
        )
    )
    emulator = emulator_process(sys.executable, "-m", "flask", "--app", "shopsapp", "line", "emulator")
    params = {
        "response_type": "code",
        "client_id": "3333333333",
        "redirect_uri": "http://127.0.0.1:5000/line/callback",
        "state": "s",
        "scope": "profile",
    }
    assert requests.get(f"{emulator}/oauth2/v2.1/authorize", params=params, timeout=5).status_code == 200
    unknown = {**params, "client_id": "4444444444"}
    assert requests.get(f"{emulator}/oauth2/v2.1/authorize", params=unknown, timeout=5).status_code == 400
