"""A store built on first use: an unused store costs no import, no file and no database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class LazyStore:
    """Stands in for the store ``build`` returns, building it (once, thread-safely) at the first method call."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._store: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = self._build()
        return getattr(self._store, name)

    def __repr__(self) -> str:
        return f"<LazyStore {'built' if self._store is not None else 'not built yet'}>"
