"""A person's path through the example sites, in a real Chromium."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_quickstart_login_profile_and_logout(page, serve_example, shoot):
    site = serve_example("quickstart")
    page.goto(site)
    page.click("#line-login")
    page.get_by_text("Cony").click()
    shoot(page, "login-consent")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{site}/profile")
    assert page.text_content("#display-name") == "Cony"
    page.wait_for_function("document.querySelector('#avatar').naturalWidth > 0")  # the picture loads
    shoot(page, "profile")
    page.click("#home-link")
    page.wait_for_url(f"{site}/")
    page.goto(f"{site}/profile")
    page.click("#logout")
    page.wait_for_url(f"{site}/")
    assert page.is_visible("#line-login")


def test_quickstart_denial_shows_a_clean_page(page, serve_example, shoot):
    site = serve_example("quickstart")
    page.goto(site)
    page.click("#line-login")
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_load_state()
    assert "Sign-in was cancelled" in page.content()
    assert "Traceback" not in page.content()
    assert page.is_visible("#try-again")
    shoot(page, "denial")
    page.goto(f"{site}/profile")
    assert "/line/login" in page.url or "access.line.me" not in page.url
    assert not page.is_visible("#display-name")


def test_module_attach_and_test_push(page, serve_example, emulator, shoot):
    site = serve_example("module_provider")
    page.goto(site)
    page.click("#line-login")
    page.get_by_text("Brown").click()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{site}/")
    assert page.text_content("#admin-name") == "Brown"
    page.click("#attach")
    page.get_by_text("Cony Flowers").click()
    assert "Send messages" in page.content(), "the attach screen says what each scope allows"
    shoot(page, "attach-consent")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{site}/dashboard")
    assert page.text_content("#bot-id") == "Uc2a1d3b4e5f60718293a4b5c6d7e8f90"
    assert "message:send" in page.text_content("#scope-reason")
    page.click("#test-push")
    page.wait_for_selector("#push-result")
    assert page.text_content("#push-result") == "Push: sent"
    shoot(page, "dashboard")
    assert emulator.platform.messages[-1][0] == "Uc2a1d3b4e5f60718293a4b5c6d7e8f90"


def test_works_sign_in(page, serve_example, shoot):
    site = serve_example("works")
    page.goto(site)
    page.click("#works-login")
    page.get_by_text("Sato Bob").click()
    shoot(page, "works-consent")
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{site}/intranet")
    assert page.text_content("#member-name") == "Sato Bob"


def test_liff_page_calls_the_api_with_line_credentials_then_starts_a_session(page, serve_example, emulator, shoot):
    site = serve_example("liff")
    page.goto(site)
    page.select_option("#liff-user", "Cony")
    page.click("#liff-login")
    page.wait_for_function("document.querySelector('#api-result').textContent.length > 0")
    assert page.text_content("#api-result") == "API says: Cony"
    shoot(page, "liff")
    page.click("#start-session")
    page.wait_for_url(f"{site}/me")
    assert page.text_content("#session-name") == "Cony"


def test_an_anonymous_fetch_gets_json_not_a_redirect(page, serve_example):
    site = serve_example("liff")
    page.goto(site)
    status = page.evaluate("fetch('/me').then(answer => answer.status)")
    assert status == 401, "no 'Failed to fetch' from a cross-origin redirect to LINE"
    refused = page.evaluate("fetch('/api/profile').then(answer => answer.json())")
    assert refused["error"] == "missing_token"
