"""Visitor-facing strings that translate themselves when they are shown, so no caller can forget to.

``N_("Sign-in was cancelled")`` is found by ``pybabel extract`` (``make catalogs``) and returns a
:class:`LazyText`: it keeps the English message and becomes the request's language each time it is turned into a
string (a template's ``{{ }}``, ``str()``, an f-string). This module sits below every layer (the wire layer's
errors use it) and imports no web framework: the language layer hands it the translation function once, at
import (:func:`translate_with`).
"""

from __future__ import annotations

from collections.abc import Callable


def _untranslated(message: str) -> str:
    return message


_translate: Callable[[str], str] = _untranslated


def translate_with(translate: Callable[[str], str]) -> None:
    """Make every :class:`LazyText` translate with ``translate`` (``flask_line._i18n`` calls this at import)."""
    global _translate
    _translate = translate


class LazyText:
    """An English message, marked for the catalogs, shown in the language of the request that shows it."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        #: The English text, which is also the catalogs' ``msgid``.
        self.message = message

    def __str__(self) -> str:
        return _translate(self.message)

    def __repr__(self) -> str:
        return f"N_({self.message!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyText):
            return self.message == other.message
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.message)


#: What a visitor-facing attribute holds: a marked message (translated when shown) or a site's own plain text.
Text = str | LazyText


def N_(message: str) -> LazyText:
    """Mark ``message`` for the catalogs: it is translated each time it is shown."""
    return LazyText(message)


def msgid(text: Text) -> str:
    """The English message of ``text`` (a plain string is its own)."""
    return text.message if isinstance(text, LazyText) else text
