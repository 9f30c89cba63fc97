"""The public surface: what docs/api.rst documents is importable from ``flask_line``; the rest is internal."""

from __future__ import annotations

import importlib
import re
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


@pytest.mark.parametrize("name", ["token_v21", "POST oauth2/token", "post /oauth2/v2.1/token", "POST  /x"])
def test_a_fault_must_name_a_request(name):
    with pytest.raises(ValueError, match="METHOD /path"):
        Fault(name)
    with pytest.raises(ValueError):
        LinePlatform().inject(name, status=500)
