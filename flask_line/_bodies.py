"""What clients send flask-line, read bounded: ``LINE_MAX_BODY_SIZE`` bytes at most, with or without a length.

A body announced longer than the limit (``Content-Length``) is refused before any of it is read. A body without
one (``Transfer-Encoding: chunked``, which Werkzeug's server and gunicorn pass through) is read through
:class:`BoundedInput`, which stops one byte past the limit and refuses the request: no client makes a worker
buffer more than ``LINE_MAX_BODY_SIZE + 1`` bytes. Everything that reads the body afterwards (form parsing,
``request.get_json()``, the webhook) reads through the same bounded stream.
"""

from __future__ import annotations

import io
from typing import IO, TYPE_CHECKING

from flask import request
from werkzeug.wsgi import get_content_length

from ._log import log
from ._wire.untrusted_json import UntrustedJsonError, parse
from .errors import RequestTooLarge

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: Where the WSGI environ records that its input is bounded (and to how many bytes).
_BOUNDED_KEY = "flask_line.max_body_size"

#: Largest JSON body parsed for an ``id_token`` (an ID token is about a kilobyte); larger bodies carry none.
MAX_CREDENTIAL_BODY = 16_384


class BoundedInput(io.RawIOBase):
    """A WSGI input stream that raises :class:`~flask_line.errors.RequestTooLarge` once more than ``limit`` bytes
    have been read from ``inner``; it never asks ``inner`` for more than ``limit + 1`` bytes in all."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        super().__init__()
        self._inner = inner
        self.limit = limit
        #: How many bytes were read from ``inner`` so far.
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        room = self.limit + 1 - self.consumed
        if room <= 0:
            raise _too_large(self.limit)
        data = self._inner.read(min(len(view), room))
        view[: len(data)] = data
        self.consumed += len(data)
        if self.consumed > self.limit:
            raise _too_large(self.limit)
        return len(data)


def _too_large(limit: int) -> RequestTooLarge:
    log.warning("A request body to %s was refused: over LINE_MAX_BODY_SIZE (%d bytes)", request.path, limit)
    return RequestTooLarge(f"The request body is over LINE_MAX_BODY_SIZE ({limit} bytes).")


def bound_request_body(limit: int) -> None:
    """Make every later read of this request's body stop at ``limit`` bytes (a 413 past it).

    Called before anything reads the body: by the ``line`` blueprint for its own views, by
    ``@line_token_required`` for the site's.

    :raises ~flask_line.errors.RequestTooLarge: ``Content-Length`` announces more than ``limit`` bytes.
    """
    environ = request.environ
    if environ.get(_BOUNDED_KEY) is not None:
        return
    length = get_content_length(environ)  # (``request.content_length`` raises and catches two KeyErrors on a GET)
    if length is not None and length > limit:
        raise _too_large(limit)
    environ["wsgi.input"] = BoundedInput(environ["wsgi.input"], limit)
    environ[_BOUNDED_KEY] = limit


def read_body(limit: int) -> bytes:
    """This request's body, ``limit`` bytes at most (kept for later reads, such as form parsing).

    :raises ~flask_line.errors.RequestTooLarge: the body is longer.
    """
    bound_request_body(limit)
    return request.get_data(cache=True)


def credential_body(limit: int) -> object:
    """A JSON request body that may carry an ``id_token``: bounded in size and depth (None otherwise).

    :raises ~flask_line.errors.RequestTooLarge: the body is longer than ``limit``.
    """
    if not request.is_json:
        return None
    body = read_body(limit)
    if len(body) > MAX_CREDENTIAL_BODY:
        return None
    try:
        return parse(body, max_bytes=MAX_CREDENTIAL_BODY)
    except UntrustedJsonError:
        return None
