"""What the workers of a fleet share: verified bearer tokens, revocations and service tokens, in one cache.

By default the site's own Redis (Flask-Session's ``SESSION_REDIS``); ``LINE_SHARED_CACHE`` names another (a
``redis.Redis`` or a cachelib cache) or ``False`` keeps everything per process. Keys are namespaced per app and
hashed, so a token never appears in a key; values are JSON carrying their own expiry. The cache failing is not
the site failing: every call then answers "nothing shared" and the worker goes on with its own memory, with one
ERROR when the cache starts failing and one WARNING when it works again.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from typing import Any, Protocol

from .._log import Episodes


class CacheBackend(Protocol):
    """The four calls flask-line makes to a shared cache (Redis and cachelib both have them)."""

    def get(self, key: str) -> Any:
        """The value at ``key``, or None."""

    def put(self, key: str, value: str, ttl: float) -> None:
        """Store ``value`` at ``key`` for ``ttl`` seconds."""

    def add(self, key: str, value: str, ttl: float) -> bool:
        """Store ``value`` only if ``key`` is free; whether it was."""

    def delete(self, key: str) -> None:
        """Remove ``key``."""


class RedisBackend:
    """A ``redis.Redis`` client (expiries in milliseconds, ``SET NX`` for locks)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, key: str) -> Any:
        return self.client.get(key)

    def put(self, key: str, value: str, ttl: float) -> None:
        self.client.set(key, value, px=max(1, int(ttl * 1000)))

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(self.client.set(key, value, px=max(1, int(ttl * 1000)), nx=True))

    def delete(self, key: str) -> None:
        self.client.delete(key)


class CachelibBackend:
    """A cachelib cache (``RedisCache``, ``MemcachedCache``...): whole-second timeouts."""

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    def get(self, key: str) -> Any:
        return self.cache.get(key)

    def put(self, key: str, value: str, ttl: float) -> None:
        self.cache.set(key, value, timeout=max(1, math.ceil(ttl)))

    def add(self, key: str, value: str, ttl: float) -> bool:
        return bool(self.cache.add(key, value, timeout=max(1, math.ceil(ttl))))

    def delete(self, key: str) -> None:
        self.cache.delete(key)


def cache_errors() -> tuple[type[BaseException], ...]:
    """What a cache client raises when its server is away (for the clients installed)."""
    found: list[type[BaseException]] = [OSError]
    try:
        from redis.exceptions import RedisError
    except ImportError:  # no redis client installed: a cachelib cache reports failures as None/False
        return tuple(found)
    return (*found, RedisError)


class SharedCache:
    """The fleet's cache for one app (``backend`` None: nothing is shared, every call answers "nothing").

    :param namespace: what keeps this app's keys apart from other apps on the same server.
    """

    def __init__(self, backend: CacheBackend | None, namespace: str) -> None:
        self.backend = backend
        self._prefix = f"flask-line:{namespace}:"
        self._episodes = Episodes("The shared cache", "each worker uses its own memory until it works again")
        # Asked only when something is shared: an app without a shared cache never imports a cache client.
        self._errors = cache_errors() if backend is not None else ()
        #: Calls that reached the backend, for benchmarks.
        self.calls = 0

    @property
    def enabled(self) -> bool:
        """Whether anything is shared."""
        return self.backend is not None

    def key(self, kind: str, secret: str) -> str:
        """The key of ``secret`` (a token, a service's name) under ``kind``: hashed, never the secret itself."""
        return self._prefix + kind + ":" + hashlib.sha256(secret.encode()).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """The fresh JSON value at ``key``, or None (absent, expired, unreadable, or the cache away)."""
        raw = self._call(lambda backend: backend.get(key), None)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except (TypeError, ValueError):
            return None
        if not isinstance(value, dict) or not isinstance(value.get("exp"), int | float) or value["exp"] <= time.time():
            return None
        return value

    def put(self, key: str, value: dict[str, Any], ttl: float) -> None:
        """Store ``value`` for ``ttl`` seconds (its expiry travels with it)."""
        if ttl > 0:
            payload = json.dumps({**value, "exp": time.time() + ttl})
            self._call(lambda backend: backend.put(key, payload, ttl), None)

    def claim(self, key: str, ttl: float) -> bool:
        """Take the short lock ``key`` for ``ttl`` seconds; True when this caller holds it, or nothing is shared
        (then every caller does the work itself, as without a shared cache)."""
        payload = json.dumps({"exp": time.time() + ttl})
        taken: bool = self._call(lambda backend: backend.add(key, payload, ttl), True)
        return taken

    def delete(self, key: str) -> None:
        self._call(lambda backend: backend.delete(key), None)

    def _call(self, call: Any, otherwise: Any) -> Any:
        if self.backend is None:
            return otherwise
        self.calls += 1
        try:
            result = call(self.backend)
        except self._errors as error:
            self._episodes.failed(type(error).__name__)
            return otherwise
        self._episodes.worked()
        return result


#: Nothing shared: the default outside Redis-backed apps.
NOT_SHARED = SharedCache(None, "-")


def wait_for(cache: SharedCache, key: str, seconds: float, interval: float = 0.02) -> dict[str, Any] | None:
    """The value another worker is about to store at ``key``, polled for up to ``seconds`` (None: it did not)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = cache.get(key)
        if value is not None:
            return value
        time.sleep(interval)
    return None
