"""The catalogs are complete and compiled, and no visitor-facing text in a template escapes translation."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

ROOT = Path(__file__).resolve().parent.parent
#: (catalog folder, gettext domain): flask-line's pages and the emulator's screens.
DOMAINS = [
    (ROOT / "flask_line" / "translations", "flask_line"),
    (ROOT / "flask_line" / "testing" / "translations", "emulator"),
]
TRANSLATED = ("ja", "zh_TW", "th", "id")
#: Developer-only pages, in English on purpose (the emulator's console is read by the site's developers).
ENGLISH_ONLY_TEMPLATES = {"home.html"}


def _scanned_directory(path: str) -> bool:
    name = Path(path).name
    return not name.startswith(".") and name != "__pycache__"


def extracted(folder: Path) -> set[str]:
    """Every message `make catalogs` extracts with the domain's mapping."""
    method_map, options_map = parse_mapping_cfg(io.StringIO((folder / "babel.cfg").read_text()))
    keywords = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
    # Every folder but hidden ones and caches (Babel's default would skip flask_line/_module and the like).
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords, directory_filter=_scanned_directory)
    return {message if isinstance(message, str) else message[0] for _file, _line, message, *_ in found}


@pytest.mark.parametrize(("folder", "domain"), DOMAINS, ids=[domain for _, domain in DOMAINS])
def test_every_language_translates_every_string(folder: Path, domain: str) -> None:
    messages = extracted(folder)
    assert len(messages) > 25
    for locale in TRANSLATED:
        with (folder / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as file:
            catalog = read_po(file)
        missing = sorted(m for m in messages if not catalog.get(m) or not catalog.get(m).string)
        fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
        assert not missing, f"{locale}/{domain}.po lacks {missing}: run `make catalogs` and translate them"
        assert not fuzzy, f"{locale}/{domain}.po has fuzzy entries {fuzzy}"
        for message in catalog:
            if message.id:
                placeholders = set(re.findall(r"%\(\w+\)s", str(message.id)))
                assert placeholders == set(re.findall(r"%\(\w+\)s", str(message.string))), (locale, message.id)


@pytest.mark.parametrize(("folder", "domain"), DOMAINS, ids=[domain for _, domain in DOMAINS])
def test_the_shipped_mo_files_are_compiled_from_the_po_files(folder: Path, domain: str) -> None:
    for po in folder.glob(f"*/LC_MESSAGES/{domain}.po"):
        with po.open("rb") as file:
            catalog = read_po(file)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        assert po.with_suffix(".mo").read_bytes() == compiled.getvalue(), f"{po} changed: run `make compile-catalogs`"


def visible_text(source: str) -> list[str]:
    """The literal text a template shows (outside Jinja expressions, tags, CSS and scripts)."""
    source = re.sub(r"{%-?\s*block style\s*-?%}.*?{%-?\s*endblock", "{% endblock", source, flags=re.S)
    pieces = []
    for _line, kind, value in Environment().lex(source):
        pieces.append(value if kind == "data" else "\x00")
    text = "".join(pieces)
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.S)
    words = []
    for attribute in re.findall(r'\b(?:title|alt|placeholder|aria-label)="([^"\x00]*)"', text):
        words.append(attribute)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    words.extend(text.split("\x00"))
    return [word.strip() for word in words if re.search(r"[^\W\d_]", word)]


TEMPLATES = sorted(
    path
    for path in (ROOT / "flask_line").rglob("templates/**/*.html")
    if path.name not in ENGLISH_ONLY_TEMPLATES or path.parent.name != "templates"
)


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(path.relative_to(ROOT)) for path in TEMPLATES])
def test_no_visitor_facing_text_in_a_template_is_left_unmarked(template: Path) -> None:
    assert visible_text(template.read_text()) == []


def test_the_unmarked_text_check_finds_text() -> None:
    assert visible_text('<p>Hello {{ _("Hi") }} there</p><a title="Go">{{ x }}</a>') == ["Go", "Hello", "there"]
    assert visible_text('<style>body { color: red; }</style><p>{{ _("Hi") }} &larr; 2</p>') == []
    assert visible_text("{% block style %}li { gap: 1rem; }{% endblock %}{% block content %}Oops{% endblock %}") == [
        "Oops"
    ]


def test_the_wheel_ships_every_compiled_catalog():
    """pyproject's package data names every .mo file (the wheel was also built and listed by hand)."""
    import fnmatch

    tomllib = pytest.importorskip("tomllib")
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["flask_line"]
    compiled = [path.relative_to(ROOT / "flask_line").as_posix() for path in (ROOT / "flask_line").rglob("*.mo")]
    assert len(compiled) == 10
    for path in compiled:
        assert any(fnmatch.fnmatch(path, pattern) for pattern in patterns), f"{path} is not in the wheel"
