"""flask-line's logger, whose lines cannot be forged: every value logged is escaped.

Values in log lines come from requests and from LINE (an ``error_description``, a user id, a bot id). A CR or LF
in one would start a fake log line; a filter on the ``flask_line`` logger escapes control characters in every
argument (and in the message itself), so each call site cannot forget to. An exception's text is the same kind of
value (a channel loader's error about the request, a display name in a ``@line.link_user`` hook's error): the
filter formats the traceback itself, escaped, so a record with a traceback stays two physical lines (the message,
then the whole traceback on one line) whatever the exception says. Handlers that read ``exc_info`` (Sentry) still
get the exception object.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from typing import Any

#: Control characters (C0, DEL, C1, and the Unicode line and paragraph separators) shown as escapes.
_ESCAPES = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029)
}
_ESCAPES.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})


def escape(value: Any) -> Any:
    """``value`` with control characters escaped, when it is text (other values are left to ``%`` formatting)."""
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bytes):
        return escape(value.decode("utf-8", "backslashreplace"))
    if isinstance(value, BaseException):
        return escape(str(value))
    return value


class EscapeControlCharacters(logging.Filter):
    """Escapes every argument of a record (and its message) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = escape(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: escape(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(escape(value) for value in record.args)
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            # What Formatter.formatException would write, escaped; formatters use exc_text when it is set.
            record.exc_text = escape("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        if record.stack_info:
            record.stack_info = escape(record.stack_info)
        return True


#: The logger every flask-line module writes to.
log = logging.getLogger("flask_line")
if not any(isinstance(existing, EscapeControlCharacters) for existing in log.filters):
    log.addFilter(EscapeControlCharacters())


class Episodes:
    """One ERROR when something (a store, a database) starts failing and one WARNING when it works again.

    Only calls that really reached it report here, so a request that never touched it cannot end an episode;
    failures in between are DEBUG lines. Per process: each worker logs each episode once.
    """

    def __init__(self, what: str, consequence: str) -> None:
        self._what = what
        self._consequence = consequence
        self._since: float | None = None
        self._lock = threading.Lock()

    def failed(self, cause: str) -> None:
        """A call reached it and failed for ``cause``."""
        with self._lock:
            first = self._since is None
            if first:
                self._since = time.monotonic()
        if first:
            log.error("%s cannot be used (%s); %s", self._what, cause, self._consequence)
        else:
            log.debug("%s still cannot be used (%s)", self._what, cause)

    def worked(self) -> None:
        """A call reached it and worked (cheap when nothing failed: no lock, no clock)."""
        if self._since is None:
            return
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            log.warning("%s works again after %.1f s", self._what, time.monotonic() - since)
