"""How flask-line answers: error pages or JSON, and the "please sign in" answer of the decorators."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, jsonify, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ._hints import emulator_command
from ._i18n.languages import render_page, translate
from ._log import log
from ._translatable import Text
from .errors import EmulatorNotAnswering, LineError, LoginRequired, MissingModuleScope, NotConfigured, TokenAuthError
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
    A 503 says when to try again (``Retry-After``). A visitor the decorators ask to sign in
    (:class:`~flask_line.errors.LoginRequired`) is sent there when a person's browser loads a page; a refused
    credential (``error.answer_json``) is always JSON, with RFC 6750's ``WWW-Authenticate`` for a token.
    """
    if isinstance(error, LoginRequired) and not error.api and is_page_navigation():
        return current_app.make_response(redirect(error.login_url))
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
    if error.answer_json or isinstance(error, LoginRequired) or wants_json():
        details: dict[str, object] = {}
        if isinstance(error, MissingModuleScope):
            details["missing_scopes"] = sorted(error.missing)
        if isinstance(error, LoginRequired):
            details["login_url"] = error.login_url
        if debug:
            details["detail"] = error.message
        response = jsonify(error=error.code, message=translate(error.explanation), **details)
    else:
        response = current_app.make_response(render_page("flask_line/error.html", error=error, show_detail=debug))
    response.status_code = error.status_code
    if error.status_code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    if isinstance(error, LoginRequired):
        response.headers["WWW-Authenticate"] = f'LINE-Login realm="flask-line", login_url="{error.login_url}"'
    elif isinstance(error, TokenAuthError):
        kind = "insufficient_scope" if error.status_code == 403 else "invalid_token"
        # RFC 6750 3: error_description is ASCII without quotes or backslashes, so it stays the English check.
        description = "".join(c for c in error.message if " " <= c <= "~" and c not in '"\\')
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="flask-line", error="{kind}", error_description="{description}"'
        )
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


def login_required(endpoint: str, message: Text, *, api: bool = False) -> LoginRequired:
    """The refusal of a view that needs a signed-in user: sign in at ``endpoint``, then come back here."""
    return LoginRequired(message, url_for(endpoint, next=current_path()), api=api)


def refuse_framing(response: BaseResponse, ancestors: str) -> None:
    """Let only ``ancestors`` (CSP sources: ``'none'``, ``'self'``...) frame ``response``: a framed page's button
    would post as this site. A ``Content-Security-Policy`` the site set keeps its own ``frame-ancestors``."""
    policy = response.headers.get("Content-Security-Policy")
    directive = f"frame-ancestors {ancestors}"
    if not policy:
        response.headers["Content-Security-Policy"] = directive
    elif "frame-ancestors" not in policy:
        response.headers["Content-Security-Policy"] = f"{policy.rstrip('; ')}; {directive}"
    option = FRAME_OPTIONS.get(ancestors)
    if option is not None and "X-Frame-Options" not in response.headers:
        response.headers["X-Frame-Options"] = option


#: ``X-Frame-Options`` (for browsers without CSP) for the ``frame-ancestors`` it can say.
FRAME_OPTIONS = {"'none'": "DENY", "'self'": "SAMEORIGIN"}


def current_path() -> str:
    """The path and query of this request, as a relative URL."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path


def refused_credential(error: LineError, channel_id: str | None = None) -> LineError:
    """``error``, refusing a LINE credential a client sent (``@line_token_required``, ``POST /line/session``):
    logged, ``login_failed`` sent (with the request's ``channel_id``), and marked to be answered with JSON."""
    log.warning("LINE credential refused (%s): %s", error.code, error.message)
    login_failed.send(current_app._get_current_object(), error=error, channel_id=channel_id)  # type: ignore[attr-defined]
    error.answer_json = True
    return error
