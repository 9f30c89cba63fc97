"""How flask-line answers: error pages or JSON, and the "please sign in" answer of the decorators."""

from __future__ import annotations

from flask import Response, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from .errors import LineError, MissingModuleScope


def wants_json() -> bool:
    """Whether the client prefers JSON: an ``Accept`` that ranks JSON over HTML, or an XHR request."""
    if request.headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(error: LineError) -> tuple[Response | str, int]:
    """The default answer to a :class:`LineError`: JSON for API clients, else a small HTML page."""
    if wants_json():
        details = {"missing_scopes": sorted(error.missing)} if isinstance(error, MissingModuleScope) else {}
        return jsonify(error=error.code, message=error.message, **details), error.status_code
    return render_template("flask_line/error.html", error=error), error.status_code


def sign_in_required(endpoint: str, message: str, **json_extra: object) -> BaseResponse | tuple[Response, int]:
    """A browser goes to ``endpoint`` with ``next`` set to where it was; an API client gets a 401 JSON body."""
    if wants_json():
        return jsonify(error="not_authenticated", message=message, **json_extra), 401
    return redirect(url_for(endpoint, next=current_path()))


def current_path() -> str:
    """The path and query of this request, as a relative URL."""
    query = request.query_string.decode("latin-1")
    return f"{request.path}?{query}" if query else request.path
