"""The public surface: what docs/api.rst documents is importable from ``flask_line``; the rest is internal."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import flask_line
from flask_line.testing import Fault, LinePlatform

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.rst"


def documented_names() -> list[str]:
    """Every name docs/api.rst documents with autodoc or a ``data``/``decorator`` directive."""
    pattern = re.compile(r"^\.\. (?:autoclass|autofunction|data|decorator|automodule):: (\S+)", re.M)
    return pattern.findall(API_PAGE.read_text())


@pytest.mark.parametrize("name", documented_names())
def test_every_documented_name_is_public(name):
    module_name, _, attribute = name.rpartition(".")
    if name.startswith("flask_line.") and not attribute[:1].isupper() and "." not in name[len("flask_line.") :]:
        module = importlib.import_module(name)  # a documented module such as flask_line.errors
        assert not module.__name__.split(".")[-1].startswith("_")
        return
    if not module_name:
        assert name in flask_line.__all__, f"{name} is documented but not exported by flask_line"
        assert getattr(flask_line, name) is not None
        return
    module = importlib.import_module(module_name)
    assert not any(part.startswith("_") for part in module_name.split(".")), (
        f"{name} is documented from a private module"
    )
    assert hasattr(module, attribute)


def test_the_package_exports_only_public_names():
    assert all(not name.startswith("_") for name in flask_line.__all__)
    for name in flask_line.__all__:
        assert getattr(flask_line, name) is not None


def type_checking_imports() -> dict[str, str]:
    """The names flask_line/__init__.py imports under ``if TYPE_CHECKING:`` (for type checkers), and from where."""
    tree = ast.parse(Path(flask_line.__file__).read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    found = {}
    for statement in block.body:
        assert isinstance(statement, ast.ImportFrom), "only imports under TYPE_CHECKING"
        for alias in statement.names:
            found[alias.asname or alias.name] = "." * statement.level + (statement.module or "")
    return found


def test_the_table_of_public_names_the_type_checkers_imports_and_all_agree():
    imported = type_checking_imports()
    modules = {name: "." for name in flask_line.PUBLIC_MODULES}
    assert imported == {**flask_line.PUBLIC_NAMES, **modules}
    assert flask_line.__all__ == sorted(imported)


@pytest.mark.parametrize("name", sorted(flask_line.PUBLIC_NAMES))
def test_each_public_name_is_the_object_its_module_defines(name):
    defining = importlib.import_module(flask_line.PUBLIC_NAMES[name], "flask_line")
    assert getattr(flask_line, name) is getattr(defining, name)
    assert name in dir(flask_line)


def test_the_public_modules_are_modules_of_the_package():
    assert flask_line.demo.__name__ == "flask_line.demo"
    assert flask_line.errors.__name__ == "flask_line.errors"
    assert flask_line.signals.__name__ == "flask_line.signals"
    assert flask_line.testing.__name__ == "flask_line.testing"


def test_star_import_gives_every_public_name():
    namespace: dict[str, object] = {}
    exec("from flask_line import *", namespace)
    assert sorted(name for name in namespace if name != "__builtins__") == flask_line.__all__
    assert namespace["LineOAuth"] is flask_line.LineOAuth


def test_an_unknown_name_is_an_attribute_error_naming_the_package():
    with pytest.raises(AttributeError, match="module 'flask_line' has no attribute 'LineOAtuh'"):
        flask_line.LineOAtuh  # noqa: B018
    with pytest.raises(ImportError, match="cannot import name 'LineOAtuh' from 'flask_line'"):
        exec("from flask_line import LineOAtuh", {})


def test_importing_the_package_loads_no_public_name_until_it_is_used():
    code = (
        "import sys, flask_line; "
        "print(sorted(m for m in sys.modules if m.startswith('flask_line.'))); "
        "flask_line.LineOAuth; print('flask_line._extension' in sys.modules)"
    )
    loaded, extension_after_use = subprocess.check_output([sys.executable, "-c", code], text=True).splitlines()
    assert loaded == "[]"
    assert extension_after_use == "True"


@pytest.mark.parametrize("name", ["token_v21", "POST oauth2/token", "post /oauth2/v2.1/token", "POST  /x"])
def test_a_fault_must_name_a_request(name):
    with pytest.raises(ValueError, match="METHOD /path"):
        Fault(name)
    with pytest.raises(ValueError):
        LinePlatform().inject(name, status=500)


def test_a_strictly_typed_site_may_import_every_public_name(tmp_path):
    # The names load lazily, so mypy sees them only through the TYPE_CHECKING imports: each must be an explicit
    # re-export, or `mypy --strict` refuses `from flask_line import LineOAuth` in a site's code.
    pytest.importorskip("mypy", reason="a developer tool: the lowest-versions run installs only the test extra")
    site = "from flask_line import " + ", ".join(flask_line.__all__) + "\n"
    site += "".join(f"print({name})\n" for name in flask_line.__all__)
    (tmp_path / "site_app.py").write_text(site)
    (tmp_path / "mypy.ini").write_text("[mypy]\n")  # a site's own config, not this project's file list
    command = [
        "--strict",
        "--follow-imports=silent",
        "--config-file",
        str(tmp_path / "mypy.ini"),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", *command, str(tmp_path / "site_app.py")],
        cwd=Path(flask_line.__file__).parents[1],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
