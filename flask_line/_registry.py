"""What LINE Login channels, LINE WORKS companies and Messaging API channels share: a site serving many shops (or
companies) names some in config, lets a loader name the one of each request, and keeps the services of the
recently used ones in a bounded LRU, so 10,000 shops never mean 10,000 connection pools, key caches or tokens.

Each product says what is particular to it (how a request's unit is resolved, how a unit's settings are checked)
in its own module; the registry only keeps units and their services.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Generic, TypeVar, cast

from flask import current_app

from ._log import log
from .errors import ConfigurationError, NotConfigured

#: The name of the unit the app's single-unit settings describe (``LINE_LOGIN_CHANNEL_ID``...).
DEFAULT = "default"

Unit = TypeVar("Unit", bound=Hashable)
Service = TypeVar("Service")
UnitSettings = TypeVar("UnitSettings")


@dataclass(frozen=True, eq=False)  # one per product, compared by identity
class Naming:
    """How errors and log lines name one product's units (``LINE Login`` ``channel`` of ``LINE_LOGIN_CHANNELS``)."""

    product: str
    noun: str
    #: The config key listing units by name.
    key: str
    #: The decorator that registers the loader (``channel_loader``).
    loader: str
    #: What a request without a unit is refused with (a 404, never another unit's answer).
    not_found: type[NotConfigured]
    #: The class of a unit (what a loader must return).
    unit_type: type
    #: The keys an entry of ``key`` may have: the fields of ``unit_type``.
    entry_keys: frozenset[str]

    @property
    def required(self) -> tuple[str, ...]:
        """The keys every entry gives: the fields of ``unit_type`` without a default, its id at LINE first
        (``channel_id``, ``client_id``), then its secret."""
        return tuple(
            unit_field.name
            for unit_field in fields(self.unit_type)
            if unit_field.default is MISSING and unit_field.default_factory is MISSING
        )

    @property
    def id_field(self) -> str:
        """The unit's attribute (and entry key) holding its id at LINE."""
        return self.required[0]


#: What a product's loader returns: its unit, the name of a configured one, or None (this request has none).
Loader = Callable[[], Any]


@dataclass(eq=False)  # a service, not a value: equal only to itself
class Registry(Generic[Unit, Service]):
    """The units of one product named in config, the loader's unit of a request, and their services (bounded LRU).

    :param configured: every unit named in config (``"default"`` for the single-unit settings).
    :param build: makes the service of one unit.
    :param size: how many units' services are kept.
    :param loader: returns the app's loader (read at each use, so it may be registered after ``init_app``).
    """

    naming: Naming
    configured: dict[str, Unit]
    build: Callable[[Unit], Service]
    size: int
    loader: Callable[[], Loader | None]
    _services: OrderedDict[Unit, Service] = field(default_factory=OrderedDict, init=False, repr=False)
    #: The kept units by id, so a callback (or a background job) finds its unit without a scan.
    _by_id: dict[str, Unit] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def configured_from(
        cls,
        naming: Naming,
        default: Unit | None,
        listed: Mapping[str, Any],
        settings_of: Callable[..., UnitSettings],
        build: Callable[[UnitSettings], Service],
        size: int,
        loader: Callable[[], Loader | None],
    ) -> Registry[Unit, Service]:
        """The registry of ``default`` and the units ``listed`` (``naming.key``), each listed one checked now by
        ``settings_of(unit, key=naming.key)``; a unit's service is ``build(settings_of(unit))``."""
        configured = configured_units(naming, default, listed, lambda unit: settings_of(unit, key=naming.key))
        return cls(naming, configured, lambda unit: build(settings_of(unit)), size, loader)

    def _id_of(self, unit: Unit) -> str:
        return str(getattr(unit, self.naming.id_field))

    @property
    def active(self) -> bool:
        """Whether the app chooses units per request (a loader is registered)."""
        return self.loader() is not None

    @property
    def cached(self) -> int:
        """How many units' services are kept now."""
        return len(self._services)

    def default(self) -> Service | None:
        """The service of the ``"default"`` unit, or None when the app configured none."""
        default = self.configured.get(DEFAULT)
        return self.service(default) if default is not None else None

    def service(self, unit: Unit | str) -> Service:
        """The service of ``unit`` (or of the configured unit of that name), built on first use, then kept while it
        is among the recently used.

        :raises ~flask_line.errors.NotConfigured: (the product's own kind) no configured unit has that name.
        """
        if isinstance(unit, str):
            if unit not in self.configured:
                naming = self.naming
                raise naming.not_found(f"No {naming.product} {naming.noun} is named {unit!r}.")
            unit = self.configured[unit]
        with self._lock:
            found = self._services.get(unit)
            if found is not None:
                self._services.move_to_end(unit)
                return found
        built = self.build(unit)
        with self._lock:
            self._services[unit] = built
            self._by_id[self._id_of(unit)] = unit
            while len(self._services) > self.size:
                evicted, _ = self._services.popitem(last=False)
                if self._by_id.get(self._id_of(evicted)) is evicted:
                    del self._by_id[self._id_of(evicted)]
        return built

    def unit(self, unit_id: str) -> Unit | None:
        """The configured or recently used unit with this id, or None."""
        for unit in self.configured.values():
            if self._id_of(unit) == unit_id:
                return unit
        with self._lock:
            return self._by_id.get(unit_id)

    def where(self, matches: Callable[[Unit], bool]) -> list[Unit]:
        """The configured units that ``matches``, then the recently used ones (a loader's units are known here only
        once used)."""
        found = [unit for unit in self.configured.values() if matches(unit)]
        with self._lock:
            kept = [unit for unit in reversed(self._services) if matches(unit) and unit not in found]
        return found + kept

    def known(self, unit_id: str) -> Service | None:
        """The service of a configured or recently used unit with this id, or None."""
        unit = self.unit(unit_id)
        return self.service(unit) if unit is not None else None

    def ask_loader(self) -> Unit:
        """The unit the app's loader names for this request.

        :raises ~flask_line.errors.NotConfigured: (the product's own kind) no loader, the loader raised, named an
            unlisted unit or found none.
        :raises ~flask_line.errors.ConfigurationError: the loader returned something else than a unit, a name or
            None.
        """
        naming = self.naming
        loader = self.loader()
        if loader is None:
            raise naming.not_found(f"No {naming.loader} is registered.")
        try:
            found: Any = current_app.ensure_sync(loader)()
        except Exception as error:  # the site's own lookup failed: this request has no unit, never another's
            log.exception("The %s %s raised: %s", naming.product, naming.loader, type(error).__name__)
            raise naming.not_found(f"The {naming.loader} raised {type(error).__name__}.") from error
        if isinstance(found, str):
            if found not in self.configured:
                log.warning("The %s named %r, which is not in %s: a 404", naming.loader, found, naming.key)
                raise naming.not_found(f"The {naming.loader} named a {naming.noun} that is not configured.")
            return self.configured[found]
        if found is None:
            raise naming.not_found(f"The {naming.loader} found no {naming.product} {naming.noun} for this request.")
        if not isinstance(found, naming.unit_type):
            raise ConfigurationError(
                naming.loader,
                f"must return a {naming.unit_type.__name__}, a name or None, got {type(found).__name__}",
            )
        return cast(Unit, found)


def check_credentials(unit: Any, naming: Naming, fail: Callable[[str], ConfigurationError], *, digits: bool) -> None:
    """Refuse a unit without its id (``digits``: a LINE channel id) or its secret (the secret is never echoed)."""
    id_field, secret_field = naming.required[:2]
    unit_id, secret = getattr(unit, id_field), getattr(unit, secret_field)
    if not isinstance(unit_id, str) or not (unit_id.isdigit() if digits else unit_id.strip()):
        raise fail(f"{id_field} must be a string of digits" if digits else f"{id_field} must be a non-empty string")
    if not isinstance(secret, str) or not secret.strip():
        raise fail(f"has no {secret_field}")


def configured_units(
    naming: Naming, default: Any, value: Mapping[str, Any], check: Callable[[Any], object]
) -> dict[str, Any]:
    """The units named in config: ``"default"`` (``default``, from the app's single-unit settings; None when they
    are not set) and those ``naming.key`` lists, each listed one passed to ``check`` (which raises
    ``ConfigurationError``), so a bad one fails ``init_app``, not a visitor's request."""
    listed = listed_units(value, naming, lambda message: ConfigurationError(naming.key, message))
    if default is not None and DEFAULT in listed:
        raise ConfigurationError(
            naming.key, f"{DEFAULT!r} is taken: it names the {naming.noun} of the app's own {naming.product} settings"
        )
    for unit in listed.values():
        check(unit)
    return {DEFAULT: default, **listed} if default is not None else listed


def listed_units(value: Mapping[str, Any], naming: Naming, fail: Callable[[str], ConfigurationError]) -> dict[str, Any]:
    """The units a ``LINE_*S`` setting lists: ``{name: {id, secret, options}}`` (a number given for the id, as
    TOML or YAML may, is taken as its digits)."""
    units = {}
    required = set(naming.required)
    for name, entry in value.items():
        given = set(entry) if isinstance(entry, Mapping) else set()
        if not isinstance(entry, Mapping) or given - naming.entry_keys or not required <= given:
            known = ", ".join(sorted(naming.entry_keys))
            raise fail(f"{name!r} must be a dict with {' and '.join(naming.required)} (keys: {known})")
        options = {key: entry[key] for key in given}
        units[str(name)] = naming.unit_type(**{**options, naming.id_field: str(entry[naming.id_field])})
    return units
