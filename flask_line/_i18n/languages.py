"""Which language a page speaks, and its strings in that language.

The site decides: its Flask-Babel locale when the app uses Flask-Babel, else the visitor's ``Accept-Language``
matched against ``LINE_LOCALES``. Catalogs are gettext's ``.mo`` files, loaded on first use per locale and kept;
a catalog the site provides (``LINE_TRANSLATION_DIRECTORIES``) is asked first, string by string. In an app that
uses Flask-Babel they are served through a Flask-Babel :class:`~flask_babel.Domain` (domain ``flask_line``), so
Flask-Babel's cache and reloading apply to them too.
"""

from __future__ import annotations

import copy
import gettext
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import current_app, g, has_app_context, has_request_context, render_template, request

from .._log import log
from .._translatable import Text, msgid, translate_with
from .settings import LanguageSettings

if TYPE_CHECKING:
    from babel import Locale
    from flask_babel import Domain

#: The gettext domain of flask-line's strings (``flask_line.po``/``.mo``).
DOMAIN = "flask_line"
#: Where the shipped catalogs are (``<locale>/LC_MESSAGES/flask_line.mo``).
SHIPPED_DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations")
#: Key of the app's :class:`Languages` in ``app.extensions``.
LANGUAGES_KEY = "line.languages"
_LOCALE_OF_REQUEST = "_line_locale"
#: Set in ``flask.g`` when this request's answer is a page flask-line rendered (it then refuses framing).
RENDERED_PAGE_KEY = "_line_rendered_page"


class Languages:
    """One app's languages: the locale of each request and a cached catalog per locale."""

    def __init__(self, settings: LanguageSettings, root_path: str) -> None:
        self.settings = settings
        self._site_directories = [os.path.join(root_path, folder) for folder in settings.directories]
        #: Our locales by lower-case BCP 47 tag (``zh-tw``), the form visitors' tags are compared in.
        self._offered = {bcp47(locale).lower(): locale for locale in settings.locales}
        self._catalogs: dict[str, gettext.NullTranslations] = {}
        self._babel_domain: Domain | None = None

    @property
    def babel_domain(self) -> Domain:
        """flask-line's catalogs as a Flask-Babel domain (made on first use, in an app using Flask-Babel).

        Flask-Babel merges its folders in order, the last one winning, so the site's come after the shipped ones
        (its first folder last).
        """
        if self._babel_domain is None:
            import flask_babel  # the app runs Flask-Babel (checked by the caller): already imported, no cost

            folders = [SHIPPED_DIRECTORY, *reversed(self._site_directories)]
            self._babel_domain = flask_babel.Domain(folders, domain=DOMAIN)
        return self._babel_domain

    def translations(self, locale: str) -> gettext.NullTranslations:
        """The strings of ``locale``: through the Flask-Babel domain in an app using Flask-Babel, else gettext's."""
        if not _uses_flask_babel() or not has_request_context():
            return self.catalog(locale)
        import flask_babel

        with flask_babel.force_locale(_named_as_its_folder(locale)):
            found: gettext.NullTranslations = self.babel_domain.get_translations()
        return found

    def catalog(self, locale: str) -> gettext.NullTranslations:
        """The strings of ``locale``: the site's catalogs first, then flask-line's (loaded once)."""
        catalog = self._catalogs.get(locale)
        if catalog is None:
            catalog = gettext.NullTranslations()
            for directory in [*self._site_directories, SHIPPED_DIRECTORY]:
                catalog.add_fallback(gettext.translation(DOMAIN, directory, [locale], fallback=True))
            self._catalogs[locale] = catalog
        return catalog

    def locale(self) -> str:
        """The locale of this request's pages (decided once per request)."""
        if not has_request_context():
            return self.settings.default
        chosen: str | None = g.get(_LOCALE_OF_REQUEST)
        if chosen is None:
            chosen = self._site_locale() or self._negotiated() or self.settings.default
            setattr(g, _LOCALE_OF_REQUEST, chosen)
        return chosen

    def _site_locale(self) -> str | None:
        """Flask-Babel's locale for this request, as one of ours (the default when we have no catalog for it)."""
        if not _uses_flask_babel():
            return None
        import flask_babel

        try:
            locale = flask_babel.get_locale()
        except Exception:  # a selector that fails (it may read a session that is down) falls back to the header
            log.debug("Flask-Babel's locale selector failed; using Accept-Language", exc_info=True)
            return None
        if locale is None:
            return None
        return self._match([str(locale)]) or self.settings.default

    def _negotiated(self) -> str | None:
        """The first of the visitor's ``Accept-Language`` tags (best first) that one of ``LINE_LOCALES`` serves."""
        return self._match(tag for tag, _quality in request.accept_languages)

    def _match(self, tags: Iterable[str]) -> str | None:
        """The locale serving the first of ``tags`` that one serves (see :func:`candidates`)."""
        for tag in tags:
            for candidate in candidates(tag):
                if candidate in self._offered:
                    return self._offered[candidate]
        return None


def _uses_flask_babel() -> bool:
    """Whether the current app runs Flask-Babel (then its locale decides, and its module is already imported:
    flask-line never pays for importing Babel itself)."""
    return "babel" in current_app.extensions and "flask_babel" in sys.modules


def _named_as_its_folder(locale: str) -> Locale:
    """``locale`` as a Babel ``Locale`` whose name is ``locale`` again (what Flask-Babel's domain looks up).

    Babel adds the script Chinese is written in (``zh_TW`` is ``zh_Hant_TW``), a folder gettext does not find.
    """
    from babel import Locale
    from babel.core import parse_locale

    named = copy.copy(Locale.parse(locale))
    named.script = parse_locale(locale)[2]
    return named


#: Old tags browsers still send for a language we offer.
_ALIASES = {"in": "id"}
#: Where Traditional Chinese of one region falls back when the site has no catalog for it.
_TRADITIONAL_FALLBACKS = {"mo": ["hk", "tw"], "hk": ["tw"]}
#: Where Simplified Chinese of one region falls back.
_SIMPLIFIED_FALLBACKS = {"sg": ["cn"], "my": ["cn"]}


def candidates(tag: str) -> list[str]:
    """The lower-case BCP 47 tags that serve a visitor asking for ``tag``, closest first.

    ``ja-JP`` is served by ``ja-jp`` then ``ja``. Chinese keeps to its script: Traditional (``zh-Hant``,
    ``zh-TW``, ``zh-HK``, ``zh-MO``) by ``zh-hk``, ``zh-tw`` and ``zh-hant`` catalogs (Hong Kong's before
    Taiwan's for Hong Kong and Macau), Simplified (``zh-CN``, ``zh-Hans``, ``zh-SG``, plain ``zh``) by ``zh-cn``,
    ``zh-hans`` and ``zh``; never one by the other.
    """
    parts = tag.lower().replace("_", "-").split("-")
    if parts[0] == "zh":
        return _chinese(parts[1:])
    language = _ALIASES.get(parts[0], parts[0])
    return ["-".join([language, *parts[1:]]), language] if len(parts) > 1 else [language]


def _chinese(subtags: list[str]) -> list[str]:
    script = next((part for part in subtags if len(part) == 4), None)
    region = next((part for part in subtags if len(part) in (2, 3) and part != script), None)
    traditional = script == "hant" or (script is None and region in ("tw", "hk", "mo"))
    script = "hant" if traditional else "hans"
    regions = [region] if region else []
    regions += (_TRADITIONAL_FALLBACKS if traditional else _SIMPLIFIED_FALLBACKS).get(region or "", [])
    regions += ["tw"] if traditional else ["cn"]
    found: list[str] = [] if region else [f"zh-{script}"]
    for place in regions:
        found += [f"zh-{script}-{place}", f"zh-{place}"]
    found += [f"zh-{script}"] + ([] if traditional else ["zh"])
    return list(dict.fromkeys(found))


def bcp47(locale: str) -> str:
    """A Babel locale name as a BCP 47 language tag (``zh_TW`` → ``zh-TW``), for ``<html lang>`` and LINE."""
    return locale.replace("_", "-")


def languages() -> Languages | None:
    """The current app's :class:`Languages` (None before ``init_app``)."""
    found: Languages | None = current_app.extensions.get(LANGUAGES_KEY)
    return found


def translate(message: Text, **variables: Any) -> str:
    """``message`` in this request's language, with ``%(name)s`` placeholders filled from ``variables``."""
    found = languages() if has_app_context() else None
    english = msgid(message)
    text = found.translations(found.locale()).gettext(english) if found is not None else english
    return text % variables if variables else text


translate_with(translate)  # every N_() string translates itself with this


def translate_plural(singular: str, plural: str, count: int, **variables: Any) -> str:
    """The form of ``singular``/``plural`` for ``count`` in this request's language (``%(num)d`` is ``count``)."""
    found = languages()
    if found is None:
        text = singular if count == 1 else plural
    else:
        text = found.translations(found.locale()).ngettext(singular, plural, count)
    return text % {"num": count, **variables}


def page_locale() -> str:
    """This request's page locale (``en`` outside flask-line apps)."""
    found = languages()
    return found.locale() if found is not None else "en"


def page_context() -> dict[str, Callable[..., str] | str]:
    """What every flask-line page template gets: ``_``/``gettext``, ``ngettext`` and ``html_lang``."""
    return {"_": translate, "gettext": translate, "ngettext": translate_plural, "html_lang": bcp47(page_locale())}


def render_page(template: str, **context: Any) -> str:
    """Render one of flask-line's page templates in this request's language (noted in ``g``: the answer is one of
    flask-line's pages)."""
    if has_request_context():
        setattr(g, RENDERED_PAGE_KEY, True)
    return render_template(template, **{**page_context(), **context})
