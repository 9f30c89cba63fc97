"""How flask-line answers: error pages or JSON, and the "please sign in" answer of the decorators."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ._hints import emulator_command
from ._i18n.languages import render_page, translate
from ._log import log
from ._wire.untrusted_json import UntrustedJsonError, parse
from .errors import EmulatorNotAnswering, LineError, MissingModuleScope, NotConfigured, TokenAuthError
from .signals import login_failed


def wants_json() -> bool:
    """Whether the client prefers JSON: an ``Accept`` that ranks JSON over HTML, or an XHR request."""
    if request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(error: LineError) -> Response:
    """The default answer to a :class:`LineError`: JSON for API clients, else the styled error page.

    Visitors read the error's plain ``explanation`` and a "Try again" link; the technical ``message`` is in the
    log, and on the page or in the JSON only when ``app.debug`` is on. JSON clients get the stable ``error`` code.
    A 503 says when to try again (``Retry-After``).
    """
    debug = current_app.debug
    if isinstance(error, NotConfigured):
        # The developer's first visit to a page of a product they have not set up: the log says what to set.
        log.warning("%s %s: %s", request.method, request.path, error.message)
    if isinstance(error, EmulatorNotAnswering) and error.command is None:
        # Raised where LINE is called, which knows no app: the page names the command this app needs.
        app_port = urlsplit(f"//{request.host}").port
        error = EmulatorNotAnswering(
            error.emulator_url, emulator_command(current_app.config, current_app.import_name, app_port)
        )
    if wants_json():
        details: dict[str, object] = {}
        if isinstance(error, MissingModuleScope):
            details["missing_scopes"] = sorted(error.missing)
        if debug:
            details["detail"] = error.message
        response = jsonify(error=error.code, message=translate(error.explanation), **details)
    else:
        response = current_app.make_response(render_page("flask_line/error.html", error=error, show_detail=debug))
    response.status_code = error.status_code
    if error.status_code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


#: What a 503 asks the client to wait before trying again: outages of a store are usually seconds long.
RETRY_AFTER_SECONDS = 5


def is_page_navigation() -> bool:
    """Whether a person's browser is loading a page here (so a redirect to LINE makes sense).

    Fetch Metadata decides when the browser sends it (``Sec-Fetch-Mode: navigate``: a link, a typed URL, a form);
    otherwise a request that explicitly accepts HTML and is not an XHR. A ``fetch()``, ``curl`` or ``requests``
    call is not one.
    """
    if wants_json():
        return False
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode is not None:
        return mode == "navigate"
    return any(kind in ("text/html", "application/xhtml+xml") for kind, _ in request.accept_mimetypes)


def sign_in_required(endpoint: str, message: str, *, api: bool = False) -> BaseResponse | tuple[Response, int]:
    """A page navigation goes to ``endpoint`` with ``next`` set to where it was; any other request (or any
    request at all when ``api``) gets a 401 JSON body with a ``WWW-Authenticate`` header naming where to sign in."""
    login_url = url_for(endpoint, next=current_path())
    if not api and is_page_navigation():
        return redirect(login_url)
    response = jsonify(error="not_authenticated", message=translate(message), login_url=login_url)
    response.headers["WWW-Authenticate"] = f'LINE-Login realm="flask-line", login_url="{login_url}"'
    return response, 401


def current_path() -> str:
    """The path and query of this request, as a relative URL."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def credential_refusal(error: LineError, channel_id: str | None = None) -> tuple[Response, int]:
    """A refused LINE credential (``@line_token_required``, ``POST /line/session``): always JSON, with a log line,
    ``login_failed`` (with the request's ``channel_id``) and, for a :class:`~flask_line.errors.TokenAuthError`,
    RFC 6750's ``WWW-Authenticate``."""
    log.warning("LINE credential refused (%s): %s", error.code, error.message)
    login_failed.send(current_app._get_current_object(), error=error, channel_id=channel_id)  # type: ignore[attr-defined]
    response = jsonify(error=error.code, message=error.explanation)
    if isinstance(error, TokenAuthError):
        kind = "insufficient_scope" if error.status_code == 403 else "invalid_token"
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="flask-line", error="{kind}", error_description="{error.explanation}"'
        )
    return response, error.status_code


def credential_body() -> object:
    """A JSON request body that may carry an ``id_token``: bounded in size and depth (None otherwise)."""
    if not request.is_json or (request.content_length or 0) > MAX_CREDENTIAL_BODY:
        return None
    try:
        return parse(request.get_data(cache=True), max_bytes=MAX_CREDENTIAL_BODY)
    except UntrustedJsonError:
        return None


#: Largest JSON body read for a credential (an ID token is about a kilobyte).
MAX_CREDENTIAL_BODY = 16_384
