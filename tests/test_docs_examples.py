"""Every code block of the README and the docs runs, so none can rot.

Python blocks run in a fresh namespace each, with the context the docs assume: ``app`` (pointed at a running
emulator), ``line``, ``line_platform``, an attached ``bot_id``, a ``chat_id``, and a Flask-SQLAlchemy ``db``.
Blocks that create their own app (the quickstarts) are then driven: their protected page sends a visitor to
LINE. Jinja blocks render; shell blocks name commands that exist, with options they accept.
"""

from __future__ import annotations

import inspect
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, render_template_string
from flask_sqlalchemy import SQLAlchemy

from flask_line import AttachmentStore, LineOAuth, line_login_required
from tests.test_module import BROWN_CAFE, attach

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def blocks() -> list[tuple[str, str, str]]:
    """``(where, language, code)`` of every code block in README.md and docs/*.rst."""
    found = []
    readme = (ROOT / "README.md").read_text()
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", readme, re.M | re.S):
        line = readme[: match.start()].count("\n") + 1
        found.append((f"README.md:{line}", match.group(1) or "console", match.group(2)))
    for path in sorted([*(ROOT / "docs").glob("*.rst"), *(ROOT / "docs").glob("*/*.rst")]):
        if "_build" in path.parts:
            continue
        lines = path.read_text().splitlines()
        for index, text in enumerate(lines):
            directive = re.match(r"\s*\.\. code-block:: (\S+)", text)
            if directive:
                language = directive.group(1)
            elif text.rstrip().endswith("::") and not text.lstrip().startswith(".. "):
                language = "python"
            else:
                continue
            body = []
            depth = len(text) - len(text.lstrip())  # a block inside a list item ends where the item's text resumes
            for following in lines[index + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= depth:
                    break
                body.append(following)
            code = "\n".join(body)
            indent = min((len(row) - len(row.lstrip()) for row in body if row.strip()), default=0)
            code = "\n".join(row[indent:] for row in body).strip("\n") + "\n"
            found.append((f"{path.relative_to(ROOT / 'docs')}:{index + 1}", language, code))
    return found


ALL_BLOCKS = blocks()


def test_the_docs_have_code_blocks_of_every_kind():
    languages = {language for _, language, _ in ALL_BLOCKS}
    assert {"python", "console", "html+jinja", "text"} <= languages
    assert len(ALL_BLOCKS) >= 20


@pytest.fixture
def context(make_app, line_platform, tmp_path) -> dict[str, Any]:
    """What the docs' fragments assume exists."""
    app = make_app()
    client = app.test_client()
    attach(client, line_platform, query="scope=message:send%20message:receive")
    fresh = Flask("fresh", instance_path=str(tmp_path / "fresh"))
    fresh.config.update({key: value for key, value in app.config.items() if key.startswith(("LINE_", "SECRET"))})

    def create_app(config: dict[str, Any]) -> Flask:
        site = Flask("doc_site", instance_path=str(tmp_path / "doc_site"))
        site.config.update(config)
        LineOAuth(site)

        @site.get("/profile")
        @line_login_required
        def profile() -> str:
            return "profile"

        return site

    unused = make_app()
    return {
        "initialised": {"app": app, "line": app.extensions["line"]},
        "adds_routes": {"app": unused, "line": unused.extensions["line"]},
        "uninitialised": {"app": fresh, "line": LineOAuth()},
        "line_platform": line_platform,
        "bot_id": BROWN_CAFE,
        "chat_id": "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8",  # a friend of the Official Account
        "admins_of": lambda bot_id: {"U4af4980629a1b2c3d4e5f60718293a4b"},
        "db": SQLAlchemy(),
        "create_app": create_app,
    }


def project_file(code: str) -> str | None:
    """The file a block is, when its first line names one (``# conftest.py``): a quickstart's project."""
    found = re.match(r"# (\w+\.py)\n", code)
    return found.group(1) if found else None


#: Blocks run in a namespace; a conftest runs only in its project (it imports the project's app module).
PYTHON = [
    (where, code)
    for where, language, code in ALL_BLOCKS
    if language in ("python", "pycon") and project_file(code) != "conftest.py"
]


@pytest.mark.parametrize("page", ["ja/quickstart.rst"])
def test_a_quickstarts_project_runs_its_own_test_with_pytest(page, tmp_path):
    """The quickstart's files (myapp.py, conftest.py, test_myapp.py), written as shown and run by pytest."""
    files = {
        project_file(code): code
        for where, language, code in ALL_BLOCKS
        if where.startswith(f"{page}:") and project_file(code)
    }
    assert {"myapp.py", "conftest.py", "test_myapp.py"} <= set(files), files.keys()
    for name, code in files.items():
        (tmp_path / name).write_text(code)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr


@pytest.mark.parametrize("where,code", PYTHON, ids=[where for where, _ in PYTHON])
def test_python_blocks_run(
    where, code, context, line_platform, line_app_config, line_login_channel, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # an app a block makes keeps its instance folder here, not in the repository
    line_platform.platform.fault_control = True
    code = code.replace("http://127.0.0.1:5005", line_platform.url)  # the emulator of this test
    initialises = "init_app(" in code or "LineOAuth(app" in code
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    apps = ("initialised", "uninitialised", "adds_routes")
    namespace.update({key: value for key, value in context.items() if key not in apps})
    kind = "uninitialised" if initialises else "adds_routes" if "@app." in code else "initialised"
    namespace.update(context[kind])
    app = namespace["app"]
    routes_before = {rule.rule for rule in app.url_map.iter_rules()}
    with app.app_context():
        exec(compile(code, where, "exec"), namespace)
    fixtures = {
        "line_platform": line_platform,
        "line_app_config": line_app_config,
        "line_login_channel": line_login_channel,
        "app": app,
    }
    for name, test in list(namespace.items()):
        if name.startswith("test_") and callable(test):
            # A documented test runs, with the fixtures it names.
            test(**{parameter: fixtures[parameter] for parameter in inspect.signature(test).parameters})
    store = getattr(namespace.get("line"), "store", None)
    if store is not None:
        assert isinstance(store, AttachmentStore), "a documented store has the four methods"
    if kind == "adds_routes":
        # The routes a block adds refuse an anonymous visitor.
        for rule in app.url_map.iter_rules():
            if rule.rule not in routes_before:
                answer = app.test_client().get(rule.rule, headers={"Accept": "application/json"})
                assert answer.status_code in (401, 403), f"{where}: {rule.rule} answered {answer.status_code}"
    created = namespace["app"]
    if created is not app and isinstance(created, Flask):
        # A block that made its own app: its protected pages send a visitor to LINE.
        for rule in created.url_map.iter_rules():
            if rule.rule.startswith(("/line", "/static")):
                continue
            method = "POST" if "POST" in (rule.methods or ()) else "GET"
            answer = created.test_client().open(rule.rule, method=method)
            assert answer.status_code in (302, 401, 403), f"{where}: {rule.rule} answered {answer.status_code}"
    line_platform.platform.faults.clear()


JINJA = [(where, code) for where, language, code in ALL_BLOCKS if language == "html+jinja"]


@pytest.mark.parametrize("where,code", JINJA, ids=[where for where, _ in JINJA])
def test_jinja_blocks_render(where, code, app):
    with app.test_request_context("/somewhere"):
        html = render_template_string(code)
    assert re.search(r'href="/line/(login|accounts)\?[^"]*next=/somewhere', html), "a link of the blueprint, next kept"


SHELL = [(where, code) for where, language, code in ALL_BLOCKS if language in ("console", "bash", "sh")]
OUR_COMMANDS = {"line-emulator", "flask", "python"}


@pytest.mark.tooling
@pytest.mark.parametrize("where,code", SHELL, ids=[where for where, _ in SHELL])
def test_shell_blocks_name_real_commands(where, code):
    makefile = (ROOT / "Makefile").read_text()
    for line in code.splitlines():
        command = line.split("#", 1)[0].strip()
        if not command:
            continue
        words = shlex.split(command)
        if words[0] == "flask" and "--app" in words:  # the reader's own app: the command is checked on ours
            at = words.index("--app")
            words = words[:at] + words[at + 2 :]
        if words[0] == "make":
            assert re.search(rf"^{words[1]}:", makefile, re.M), f"{where}: no make target {words[1]}"
            continue
        if words[0] == "pip":
            assert words[1] == "install"
            continue
        executable = BIN / words[0] if (BIN / words[0]).exists() else None
        assert executable is not None, f"{where}: {words[0]} is not installed with the dev extras"
        if words[0] not in OUR_COMMANDS:
            continue
        subcommand = [word for word in words[1:] if not word.startswith("-") and not word.isdigit()]
        argv = (
            [str(executable), *subcommand, "--help"]
            if words[0] != "python"
            else [str(executable), *words[1:3], "--help"]
        )
        environment = {**os.environ, "FLASK_APP": "examples.quickstart.app:create_app"}
        result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=60)
        assert result.returncode == 0, f"{where}: {result.stderr}"
        for option in (word.split("=")[0] for word in words if word.startswith("--")):
            assert option in result.stdout, f"{where}: {words[0]} has no {option}"


def test_the_fault_recipe_reaches_a_real_emulator(line_platform):
    line_platform.platform.fault_control = True
    url = f"{line_platform.url}/_emulator/faults"
    requests.post(url, json={"request": "POST /oauth2/v2.1/token", "status": 503, "body": "down"}, timeout=5)
    assert requests.get(url, timeout=5).json()["faults"][0]["status"] == 503


def test_every_screenshot_the_browser_tests_take_is_in_the_docs():
    pictures = {path.name for path in (ROOT / "docs" / "_static" / "screenshots").glob("*.png")}
    shown = set(
        re.findall(r"_static/screenshots/([\w-]+\.png)", "".join(p.read_text() for p in (ROOT / "docs").rglob("*.rst")))
    )
    browser_tests = "".join(path.read_text() for path in (ROOT / "tests" / "browser").glob("test_*.py"))
    taken = set(re.findall(r'shoot\(page, "([\w-]+)"\)', browser_tests))
    from tests.browser.test_languages import LANGUAGES  # one picture per language: f"lang-{lang}-..."

    for pattern in re.findall(r'shoot\(page, f"([\w{}-]+)"\)', browser_tests):
        taken |= {pattern.replace("{lang}", lang) for lang, *_ in LANGUAGES.values()}
    assert {f"{name}.png" for name in taken} == shown, "each picture a browser test takes is shown, and no other"
    assert shown <= pictures, "docs show only pictures that exist"


@pytest.mark.tooling
def test_every_setting_is_declared_once_with_its_documentation():
    from flask_line._settings import every_setting

    keys = [setting.key for setting in every_setting()]
    assert len(keys) == len(set(keys)), "no setting is declared twice"
    assert [setting.key for setting in every_setting() if not setting.doc or not setting.kind] == []
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    from line_settings import reference_lines

    reference = "\n".join(reference_lines())
    assert [key for key in keys if f"``{key}``" not in reference] == []


def test_reading_an_undeclared_setting_is_a_programming_error():
    from flask_line._config import ConfigReader
    from flask_line._settings import every_setting

    reader = ConfigReader({}, every_setting())
    assert reader.raw("LINE_HTTP_TIMEOUT") == 10
    with pytest.raises(LookupError, match="LINE_NOT_DECLARED"):
        reader.raw("LINE_NOT_DECLARED")


def test_the_readme_documents_every_signal():
    from blinker import NamedSignal

    from flask_line import signals

    readme = (ROOT / "README.md").read_text()
    names = [name for name in vars(signals) if isinstance(getattr(signals, name), NamedSignal)]
    assert len(names) >= 17
    assert [name for name in names if f"`{name}`" not in readme] == []


def test_user_docs_speak_lines_document_names_not_the_projects_jargon():
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.rst")]
    for page in pages:
        if "_build" in page.parts:
            continue
        text = page.read_text()
        assert not re.search(r"\bseeds? 00\d|the spec of this project", text), f"{page.name} speaks internal jargon"


def test_what_the_examples_import_is_installed_by_the_demo_extra():
    """`pip install 'flask-line[demo]'` (what `make demo` installs) is enough for every example."""
    import ast
    import importlib.metadata as metadata

    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]

    def requirements(names: list[str]) -> set[str]:
        found: set[str] = set()
        for requirement in names:
            name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()
            if name == "flask-line":
                wanted = re.search(r"\[(.*)\]", requirement)
                for extra in wanted.group(1).split(",") if wanted else []:
                    found |= requirements(extras[extra.strip()])
            else:
                found.add(name)
        return found

    installed = requirements(project["dependencies"]) | requirements(extras["demo"]) | {"werkzeug", "jinja2"}
    distributions = metadata.packages_distributions()
    for path in (ROOT / "examples").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            for module in modules:
                top = module.split(".")[0]
                if top in sys.stdlib_module_names or top in ("flask_line", "examples", "__future__"):
                    continue
                names = {name.lower() for name in distributions.get(top, [top])}
                assert names & installed, f"{path.relative_to(ROOT)} imports {top}, which flask-line[demo] lacks"
