"""A failed auto login is not a dead end: the retry turns auto login off once, and keeps ``next`` when it is known.

LINE's "How to handle auto login failure": when auto login fails (private browsing, the OS opening LINE's answer
in another browser), the callback still arrives, with an unusable ``code`` and a ``state`` the browser never
issued. Retrying with auto login on fails again; the retry must carry ``disable_auto_login=true``.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from flask_line import errors, signals
from flask_line.testing import EmulatorServer

from .conftest import AppFactory, captured, deliver


def retry_link(page: Any) -> str:
    """The "Try again" link of an error page."""
    found = re.search(r'id="try-again" href="([^"]*)"', page.get_data(as_text=True))
    assert found is not None, page.get_data(as_text=True)
    return html.unescape(found.group(1))


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def signed_in_as(client: Any) -> str | None:
    answer = client.get("/profile", headers={"Accept": "application/json"})
    return answer.json["name"] if answer.status_code == 200 else None


def test_a_failed_auto_login_answer_offers_a_retry_without_auto_login_that_keeps_next(client, line_platform):
    line_platform.platform.fail_auto_login()
    start = client.get("/line/login?next=/cart")
    back = line_platform.consent(start.location)  # LINE's answer of a failed auto login: no screen was shown
    with captured(signals.login_failed) as failed:
        page = deliver(client, back)
    assert page.status_code == 400
    assert isinstance(failed[0]["error"], errors.StateError)
    assert query_of(retry_link(page)) == {"next": ["/cart"], "disable_auto_login": ["true"]}


def test_the_retry_after_a_failed_auto_login_signs_in_and_lands_on_next(client, line_platform):
    line_platform.platform.fail_auto_login()
    start = client.get("/line/login?next=/cart")
    page = deliver(client, line_platform.consent(start.location))
    to_line = client.get(retry_link(page))
    assert query_of(to_line.location)["disable_auto_login"] == ["true"], "LINE is asked to show its screen"
    landed = deliver(client, line_platform.consent(to_line.location, user="Cony"))
    assert landed.status_code == 302 and landed.location == "/cart"
    assert signed_in_as(client) == "Cony"


def test_an_answer_opened_in_another_browser_offers_a_retry_without_auto_login(app: Flask, client, line_platform):
    start = client.get("/line/login?next=/cart")
    back = line_platform.consent(start.location, user="Brown")
    other_browser = app.test_client()  # the OS opened LINE's answer in another browser
    page = deliver(other_browser, back)
    assert page.status_code == 400
    retry = retry_link(page)
    assert query_of(retry) == {"disable_auto_login": ["true"]}, "this browser cannot know the start's next"
    to_line = other_browser.get(retry)
    assert query_of(to_line.location)["disable_auto_login"] == ["true"]
    landed = deliver(other_browser, line_platform.consent(to_line.location, user="Brown"))
    assert landed.status_code == 302
    assert signed_in_as(other_browser) == "Brown"
    assert signed_in_as(client) is None, "the browser that started is signed in as nobody"


def test_auto_login_is_turned_off_for_the_retry_only(client, line_platform):
    line_platform.platform.fail_auto_login()
    start = client.get("/line/login?next=/cart")
    page = deliver(client, line_platform.consent(start.location))
    to_line = client.get(retry_link(page))
    deliver(client, line_platform.consent(to_line.location, user="Cony"))
    client.post("/line/logout")
    again = client.get("/line/login")
    assert "disable_auto_login" not in query_of(again.location), "the next sign-in may use auto login again"


def test_an_unusable_code_with_this_browsers_state_retries_without_auto_login(client, line_platform):
    start = client.get("/line/login?next=/cart")
    back = line_platform.consent(start.location)
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=400, body={"error": "invalid_grant"})
    page = deliver(client, back)
    assert page.status_code == 400
    assert query_of(retry_link(page)) == {"next": ["/cart"], "disable_auto_login": ["true"]}


def test_other_failures_retry_as_they_started(client, line_platform):
    start = client.get("/line/login?next=/cart")
    back = line_platform.consent(start.location)
    line_platform.platform.inject("POST /oauth2/v2.1/token", status=500, body={"error": "server_error"})
    page = deliver(client, back)
    assert query_of(retry_link(page)) == {"next": ["/cart"]}


def test_a_v20_retry_sends_no_option_v20_does_not_know(make_app: AppFactory, line_platform: EmulatorServer):
    client = make_app(LINE_LOGIN_VERSION="2.0").test_client()
    start = client.get("/line/login?next=/cart")
    line_platform.consent(start.location)
    page = client.get("/line/callback?code=unusable&state=" + "c" * 43)
    retry = retry_link(page)
    assert query_of(retry) == {"next": ["/cart"]}
    assert client.get(retry).status_code == 302, "the retry starts a v2.0 sign-in"
