"""The one HTTP client the app uses to call LINE: connections kept alive and reused, no cookies carried from
one user's call to the next; and the emulator, which like LINE keeps connections open between requests."""

from __future__ import annotations

import gc
import http.client
import inspect
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
import requests

from flask_line import errors
from flask_line._wire.http import LineHttp, _prepared_url
from flask_line.testing import EmulatorServer
from tests.conftest import follow_login
from tests.local import http_host


def test_calls_to_line_reuse_one_connection(line_platform):
    http = LineHttp(timeout=5)
    before = line_platform.connections_accepted
    for _ in range(5):
        assert "keys" in http.json("GET", f"{line_platform.url}/oauth2/v2.1/certs")
    assert line_platform.connections_accepted - before == 1


def test_after_the_first_login_a_login_opens_no_connection(app, client, line_platform):
    follow_login(client, line_platform)  # opens the app's connection (and the browser's)
    client.post("/line/logout")
    before, calls = line_platform.connections_accepted, len(line_platform.platform.requests)
    for user in ("Brown", "Cony", "Sally"):
        assert follow_login(client, line_platform, user=user).status_code == 302
        client.post("/line/logout")
    token_calls = line_platform.platform.requests[calls:].count("POST /oauth2/v2.1/token")
    assert token_calls == 3
    assert line_platform.connections_accepted == before, "every token call went over the kept connection"


def test_a_body_the_emulator_did_not_read_does_not_leak_into_the_next_request(line_platform):
    # A fault answers before the form is parsed; the next request on the same connection must still be read
    # from its own first line.
    http = LineHttp(timeout=5)
    url = f"{line_platform.url}/oauth2/v2.1/token"
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=503, body="down")
    before = line_platform.connections_accepted
    with pytest.raises(errors.UpstreamUnavailable):
        http.json("POST", url, data={"grant_type": "authorization_code", "code": "x" * 5000})
    with pytest.raises(errors.TokenRequestError) as refused:
        http.json("POST", url, data={"grant_type": "authorization_code", "code": "unknown"})
    assert refused.value.error == "invalid_client", "LINE's answer to the second form, read from its own first line"
    assert line_platform.connections_accepted - before == 1


def test_a_stopped_emulator_ends_the_connections_it_kept_open():
    server = EmulatorServer().start()
    http = LineHttp(timeout=5, emulator_url=server.url)
    certs = f"{server.url}/oauth2/v2.1/certs"
    http.json("GET", certs)
    server.stop()
    with pytest.raises(errors.EmulatorNotAnswering):
        http.json("GET", certs)


class Silent(BaseHTTPRequestHandler):
    """A host that reads the request and never answers (until the test ends)."""

    protocol_version = "HTTP/1.1"
    release = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        Silent.release.wait(10)

    def log_message(self, *args: object) -> None:
        pass


def test_a_token_call_line_does_not_answer_is_a_timeout_and_a_closed_port_an_outage(caplog):
    http = LineHttp(timeout=0.5)
    Silent.release.clear()
    with http_host(Silent) as url:
        try:
            with pytest.raises(errors.UpstreamTimeout):
                http.json("POST", f"{url}/oauth2/v2.1/token", data={"grant_type": "authorization_code"})
        finally:
            Silent.release.set()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(errors.UpstreamUnavailable):
        http.json("POST", f"{closed}/oauth2/v2.1/token", data={"grant_type": "authorization_code"})
    assert "LINE did not answer POST" in caplog.text and "LINE unreachable at POST" in caplog.text


def test_a_chunked_request_body_closes_the_connection(line_platform):
    # Without a length the emulator cannot find where the body ends, so it does not read on.
    connection = http.client.HTTPConnection("127.0.0.1", int(line_platform.url.rsplit(":", 1)[1]), timeout=5)
    connection.request(
        "POST",
        "/oauth2/v2.1/token",
        body=iter([b"grant_type=authorization_code&code=x"]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        encode_chunked=True,
    )
    answer = connection.getresponse()
    answer.read()
    assert answer.getheader("Connection") == "close"
    connection.close()


class CookieSetter(BaseHTTPRequestHandler):
    """A host that sets a cookie on every answer and records the Cookie header of every request."""

    protocol_version = "HTTP/1.1"
    cookies_seen: list[str | None] = []

    def do_GET(self) -> None:
        CookieSetter.cookies_seen.append(self.headers.get("Cookie"))
        body = b"{}"
        self.send_response(200)
        self.send_header("Set-Cookie", f"lb=user-{len(CookieSetter.cookies_seen)}; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def cookie_host() -> Iterator[str]:
    CookieSetter.cookies_seen = []
    with http_host(CookieSetter) as url:
        yield url


@pytest.mark.parametrize("options", [{}, {"allow_redirects": False}], ids=["direct", "through requests"])
def test_a_cookie_from_one_call_is_never_sent_on_the_next(cookie_host, options):
    # One client serves every user of the app: a cookie set during one user's call must not reach another's.
    http = LineHttp(timeout=5)
    for _ in range(3):
        assert http.transport("GET", f"{cookie_host}/v2/profile", **options).status_code == 200
    assert CookieSetter.cookies_seen == [None, None, None]


def test_the_callback_reaches_the_transport_in_six_frames(app, client, line_platform, monkeypatch):
    # docs/architecture.rst draws this path; a layer that adds a hop to every login shows up here.
    from requests.adapters import HTTPAdapter

    paths: list[list[str]] = []
    send = HTTPAdapter.send

    def recording_send(self, request, *args, **kwargs):
        stack = [frame.function for frame in inspect.stack()[1:]]
        if "callback" in stack:
            paths.append(list(reversed(stack[: stack.index("callback") + 1])))
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", recording_send)
    assert follow_login(client, line_platform).status_code == 302
    assert paths == [["callback", "finish", "complete", "exchange_code", "json", "transport"]]


def live_token_responses() -> int:
    """How many of LINE's token answers are still alive in this process."""
    gc.collect()
    return sum(
        1
        for found in gc.get_objects()
        if isinstance(found, requests.Response) and "/token" in (found.url or "") and found.status_code == 200
    )


def test_no_token_response_outlives_its_sign_in(app, client, line_platform):
    before = live_token_responses()
    for user in ("Brown", "Cony", "Sally") * 7:  # 21 sign-ins, each a token call
        assert follow_login(client, line_platform, user=user).status_code == 302
        client.post("/line/logout")
    assert live_token_responses() - before <= 1, "LINE's answers (and the tokens in them) are not kept"


def test_an_endpoint_url_is_prepared_once_and_a_url_with_a_query_never_cached(line_platform):
    http = LineHttp(timeout=5)
    _prepared_url.cache_clear()
    for _ in range(3):
        http.json("GET", f"{line_platform.url}/oauth2/v2.1/certs")
    http.transport("GET", f"{line_platform.url}/oauth2/v2.1/certs?secret=1")
    info = _prepared_url.cache_info()
    assert info.hits == 2 and info.currsize == 1
