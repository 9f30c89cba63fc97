"""The emulated LINE platform: its memory (:class:`PlatformData`) served by one endpoint class per product."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.routing import Map

from .consent import ConsentScreen
from .control import FaultControl
from .data import PlatformData
from .login import LoginEndpoints
from .messaging import MessagingEndpoints
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
        self.app.after_request(_request_id)
        consent = ConsentScreen(self)
        self.module_endpoints = ModuleEndpoints(self, consent)
        messaging = MessagingEndpoints(self, self.messaging, self.module_endpoints.messaging_api)
        products = (LoginEndpoints(self, consent), self.module_endpoints, WorksEndpoints(self, consent), messaging)
        views: dict[str, Callable[..., Any]] = {"GET /": self._home}
        for endpoints in (consent, FaultControl(self), *products):
            views.update(endpoints.views())
        self.app.url_map = shared_url_map(tuple(views))
        self.app.view_functions.update(views)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)

    def _home(self) -> str:
        """The developer's console: what is accepted, and the latest of what happened."""
        with self.lock:
            recent = {
                "authorizations": list(reversed(self.authorizations[-20:])),
                "tokens": [grant for grant in list(self.access_tokens.values())[-20:]][::-1],
                "messages": list(reversed(self.messages[-20:])),
                "webhooks": list(reversed(self.webhook_deliveries[-20:])),
            }
        return render_template(
            "home.html", line=self, recent=recent, faults=self.faults.pending(), now=time.time(), clock=_clock
        )

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


@functools.cache
def shared_url_map(endpoints: tuple[str, ...]) -> Map:
    """The URL map of these endpoints (``"METHOD rule"``), built once per process and shared by every platform.

    Werkzeug compiles each rule's URL builders as it is added (about 0.7 ms a rule, 35 ms a platform), and a test
    suite makes a platform per test. The rules name their endpoints only; each platform has its own views.
    """
    template = Flask(__name__)
    for endpoint in endpoints:
        method, rule = endpoint.split(" ", 1)
        template.add_url_rule(rule, endpoint, methods=[method])
    template.url_map.update()  # sorted now, so platforms serving at once only read it
    return template.url_map


#: Pages a browser sees (not API answers): they carry no request id.
_BROWSER_PAGES = (
    "/_emulator/",
    "/oauth2/v2.1/authorize",
    "/dialog/oauth/weblogin",
    "/oauth2/v2.0/authorize",
    "/oauth2/v2.0/logout",
    "/module/auth/v1/authorize",
)


def _request_id(response: Response) -> Response:
    """Every API answer carries ``x-line-request-id`` (reference, "Common"): what LINE's support asks for."""
    if not request.path.startswith(_BROWSER_PAGES) and request.path != "/":
        response.headers["x-line-request-id"] = secrets.token_hex(16)
    return response


def serve_forever(
    host: str = "127.0.0.1",
    port: int = 5005,
    *,
    apps: Sequence[str] = (),
    prefix: str = "/line",
    callback_urls: Sequence[str] = (),
    bot_id_header: str | None = None,
    module_webhook_url: str | None = None,
    allow_faults: bool = False,
    login_channels: Mapping[str, str] | None = None,
    module_channels: Mapping[str, str] | None = None,
    works_clients: Mapping[str, str] | None = None,
    works_service_account: tuple[str, str] | None = None,
    registration_hint: str | None = None,
) -> None:
    """Serve a new :class:`LinePlatform` until interrupted (``line-emulator``, ``flask line emulator``).

    :param apps: base URLs of flask-line apps whose three callbacks are registered for every demo client.
    :param prefix: those apps' ``LINE_URL_PREFIX``.
    :param callback_urls: further callback URLs, registered for every client.
    :param bot_id_header: the header that names a module's bot (``LINE_MODULE_BOT_ID_HEADER``).
    :param module_webhook_url: where module events are posted, signed with the module channel secret.
    :param allow_faults: accept faults over HTTP at ``/_emulator/faults``.
    :param login_channels: ``{channel id: secret}`` of the app's own LINE Login channels, accepted beside the demo's.
    :param module_channels: the same for module channels.
    :param works_clients: the same for LINE WORKS apps.
    :param works_service_account: ``(service account, private key PEM)`` of ``works_clients``, for the JWT grant.
    :param registration_hint: how a developer registers another callback with the command they ran.
    """
    from .keepalive import KeepAliveServer

    platform = LinePlatform()
    for channel_id, secret in (login_channels or {}).items():
        platform.add_channel(channel_id, secret)
    for channel_id, secret in (module_channels or {}).items():
        platform.add_module_channel(channel_id, secret)
    account, key = works_service_account or (None, None)
    for client_id, secret in (works_clients or {}).items():
        platform.add_works_client(client_id, secret, service_account=account, private_key_pem=key)
    if registration_hint:
        platform.registration_hint = registration_hint
    for base_url in apps:
        platform.register_app(base_url, prefix)
    for url in callback_urls:
        for client_id in (*platform.channels, *platform.module_channels, *platform.works_clients):
            platform.register_callback(client_id, url)
    if bot_id_header:
        platform.bot_id_header = bot_id_header
    if module_webhook_url:
        for channel_id in platform.module_channels:
            platform.webhook_urls[channel_id] = module_webhook_url
    platform.fault_control = allow_faults
    try:
        server = KeepAliveServer(host, port, platform)
    except (OSError, SystemExit):  # Werkzeug reports a busy port itself, then exits
        # The fix, naming the option both commands have (--port), never a traceback.
        raise SystemExit(f"Cannot listen on {host}:{port}: choose another port with --port.") from None
    print(f" * LINE platform emulator on http://{host}:{port} (set LINE_EMULATOR_URL to this)")
    print(f"   LINE Login channels: {', '.join(sorted(platform.channels))}")
    print(f"   module channels: {', '.join(sorted(platform.module_channels))}")
    print(f"   LINE WORKS apps: {', '.join(sorted(platform.works_clients))}")
    for client_id, urls in sorted(platform.callback_urls.items()):
        print(f"   callbacks of {client_id}: {', '.join(sorted(urls))}")
    if allow_faults:
        print(f"   faults accepted at http://{host}:{port}/_emulator/faults")
    server.serve_forever()


def _clock(at: float) -> str:
    """A time of day for the console (UTC)."""
    return time.strftime("%H:%M:%S", time.gmtime(at))
