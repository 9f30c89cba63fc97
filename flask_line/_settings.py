"""An app's validated settings (:class:`Settings`), and when each product's settings table is read.

Each product declares its settings beside its code. The shared, LINE Login and language settings are read at
``init_app``. So are those of a product a site may leave out (module channels, LINE WORKS, the Messaging API) when
the app's config has a key of it (:data:`OPTIONAL_PRODUCTS` names the prefixes), so a mistake fails ``init_app``;
a product the config never mentions is read, every value its default, when first asked for (a loader registered,
``line.settings.works``). A LINE Login site thus imports no other product's code. Every table is imported when a
``LINE_`` key is none of the app's products' (to know it, or to name the setting it was meant to be), and for the
configuration reference in the docs.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cached_property
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from ._config import COMMON_SETTINGS, CommonSettings, ConfigReader, Setting, check_unknown_keys, load_common
from ._i18n.settings import LANGUAGE_SETTINGS, LanguageSettings
from ._i18n.settings import load_settings as load_language_settings
from ._login.settings import LOGIN_SETTINGS, LoginSettings
from ._login.versions import load_settings as load_login_settings

if TYPE_CHECKING:  # the products a site may leave out: their modules load when their settings are read
    from ._messaging.settings import MessagingSettings
    from ._module.settings import ModuleSettings
    from ._works.settings import WorksSettings


class OptionalProduct:
    """A product a site may leave out: its settings module (``table`` and ``load_settings``), the prefixes of its
    keys, and the :class:`Settings` attribute its settings are."""

    __slots__ = ("attribute", "module", "name", "prefixes", "table")

    def __init__(self, name: str, attribute: str, module: str, table: str, prefixes: tuple[str, ...]) -> None:
        self.name = name
        self.attribute = attribute
        self.module = module
        self.table = table
        self.prefixes = prefixes

    def mentioned_in(self, config: Mapping[str, Any]) -> bool:
        """Whether ``config`` has a key of this product."""
        return any(key.startswith(self.prefixes) for key in config)

    def code(self) -> ModuleType:
        """The product's settings module, imported now if it was not."""
        return importlib.import_module(self.module, __package__)

    def declared(self) -> tuple[Setting, ...]:
        """The product's settings table."""
        return cast("tuple[Setting, ...]", getattr(self.code(), self.table))


MODULE_CHANNELS = OptionalProduct(
    "Module channels", "module", "._module.settings", "MODULE_SETTINGS", ("LINE_MODULE_", "LINE_MESSAGING_API_")
)
LINE_WORKS = OptionalProduct("LINE WORKS", "works", "._works.settings", "WORKS_SETTINGS", ("LINE_WORKS_",))
MESSAGING_API = OptionalProduct(
    "Messaging API", "messaging", "._messaging.settings", "MESSAGING_SETTINGS", ("LINE_MESSAGING_",)
)
#: The products a site may leave out, each read at ``init_app`` only when the app's config has a key of it.
OPTIONAL_PRODUCTS = (MODULE_CHANNELS, LINE_WORKS, MESSAGING_API)
#: The settings every app reads at ``init_app``.
ALWAYS_READ = (*COMMON_SETTINGS, *LOGIN_SETTINGS, *LANGUAGE_SETTINGS)


def settings_by_product() -> dict[str, tuple[Setting, ...]]:
    """Every ``LINE_`` setting by product, each product's table imported (the docs' configuration reference)."""
    return {
        "Shared": COMMON_SETTINGS,
        "LINE Login": LOGIN_SETTINGS,
        **{product.name: product.declared() for product in OPTIONAL_PRODUCTS},
        "Languages": LANGUAGE_SETTINGS,
    }


def every_setting() -> tuple[Setting, ...]:
    """Every declared ``LINE_`` setting (each product's table imported)."""
    return tuple(setting for table in settings_by_product().values() for setting in table)


class Settings:
    """All validated settings of one app (``line.settings``); each part leaves its secrets out of its ``repr``.

    Built at ``init_app`` from the app's ``LINE_`` keys as they are then: each one is validated, the first bad
    key raises :class:`~flask_line.errors.ConfigurationError`, and an unknown one is warned about (an error with
    ``LINE_STRICT_CONFIG``). ``module``, ``works`` and ``messaging`` are read then too when the config has a key of
    the product; otherwise when first asked for, every value its default.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        values = {key: value for key, value in config.items() if isinstance(key, str) and key.startswith("LINE_")}
        given = [product for product in OPTIONAL_PRODUCTS if product.mentioned_in(values)]
        #: The names of the products whose keys the app's config has (``"LINE WORKS"``...): read at ``init_app``.
        self.given = frozenset(product.name for product in given)
        tables = [ALWAYS_READ, *(product.declared() for product in given)]
        read = ConfigReader(values, [setting for table in tables for setting in table], every_setting)
        self._read = read
        self.common: CommonSettings = load_common(read)
        self.login: LoginSettings = load_login_settings(read)
        self.languages: LanguageSettings = load_language_settings(read)
        for product in given:
            getattr(self, product.attribute)  # read now: a mistake in them fails init_app
        check_unknown_keys(values, read)

    @cached_property
    def module(self) -> ModuleSettings:
        """The module channel settings (``LINE_MODULE_*``)."""
        return cast("ModuleSettings", self._read_product(MODULE_CHANNELS))

    @cached_property
    def works(self) -> WorksSettings:
        """The LINE WORKS settings (``LINE_WORKS_*``)."""
        return cast("WorksSettings", self._read_product(LINE_WORKS))

    @cached_property
    def messaging(self) -> MessagingSettings:
        """The Messaging API channel settings (``LINE_MESSAGING_*``)."""
        return cast("MessagingSettings", self._read_product(MESSAGING_API))

    def _read_product(self, product: OptionalProduct) -> object:
        return product.code().load_settings(self._read.including(product.declared()))
