"""The settings of the language flask-line's pages speak."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .._config import ConfigReader, Setting

#: The locales flask-line ships catalogs for (Babel's names: ``zh_TW`` is Traditional Chinese as written in Taiwan).
SHIPPED_LOCALES = ("en", "ja", "zh_TW", "th", "id")

LANGUAGE_SETTINGS = (
    Setting(
        "LINE_LOCALES",
        SHIPPED_LOCALES,
        "locales",
        "The languages flask-line's pages may speak, chosen from the visitor's ``Accept-Language`` (or the "
        "app's Flask-Babel locale). A locale the site adds needs its own catalog in "
        "``LINE_TRANSLATION_DIRECTORIES``.",
    ),
    Setting(
        "LINE_DEFAULT_LOCALE",
        "en",
        "locale",
        "The language when the visitor's browser asks for none of ``LINE_LOCALES``.",
    ),
    Setting(
        "LINE_TRANSLATION_DIRECTORIES",
        ("translations",),
        "folders",
        "Where the site's own translations of flask-line's strings live "
        "(``<folder>/<locale>/LC_MESSAGES/flask_line.mo``, relative to the app's root): they win over the "
        "shipped ones, string by string.",
    ),
)

_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Za-z]{4})?(_[A-Z]{2}|_[0-9]{3})?$")


@dataclass(frozen=True)
class LanguageSettings:
    """Which languages the pages may speak."""

    #: ``LINE_LOCALES``, in the site's order of preference.
    locales: tuple[str, ...]
    #: ``LINE_DEFAULT_LOCALE``.
    default: str
    #: ``LINE_TRANSLATION_DIRECTORIES``: the site's catalog folders (relative ones are under the app's root).
    directories: tuple[str, ...]


def load_settings(read: ConfigReader) -> LanguageSettings:
    """Read and check the language settings."""
    locales = read.words("LINE_LOCALES")
    for locale in locales:
        if not _LOCALE.match(locale):
            raise read.fail("LINE_LOCALES", f"{locale!r} is not a locale name such as 'ja' or 'zh_TW'")
    if not locales:
        raise read.fail("LINE_LOCALES", "names no locale")
    default = read.string("LINE_DEFAULT_LOCALE")
    if default not in locales:
        raise read.fail("LINE_DEFAULT_LOCALE", f"{default!r} is not one of LINE_LOCALES ({', '.join(locales)})")
    return LanguageSettings(locales, default, read.words("LINE_TRANSLATION_DIRECTORIES"))
