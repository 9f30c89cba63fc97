"""The emulated LINE platform: its memory (:class:`PlatformData`) served by one endpoint class per product."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, render_template, request

from .consent import ConsentScreen
from .data import PlatformData
from .login import LoginEndpoints
from .module import ModuleEndpoints
from .works import WorksEndpoints


class LinePlatform(PlatformData):
    """A LINE platform in memory: a WSGI app serving LINE's endpoints with LINE's wire formats.

    Takes the arguments of :class:`~flask_line.testing.data.PlatformData` (channels, users, code and token
    lifetimes). Faults are queued with :meth:`inject`, named by request: ``"POST /oauth2/v2.1/token"``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = Flask(__name__)
        self.app.config["TRAP_HTTP_EXCEPTIONS"] = False
        self.app.before_request(self._before_request)
        consent = ConsentScreen(self)
        self.module_endpoints = ModuleEndpoints(self, consent)
        for endpoints in (consent, LoginEndpoints(self, consent), self.module_endpoints, WorksEndpoints(self, consent)):
            endpoints.register(self.app)
        self.app.add_url_rule("/", "GET /", self._home)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)

    def _home(self) -> str:
        return render_template("home.html", line=self)

    def _before_request(self) -> Response | None:
        name = f"{request.method} {request.path}"
        with self.lock:
            self.requests.append(name)
        fault = self.faults.take(name) if not request.path.startswith("/_emulator/") else None
        if fault is None:
            return None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.id_token is not None:
            # Not an HTTP fault: the token endpoint reads it to forge the ID token it issues.
            request.environ["emulator.fault"] = fault
            return None
        if fault.status is None:
            return None
        if isinstance(fault.body, dict | list):
            response = jsonify(fault.body)
        else:
            response = Response(fault.body if fault.body is not None else "", mimetype="text/plain")
        response.status_code = fault.status
        response.headers.update(fault.headers)
        return response


def serve_forever(host: str = "127.0.0.1", port: int = 5005) -> None:
    """Serve a new :class:`LinePlatform` until interrupted (``flask line emulator``)."""
    from werkzeug.serving import run_simple

    print(f" * LINE platform emulator on http://{host}:{port} (set LINE_EMULATOR_URL to this)")
    run_simple(host, port, LinePlatform(), threaded=True)
