"""One word for each concept in every language, across flask-line's catalog and the emulator's.

The glossary (``flask_line/translations/glossary.json``) names each concept's English forms and its term in each
language; a translation of a string that names a concept must use the glossary's term.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "flask_line" / "translations" / "glossary.json"
CATALOGS = [
    (ROOT / "flask_line" / "translations", "flask_line"),
    (ROOT / "flask_line" / "testing" / "translations", "emulator"),
]
LANGUAGES = ("ja", "zh_TW", "th", "id")


@dataclass(frozen=True)
class Concept:
    """One glossary entry: how English names it, and the term of each language."""

    name: str
    english: re.Pattern[str]
    terms: dict[str, str]


def load_glossary(text: str) -> list[Concept]:
    concepts = json.loads(text)["concepts"]
    return [
        Concept(
            name,
            re.compile(r"\b(?:" + "|".join(entry["en"]) + ")", re.I),
            {language: term for language, term in entry.items() if language != "en"},
        )
        for name, entry in concepts.items()
    ]


def concepts_named(message: str, glossary: list[Concept]) -> list[Concept]:
    """The concepts an English message names; where matches overlap, the longest wins."""
    matches = sorted(
        ((found.start(), found.end(), concept) for concept in glossary for found in concept.english.finditer(message)),
        key=lambda match: (match[0] - match[1], match[0]),  # longest first
    )
    taken: list[tuple[int, int]] = []
    named: list[Concept] = []
    for start, end, concept in matches:
        if any(start < other_end and other_start < end for other_start, other_end in taken):
            continue
        taken.append((start, end))
        if concept not in named:
            named.append(concept)
    return named


def disagreements(glossary: list[Concept], catalogs: dict[str, dict[str, str]]) -> list[str]:
    """Every translation (``{locale: {msgid: msgstr}}``) that names a concept without the glossary's term."""
    found = []
    for locale, messages in catalogs.items():
        for message, translation in messages.items():
            for concept in concepts_named(message, glossary):
                term = concept.terms[locale]
                if term.casefold() not in translation.casefold():
                    found.append(f"{locale}: {message!r} → {translation!r} does not say {term!r} ({concept.name})")
    return found


def shipped_translations() -> dict[str, dict[str, str]]:
    translations: dict[str, dict[str, str]] = {locale: {} for locale in LANGUAGES}
    for folder, domain in CATALOGS:
        for locale in LANGUAGES:
            with (folder / locale / "LC_MESSAGES" / f"{domain}.po").open("rb") as file:
                for message in read_po(file):
                    if message.id and isinstance(message.id, str):
                        translations[locale][message.id] = str(message.string)
    return translations


def test_every_translation_uses_the_glossarys_word_for_each_concept() -> None:
    glossary = load_glossary(GLOSSARY.read_text(encoding="utf-8"))
    problems = disagreements(glossary, shipped_translations())
    assert not problems, "\n".join(problems)


def test_every_concept_has_a_term_in_every_language() -> None:
    for concept in load_glossary(GLOSSARY.read_text(encoding="utf-8")):
        assert set(concept.terms) == set(LANGUAGES), concept.name


def test_the_glossary_check_finds_a_different_word() -> None:
    glossary = load_glossary(json.dumps({"concepts": {"user": {"en": ["users?"], "zh_TW": "使用者"}}}))
    assert disagreements(glossary, {"zh_TW": {"Mark users' messages as read": "將用戶的訊息標示為已讀"}}) == [
        "zh_TW: \"Mark users' messages as read\" → '將用戶的訊息標示為已讀' does not say '使用者' (user)"
    ]
    assert disagreements(glossary, {"zh_TW": {"Mark users' messages as read": "將使用者的訊息標示為已讀"}}) == []


@pytest.mark.parametrize(
    ("message", "named"),
    [
        ("Attach to another Official Account", ["Official Account", "attach"]),
        ("Stay signed in", ["stay signed in"]),
        ("This sign-in link is not valid.", ["sign-in link"]),
        ("Detach", ["detach"]),
    ],
)
def test_the_longest_english_match_names_the_concept(message: str, named: list[str]) -> None:
    glossary = load_glossary(GLOSSARY.read_text(encoding="utf-8"))
    assert sorted(concept.name for concept in concepts_named(message, glossary)) == sorted(named)
