"""Faults the emulator injects on demand: error statuses, delays, garbage bodies, forged ID tokens."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fault:
    """What to do to the next ``times`` calls of one endpoint.

    :param endpoint: emulator endpoint name (``token``, ``profile``, ``certs``, ``revoke``, ``module_token``...).
    :param status: answer with this HTTP status instead (with ``body`` and ``headers``).
    :param body: the body to send with ``status``: a dict is sent as JSON, a string as it is.
    :param delay: seconds to sleep before answering (longer than the client timeout: a timeout).
    :param id_token: changes to the ID token the token endpoint issues: ``claims`` and ``header`` updates, and
        ``key``: ``"wrong_secret"``, ``"none"`` (unsigned), ``"public_key_hmac"`` (HS256 keyed with the
        published public key: algorithm confusion), ``"unknown_kid"``.
    :param deny: at the consent step: redirect back with this error code instead of a code.
    """

    endpoint: str
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    id_token: dict[str, Any] | None = None
    times: int = 1


class FaultBook:
    """The queue of pending faults, safe across the emulator's threads."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)

    def take(self, endpoint: str) -> Fault | None:
        """The next fault for ``endpoint``, used up once per call."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint == endpoint:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()
