"""The language of the emulator's screens: ``ui_locales`` first, then ``Accept-Language``, as LINE chooses.

The emulator keeps its own catalogs (domain ``emulator``), so it shares no rule with the product it checks.
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from typing import Any

from flask import render_template, request

DOMAIN = "emulator"
DIRECTORY = os.path.join(os.path.dirname(__file__), "translations")
#: The languages of the screens, by BCP 47 tag (what ``ui_locales`` and browsers send) to catalog name.
LANGUAGES = {"en": "en", "ja": "ja", "zh-TW": "zh_TW", "th": "th", "id": "id"}


def screen_language(ui_locales: str | None = None) -> str:
    """The BCP 47 tag a screen speaks: the first of ``ui_locales`` the emulator has, else the browser's choice."""
    browser = [tag for tag, _quality in request.accept_languages]  # best first
    for tag in [*(ui_locales or "").split(), *browser]:
        found = _known(tag)
        if found:
            return found
    return "en"


#: Old tags browsers still send (``in`` was Indonesian's code until 1989; Android and old Java still send it).
ALIASES = {"in": "id"}


def _known(tag: str) -> str | None:
    parts = tag.replace("_", "-").lower().split("-")
    if parts[0] == "zh":
        # Taiwan's Traditional Chinese, also for zh-Hant and Hong Kong; Simplified Chinese is not offered.
        return "zh-TW" if {"tw", "hant", "hk", "mo"} & set(parts[1:]) else None
    language = ALIASES.get(parts[0], parts[0])
    return language if language in LANGUAGES else None


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, DIRECTORY, [LANGUAGES[language]], fallback=True)


def render_screen(template: str, language: str, **context: Any) -> str:
    """Render an emulator screen in ``language``: templates get ``_`` and ``html_lang``."""
    catalog = _catalog(language)

    def translate(message: str, **variables: Any) -> str:
        text = catalog.gettext(message)
        return text % variables if variables else text

    return render_template(template, _=translate, html_lang=language, **context)


def N_(message: str) -> str:
    """Mark ``message`` for the emulator's catalogs; it is translated when a screen shows it."""
    return message
