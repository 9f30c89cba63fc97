"""A failed auto login in a real Chromium: the retry turns auto login off and signs the visitor in.

LINE's "How to handle auto login failure": the callback still arrives, with a state the browser never issued.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser


def allow(page, who: str) -> None:
    page.get_by_text(who).click()
    page.get_by_role("button", name="Allow").click()


def test_lines_answer_opened_in_another_browser_offers_a_retry_without_auto_login(
    browser, page, serve_example, emulator, shoot
):
    site = serve_example("quickstart")
    answers: list[str] = []

    def keep_the_answer(route) -> None:  # the OS hands LINE's answer to another browser instead
        answer = route.fetch(max_redirects=0)
        answers.append(answer.headers["location"])
        route.fulfill(status=200, content_type="text/plain", body="opened elsewhere")

    page.route(f"{emulator.url}/_emulator/consent", keep_the_answer)
    page.goto(f"{site}/line/login?next=/cart")
    allow(page, "Brown")
    page.wait_for_function("document.body.textContent.includes('opened elsewhere')")
    assert len(answers) == 1 and answers[0].startswith(f"{site}/line/callback?")

    other = browser.new_context()
    try:
        elsewhere = other.new_page()
        elsewhere.set_default_timeout(30_000)  # the other xdist worker shares a busy 2-core machine
        elsewhere.goto(answers[0])
        retry = elsewhere.get_attribute("#try-again", "href")
        assert retry is not None and parse_qs(urlsplit(retry).query)["disable_auto_login"] == ["true"]
        shoot(elsewhere, "auto-login-failed")
        elsewhere.click("#try-again")
        assert parse_qs(urlsplit(elsewhere.url).query)["disable_auto_login"] == ["true"], "LINE shows its screen"
        allow(elsewhere, "Brown")
        elsewhere.wait_for_url(lambda url: url.startswith(site) and "/line/" not in url)
        elsewhere.goto(f"{site}/profile")
        assert elsewhere.text_content("#display-name") == "Brown"
    finally:
        other.close()


def test_the_starting_browser_after_a_failed_auto_login_retries_and_lands_on_next(page, serve_example, emulator):
    site = serve_example("quickstart")
    emulator.platform.fail_auto_login()
    page.goto(f"{site}/line/login?next=/cart")
    assert "Traceback" not in page.content()
    page.click("#try-again")
    assert parse_qs(urlsplit(page.url).query)["disable_auto_login"] == ["true"]
    allow(page, "Cony")
    page.wait_for_url(f"{site}/cart")
    page.goto(f"{site}/profile")
    assert page.text_content("#display-name") == "Cony"
