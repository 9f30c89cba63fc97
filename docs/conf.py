"""Sphinx configuration."""

import sys
from pathlib import Path

project = "flask-line"
author = "flask-line developers"
copyright = "2026, flask-line developers"
release = "0.1.0"
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx", "line_settings"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "furo"
html_title = "flask-line"
exclude_patterns = ["_build"]
intersphinx_mapping: dict[str, tuple[str, None]] = {}


# Signals print as blinker objects with memory addresses; on the API page each shows as its name.
from blinker.base import NamedSignal  # noqa: E402

NamedSignal.__repr__ = lambda self: f"signal({self.name!r})"  # type: ignore[method-assign]
