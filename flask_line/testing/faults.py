"""Faults the emulator injects on demand, named by request: error statuses, delays, garbage, forged ID tokens."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

_REQUEST = re.compile(r"^(GET|POST|PUT|DELETE|PATCH) /\S*$")


@dataclass
class Fault:
    """What to do to the next ``times`` requests named ``request``.

    :param request: ``"METHOD /path"`` as the app sends it, e.g. ``"POST /oauth2/v2.1/token"``.
    :param status: answer with this HTTP status instead (with ``body`` and ``headers``).
    :param body: the body to send with ``status``: a dict is sent as JSON, a string as it is.
    :param delay: seconds to sleep before answering (longer than the client timeout: a timeout).
    :param id_token: changes to the ID token the token endpoint issues: ``claims`` and ``header`` updates, and
        ``key``: ``"wrong_secret"``, ``"none"`` (unsigned), ``"public_key_hmac"`` (HS256 keyed with the
        published public key: algorithm confusion), ``"unknown_kid"``.
    :param times: how many requests the fault applies to.
    """

    request: str
    status: int | None = None
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    id_token: dict[str, Any] | None = None
    times: int = 1

    def __post_init__(self) -> None:
        if not _REQUEST.match(self.request):
            raise ValueError(f"a fault names a request as 'METHOD /path', got {self.request!r}")


class FaultBook:
    """The queue of pending faults, safe across the emulator's threads."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)

    def take(self, request: str) -> Fault | None:
        """The next fault for ``request`` (``"METHOD /path"``), used up once per call."""
        with self._lock:
            for fault in self._faults:
                if fault.request == request:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """The queued faults, oldest first."""
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()
