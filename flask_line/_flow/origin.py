"""Where a browser started a sign-in, so the callback (and every link built after it) keeps the visitor's shop.

The site names the request values its ``channel_loader`` reads (``LINE_URL_VALUES``: a path segment such as
``<shop>``, or a query parameter). flask-line reads them from the request once, puts them back on every ``line.*``
URL it builds for the visitor (the blueprint's ``url_defaults``, the pattern Flask documents for language codes in
URLs), and records them with each pending authorization, with the LINE Login channel that served the start. A
callback URL carries no shop: the callback view restores the start's :class:`Origin`, and the request then
continues as if at the shop that started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from flask import current_app, g, has_request_context, request

from ..errors import NotConfigured, StateError

LoaderAnswerT = TypeVar("LoaderAnswerT")

#: Longest URL value kept (a shop's slug or id); a longer one is not a shop of this site.
MAX_URL_VALUE_LENGTH = 200

_URL_VALUES = "_line_url_values"
_ORIGIN = "_line_origin"


@dataclass(frozen=True)
class Origin:
    """The start of a sign-in: its URL values, its URL as the loader saw it, and its LINE Login channel."""

    #: The values of ``LINE_URL_VALUES`` the starting request carried.
    url_values: Mapping[str, str] = field(default_factory=dict)
    #: The start's URL with only those values as its query (what the loader is asked again with, if needed); empty
    #: when no loader could need it (the app chooses no channel or company per request).
    url: str = ""
    #: The LINE Login channel serving the start (None: none, or the app has no LINE Login).
    channel_id: str | None = None
    #: The LINE WORKS company (its app's client id) whose sign-in started here (None: not a LINE WORKS sign-in).
    company_id: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "url_values": dict(self.url_values),
            "url": self.url,
            "channel_id": self.channel_id,
            "company_id": self.company_id,
        }

    @classmethod
    def from_record(cls, record: object) -> Origin | None:
        if not isinstance(record, dict):
            return None
        values = {str(key): str(value) for key, value in (record.get("url_values") or {}).items()}
        return cls(values, str(record.get("url") or ""), record.get("channel_id"), record.get("company_id"))


def url_values(names: Iterable[str]) -> Mapping[str, str]:
    """This request's values of ``names`` (the restored start's at a callback), read once per request."""
    if not has_request_context():
        return {}
    found: dict[str, str] | None = g.get(_URL_VALUES)
    if found is None:
        found = {}
        for name in names:
            value = (request.view_args or {}).get(name)
            if value is None:
                value = request.args.get(name)
            if value is not None and 0 < len(str(value)) <= MAX_URL_VALUE_LENGTH:
                found[name] = str(value)
        setattr(g, _URL_VALUES, found)
    return found


def origin_here(
    names: Iterable[str], channel_id: str | None, company_id: str | None = None, *, with_url: bool = True
) -> Origin:
    """The :class:`Origin` of a sign-in starting in this request, served by ``channel_id`` (and, for a LINE WORKS
    sign-in, by the company whose app's client id is ``company_id``); its URL only ``with_url`` (a loader may be
    asked at it again)."""
    values = url_values(names)
    if not with_url:
        return Origin(values, "", channel_id, company_id)
    url = request.host_url + request.path.lstrip("/")  # werkzeug's path starts with one "/"; host_url ends with it
    return Origin(values, f"{url}?{urlencode(values)}" if values else url, channel_id, company_id)


def ask_at_start(origin: Origin, ask: Callable[[], LoaderAnswerT]) -> LoaderAnswerT:
    """The loader's answer (``ask``) at the page that started ``origin``'s sign-in: what a worker that does not know
    the sign-in's channel or company (another worker started it) asks. A sign-in started while the app chose
    nothing per request kept no start URL: the loader is asked at this request, and finding nothing here means the
    sign-in must start again. The caller still compares the answer with the start's channel or company."""
    if not origin.url:
        try:
            return ask()
        except NotConfigured as missing:
            raise StateError("This sign-in started before the site changed its setup; please start again.") from missing
    start = urlsplit(origin.url)
    with current_app.test_request_context(
        start.path, base_url=f"{start.scheme}://{start.netloc}", query_string=start.query
    ):
        return ask()


def restore(origin: Origin | None) -> None:
    """Continue this request (a callback) as the request that started the sign-in: its URL values and channel."""
    if origin is not None:
        setattr(g, _URL_VALUES, dict(origin.url_values))
        setattr(g, _ORIGIN, origin)


def restored_origin() -> Origin | None:
    """The start this callback restored, or None."""
    origin: Origin | None = g.get(_ORIGIN)
    return origin
