"""Service tokens go only to LINE's configured API URLs, and the local scope check sees what is sent."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest

from flask_line import errors
from tests.local import http_host
from tests.test_module import BROWN_CAFE, attach

# An attachment holding message:receive only: none of these may reach LINE's push endpoint.
PUSH_SPELLINGS = [
    "/v2/bot/x/../message/push",
    "/v2/bot/message/./push",
    "//v2/bot/message/push",
    "/v2/bot/message//push",
    "/v2/bot/message/%70ush",
    "/v2/bot/message/%70%75%73%68",
    "/v2/bot/%6Dessage/push",
    "/v2/bot/message/push/.",
    "/v2/bot/message/x/%2e%2e/push",
    "/v2/bot/message/x/%2E%2E/push",
    "/v2/./bot/../bot/message/push",
    "v2/bot/message/push",
    "/v2/bot/message/push?x=1",
    "/../v2/bot/message/push",
]


class Listener(BaseHTTPRequestHandler):
    """A host that is not LINE: it records every request it gets."""

    seen: list[tuple[str, dict[str, str]]] = []

    def do_GET(self) -> None:
        Listener.seen.append((self.path, dict(self.headers)))
        self.send_response(200)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_host() -> Iterator[str]:
    Listener.seen = []
    with http_host(Listener) as url:
        yield url


@pytest.fixture
def receive_only(app, client, line_platform):
    attach(client, line_platform, query="scope=message:receive")
    return app


@pytest.mark.parametrize("path", PUSH_SPELLINGS)
def test_no_spelling_of_a_path_dodges_the_scope_check(receive_only, line_platform, path):
    served = len(line_platform.platform.requests)
    with receive_only.app_context():
        api = receive_only.extensions["line"].module.api(BROWN_CAFE)
        # "//v2/..." reads as a URL to host "v2" (refused as a foreign host); every other spelling as the path
        # the server would see (refused for the missing scope). Either way nothing is sent.
        with pytest.raises((errors.MissingModuleScope, errors.ApiTargetRefused)) as refused:
            api.post(path, json={"to": "U4af4980629a1b2c3d4e5f60718293a4b", "messages": []})
    if isinstance(refused.value, errors.MissingModuleScope):
        assert refused.value.missing == {"message:send"}
    else:
        assert path.startswith("//")
    assert line_platform.platform.requests[served:] == [], "refused before any HTTP"


def test_an_absolute_url_to_the_api_host_is_checked_too(receive_only, line_platform):
    with receive_only.app_context():
        api = receive_only.extensions["line"].module.api(BROWN_CAFE)
        with pytest.raises(errors.MissingModuleScope):
            api.post(f"{line_platform.url}/v2/bot/x/../message/push", json={})


@pytest.mark.parametrize("path", ["/v2/bot/message/./push", "/v2/bot/message/%70ush", "/v2//bot//message/push"])
def test_what_is_checked_is_what_is_sent(app, client, line_platform, path):
    attach(client, line_platform, query="scope=message:send")
    with app.app_context():
        answer = (
            app.extensions["line"]
            .module.api(BROWN_CAFE)
            .post(path, json={"to": "U4af4980629a1b2c3d4e5f60718293a4b", "messages": [{"type": "text", "text": "x"}]})
        )
    assert answer.status_code == 200
    assert line_platform.platform.messages[-1][1] == "/v2/bot/message/push"


@pytest.mark.parametrize(
    "path", ["/v2/bot/message%2Fpush", "/v2/bot/message%2fpush", "/v2/bot\\message/push", "/v2/bot/message/push%00"]
)
def test_paths_servers_disagree_on_are_refused(receive_only, line_platform, path):
    with receive_only.app_context():
        api = receive_only.extensions["line"].module.api(BROWN_CAFE)
        with pytest.raises(errors.ApiTargetRefused):
            api.post(path, json={})


def foreign_targets(other: str, emulator: str) -> list[str]:
    host_port = other.removeprefix("http://")
    emulator_host = emulator.removeprefix("http://")
    return [
        f"{other}/v2/bot/message/push",
        f"//{host_port}/v2/bot/message/push",
        f"{other.upper()}/v2/bot/message/push",
        f"http://{emulator_host}@{host_port}/v2/bot/message/push",
        f"{emulator}@{host_port}/v2/bot/info",
        f"{emulator}#@{host_port}/",
        f"https://{emulator_host}/v2/bot/info",
    ]


def test_the_channel_token_never_goes_to_another_host(app, client, line_platform, other_host):
    attach(client, line_platform)
    with app.app_context():
        api = app.extensions["line"].module.api(BROWN_CAFE)
        for target in foreign_targets(other_host, line_platform.url):
            with pytest.raises(errors.ApiTargetRefused):
                api.get(target)
    assert Listener.seen == []


def test_the_service_account_token_never_goes_to_another_host(app, line_platform, other_host):
    with app.app_context():
        api = app.extensions["line"].works.api()
        for target in [*foreign_targets(other_host, line_platform.url), f"{line_platform.url}/v2/bot/info"]:
            with pytest.raises(errors.ApiTargetRefused):
                api.get(target)
        answer = api.post(f"{line_platform.url}/v1.0/bots/1/users/u/messages", json={"content": {}})
        assert answer.status_code == 201, "an absolute URL under LINE_WORKS_API_URL is fine"
        with pytest.raises(errors.ApiTargetRefused):
            api.get("/../v2/bot/info")  # escaping the /v1.0 base path
    assert Listener.seen == []
    assert ("POST", "/v1.0/bots/1/users/u/messages", {"content": {}}) in line_platform.platform.works_calls


def test_the_data_api_host_is_allowed(make_app, line_platform, other_host):
    # LINE_MESSAGING_API_DATA_URL (api-data.line.me) serves message content: the token may go there.
    app = make_app(LINE_MESSAGING_API_DATA_URL=other_host)
    client = app.test_client()
    attach(client, line_platform)
    with app.app_context():
        answer = app.extensions["line"].module.api(BROWN_CAFE).get(f"{other_host}/v2/bot/message/1/content")
    assert answer.status_code == 200
    assert Listener.seen[0][0] == "/v2/bot/message/1/content"
    assert Listener.seen[0][1]["X-Line-Bot-Id"] == BROWN_CAFE


def test_proxies_from_the_environment_are_still_used(make_app, line_platform, other_host, monkeypatch):
    # The environment is read when the app first calls LINE; a configured proxy must still carry those calls.
    client = make_app().test_client()
    back = line_platform.consent(client.get("/line/login").location)  # the browser, before the proxy is set
    monkeypatch.setenv("HTTP_PROXY", other_host)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    response = client.get(back.path)
    assert response.status_code == 502, "the listener is no LINE: the token call failed through it"
    assert Listener.seen and Listener.seen[0][0].startswith(f"{line_platform.url}/oauth2/v2.1/token")
