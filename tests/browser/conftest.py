"""Real-browser fixtures: Debian's Chromium driven by Playwright, against example sites and the emulator."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from examples.run_demo import load_example
from flask_line.testing import EmulatorServer
from tests.local import serve_in_background

#: Debian's headless shell (package ``chromium-headless-shell``), the lean build Playwright itself runs headless:
#: Chromium's own Blink and layout, at about 40% of the full browser's CPU (the browser tests took a quarter of the
#: suite's CPU with it). The full browser where only that is installed.
CHROMIUM = os.environ.get("CHROMIUM") or next(
    (path for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium") if Path(path).exists()),
    "/usr/bin/chromium-headless-shell",
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Remember each phase's outcome on the test item, for the screenshot-on-failure fixture."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the browser tests in a row (Debian's, never a downloaded one). Package-scoped, not
    session-scoped: Playwright's sync API keeps an asyncio loop on the main thread while it runs, and a Flask
    ``async def`` view tested after it in the same worker would meet that loop (asgiref refuses to run there)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is not installed at {CHROMIUM}: .ci/run must install chromium-headless-shell")
        pytest.skip("Chromium is not installed (apt-get install chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser context and page; a failing test leaves a screenshot in its tmp dir."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)  # the other xdist worker shares a busy 2-core machine
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A LINE emulator on a free port."""
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def serve_example(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], str]]:
    """Start an example site (by folder name) against the emulator; return its base URL."""
    servers: list[Any] = []
    monkeypatch.setenv("LINE_EMULATOR_URL", emulator.url)
    for key in ("LINE_LOGIN_CHANNEL_ID", "LINE_MODULE_CHANNEL_ID", "LINE_WORKS_CLIENT_ID"):
        monkeypatch.delenv(key, raising=False)

    def start(name: str) -> str:
        monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / name))  # each test's own SQLite files, never the repo's
        example = load_example(name)
        if hasattr(example, "emulate"):  # the example's own channels
            example.emulate(emulator.platform)
        app = example.create_app()
        app.instance_path = str(tmp_path / name)
        if hasattr(example, "create_tables"):  # the members site's deploy step
            example.create_tables(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        serve_in_background(server)
        servers.append(server)
        site = f"http://127.0.0.1:{server.port}"
        emulator.platform.register_app(site)  # as a developer registers callbacks in the Console
        return site

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


#: Where the browser tests leave a picture of each flow for the docs (docs/*.rst show them).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "_static" / "screenshots"


@pytest.fixture
def shoot(tmp_path: Path) -> Callable[[Any, str], None]:
    """Take a picture of the page's card (or the whole page): into docs/_static/screenshots/<name>.png with
    ``UPDATE_SCREENSHOTS=1`` (``make screenshots``), else into the test's temporary folder, so a test run leaves
    the repository as it was."""
    folder = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path / "screenshots"

    def take(page: Any, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        # Only the part that matters (the page's card, the consent dialog), at the size a reader sees it.
        card = page.locator("main, .card").first
        if card.count():
            card.screenshot(path=str(folder / f"{name}.png"))
        else:
            page.screenshot(path=str(folder / f"{name}.png"))
        assert (folder / f"{name}.png").stat().st_size > 0

    return take
