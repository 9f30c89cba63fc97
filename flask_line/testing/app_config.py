"""Point an app made at import time at a test's emulator and temporary storage, and put it back afterwards.

:func:`configure_app` records what it changes (the config, ``app.extensions``, the session interface, the
Flask-SQLAlchemy engines); :func:`restore_configured_apps` puts every app it configured back as it was. The pytest
plugin calls it after each test, so a module-level app is the same for the next test as it was for the first.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable

from flask import Flask
from flask.sessions import SessionInterface


@runtime_checkable
class _Reloadable(Protocol):
    """What ``configure_app`` asks of ``app.extensions["line"]`` (a :class:`~flask_line.LineOAuth`)."""

    def reload_config(self, app: Flask) -> None: ...


@runtime_checkable
class _SQLAlchemyEngines(Protocol):
    """Flask-SQLAlchemy's extension object: its ``engines`` of the current app, by bind key."""

    @property
    def engines(self) -> Mapping[str | None, Any]: ...


@dataclass
class _AppAsItWas:
    """What :func:`configure_app` changed in one app, as it was before."""

    config: dict[str, Any]
    extensions: dict[str, Any]
    session_interface: SessionInterface
    #: Flask-SQLAlchemy's engines of the app by bind key (None: the app has no Flask-SQLAlchemy).
    engines: dict[str | None, Any] | None


#: The apps configured since the last restore, each as it was before its first ``configure_app``.
_configured: weakref.WeakKeyDictionary[Flask, _AppAsItWas] = weakref.WeakKeyDictionary()


def configure_app(app: Flask, config: Mapping[str, Any]) -> Flask:
    """Apply ``config`` (such as the ``line_app_config`` fixture) to ``app`` and have flask-line read it again.

    For an app made at import time (``app = Flask(__name__)`` in ``myapp.py``), which read its ``LINE_``
    settings before the test's fixtures existed; an app factory can take the config directly. What the config
    moves, moves for real: flask-line's settings and stores (``LINE_DATABASE_URI``), the server-side sessions
    (``SESSION_`` settings) and, with Flask-SQLAlchemy, the app's engines (``SQLALCHEMY_DATABASE_URI``; a bind
    the config does not name gets a file beside that database when it is SQLite). So the app's own database is
    never opened by the test.

    Under pytest (the ``flask_line`` plugin) the app is put back as it was after the test: its config,
    extensions, session interface and engines. Elsewhere, call :func:`restore_configured_apps`. Returns ``app``.
    """
    line = app.extensions.get("line")
    if not isinstance(line, _Reloadable):
        raise RuntimeError("flask-line is not initialised on this app: call LineOAuth(app) first.")
    if app not in _configured:
        _configured[app] = _AppAsItWas(dict(app.config), dict(app.extensions), app.session_interface, _engines_of(app))
    app.config.update(config)
    line.reload_config(app)
    _move_engines(app, config)
    return app


def restore_configured_apps() -> None:
    """Put every app :func:`configure_app` changed back as it was before (the pytest plugin does it per test)."""
    while _configured:
        app, before = _configured.popitem()
        _dispose_engines(app)
        app.config.clear()
        app.config.update(before.config)
        app.extensions.clear()
        app.extensions.update(before.extensions)
        app.session_interface = before.session_interface
        engines = _engine_table(app)
        if engines is not None and before.engines is not None:
            engines.update(before.engines)


def _engine_table(app: Flask) -> MutableMapping[str | None, Any] | None:
    """Flask-SQLAlchemy's own table of ``app``'s engines (changing it moves ``db.session``), or None."""
    db = app.extensions.get("sqlalchemy")
    if db is None:
        return None
    with app.app_context():  # ``engines`` is the current app's
        if not isinstance(db, _SQLAlchemyEngines):
            return None
        # The very dict Flask-SQLAlchemy reads each session's bind from.
        return cast(MutableMapping[str | None, Any], db.engines)


def _engines_of(app: Flask) -> dict[str | None, Any] | None:
    engines = _engine_table(app)
    return dict(engines) if engines is not None else None


def _move_engines(app: Flask, config: Mapping[str, Any]) -> None:
    """Replace the app's Flask-SQLAlchemy engines by ones on ``config``'s databases (engines connect lazily)."""
    engines = _engine_table(app)
    url = config.get("SQLALCHEMY_DATABASE_URI")
    if engines is None or url is None:
        return
    from sqlalchemy import create_engine  # Flask-SQLAlchemy is there, so SQLAlchemy is

    binds: Mapping[str, str] = config.get("SQLALCHEMY_BINDS") or {}
    options: dict[str, Any] = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    new: dict[str | None, Any] = {}
    for key in engines:
        if key is None:
            new[key] = create_engine(url, **options)
        elif key in binds:
            new[key] = create_engine(binds[key], **options)
        elif str(url).startswith("sqlite:///"):
            new[key] = create_engine(f"{str(url).removesuffix('.sqlite3')}-{key}.sqlite3", **options)
        else:
            raise RuntimeError(
                f"configure_app cannot move the app's bind {key!r}: name it in the config's SQLALCHEMY_BINDS."
            )
    engines.clear()
    engines.update(new)


def _dispose_engines(app: Flask) -> None:
    """Close the connections of the engines ``configure_app`` made (the test's), before the old ones return."""
    engines = _engine_table(app)
    if engines is None:
        return
    for engine in engines.values():
        engine.dispose()
    engines.clear()
