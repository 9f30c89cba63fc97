"""``/_emulator/faults``: queue faults over HTTP, for an emulator running in another process.

Off unless asked for (``--allow-faults``, or ``platform.fault_control = True``); the path is one no real LINE
has. ``POST`` a JSON fault (the arguments of :class:`~flask_line.testing.faults.Fault`), ``GET`` the pending
ones, ``DELETE`` them all.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from flask import abort, jsonify, request

from .endpoints import Endpoints
from .faults import Fault

FAULT_FIELDS = frozenset(field.name for field in fields(Fault))


class FaultControl(Endpoints):
    """The fault queue over HTTP."""

    routes = (
        ("POST", "/_emulator/faults", "add"),
        ("GET", "/_emulator/faults", "pending"),
        ("DELETE", "/_emulator/faults", "clear"),
    )

    def _require_enabled(self) -> None:
        if not self.data.fault_control:
            abort(404)

    def add(self) -> Any:
        self._require_enabled()
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not set(body) <= FAULT_FIELDS or "request" not in body:
            return jsonify(error=f"send a JSON object with 'request' and any of {', '.join(sorted(FAULT_FIELDS))}"), 400
        try:
            fault = Fault(**body)
        except (TypeError, ValueError) as error:
            return jsonify(error=str(error)), 400
        self.data.faults.add(fault)
        return jsonify(asdict(fault)), 201

    def pending(self) -> Any:
        self._require_enabled()
        return jsonify(faults=[asdict(fault) for fault in self.data.faults.pending()])

    def clear(self) -> Any:
        self._require_enabled()
        self.data.faults.clear()
        return "", 204
