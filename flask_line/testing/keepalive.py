"""An HTTP/1.1 server for the emulator that keeps connections open between requests, as LINE's servers do.

Werkzeug's development server closes every connection, because ``http.server`` cannot tell where an unread
request body ends. That made every client open a new connection per call, so a benchmark against the emulator
could not see what a keep-alive client saves against LINE.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler


class KeepAliveServer(ThreadedWSGIServer):
    """Werkzeug's threaded server with :class:`KeepAliveHandler`; it counts the connections it accepts and
    closes the ones still open when it stops (a stopped LINE answers nothing)."""

    def __init__(self, host: str, port: int, app: Any) -> None:
        # Set before the socket is bound: a busy port raises inside super().__init__, which closes the server.
        #: Connections accepted since the server started.
        self.connections_accepted = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(host, port, app, handler=KeepAliveHandler)

    def opened(self, connection: socket.socket) -> None:
        """Record a new connection."""
        with self._lock:
            self._open.add(connection)
            self.connections_accepted += 1

    def closed(self, connection: socket.socket) -> None:
        """Forget a connection that ended."""
        with self._lock:
            self._open.discard(connection)

    def server_close(self) -> None:
        """Stop listening, and end every connection held open."""
        super().server_close()
        with self._lock:
            open_connections = list(self._open)
        for connection in open_connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class KeepAliveHandler(WSGIRequestHandler):
    """Keeps an HTTP/1.1 connection open after a request whose body it can skip to the end of.

    It reads whatever body the app left unread (by ``Content-Length``) before the next request, and closes the
    connection when it cannot tell where the body ends (chunked), for HTTP/1.0, or on ``Connection: close``.
    """

    protocol_version = "HTTP/1.1"
    server: KeepAliveServer
    #: Whether the connection may serve another request after this one (set per request).
    _reusable = False

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm holds the body back until
        # the client's delayed ACK (40 ms) on a connection that stays open.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.opened(self.connection)

    def finish(self) -> None:
        self.server.closed(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length", "0")
        self._reusable = (
            self.request_version == "HTTP/1.1"
            and not self.close_connection
            and "Transfer-Encoding" not in self.headers
            and length.isdigit()
        )
        if not self._reusable:
            super().run_wsgi()
            return
        # The app, and werkzeug's discarding of what it left unread, see only this request's body: reading
        # on would swallow the next request on the connection.
        connection = self.rfile
        self.rfile = body = _RequestBody(connection, int(length))  # type: ignore[assignment]
        try:
            super().run_wsgi()
            body.skip_rest()  # what the app did not read (a fault answered before the form was parsed)
        finally:
            self.rfile = connection

    def send_header(self, keyword: str, value: str) -> None:
        if self._reusable and keyword.lower() == "connection" and value.lower() == "close":
            return  # werkzeug's blanket "close": this connection can serve the next request
        super().send_header(keyword, value)


class _RequestBody:
    """The ``length`` bytes of one request's body, read from the connection's stream."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int = -1) -> bytes:
        size = self._left if size < 0 else min(size, self._left)
        data: bytes = self._stream.read(size) if size else b""
        self._left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        size = self._left if size < 0 else min(size, self._left)
        data: bytes = self._stream.readline(size) if size else b""
        self._left -= len(data)
        return data

    def skip_rest(self) -> None:
        """Read and drop the unread rest of the body."""
        while self._left and self.read(65536):
            pass
