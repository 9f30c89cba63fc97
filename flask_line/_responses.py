"""How flask-line answers: error pages or JSON, and the "please sign in" answer of the decorators."""

from __future__ import annotations

from flask import Response, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from .errors import LineError, MissingModuleScope


def wants_json() -> bool:
    """Whether the client prefers JSON: an ``Accept`` that ranks JSON over HTML, or an XHR request."""
    if request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(error: LineError) -> tuple[Response | str, int]:
    """The default answer to a :class:`LineError`: JSON for API clients, else the styled error page.

    Visitors read the error's plain ``explanation`` and a "Try again" link; the technical ``message`` is in the
    log, and on the page or in the JSON only when ``app.debug`` is on. JSON clients get the stable ``error`` code.
    """
    debug = current_app.debug
    if wants_json():
        details: dict[str, object] = {}
        if isinstance(error, MissingModuleScope):
            details["missing_scopes"] = sorted(error.missing)
        if debug:
            details["detail"] = error.message
        return jsonify(error=error.code, message=error.explanation, **details), error.status_code
    page = render_template("flask_line/error.html", error=error, show_detail=debug)
    return page, error.status_code


def sign_in_required(endpoint: str, message: str, **json_extra: object) -> BaseResponse | tuple[Response, int]:
    """A browser goes to ``endpoint`` with ``next`` set to where it was; an API client gets a 401 JSON body."""
    if wants_json():
        return jsonify(error="not_authenticated", message=message, **json_extra), 401
    return redirect(url_for(endpoint, next=current_path()))


def current_path() -> str:
    """The path and query of this request, as a relative URL."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path
