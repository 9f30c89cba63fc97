"""The members example in a real Chromium: a site with its own users, LINE sign-up, linking, and staff sign-in."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def line_consent(page, user: str) -> None:
    page.get_by_text(user).click()
    page.get_by_role("button", name="Allow").click()


def sign_up_with_email(page, site: str, name: str, email: str) -> None:
    page.goto(f"{site}/signup")
    page.fill("#name", name)
    page.fill("#email", email)
    page.fill("#password", "correct horse battery")
    page.click("#create-account")
    page.wait_for_url(f"{site}/account")


def test_sign_up_with_line_makes_a_member(page, serve_example, shoot):
    site = serve_example("members")
    page.goto(site)
    page.click("#line-login")
    line_consent(page, "Brown")
    page.wait_for_url(f"{site}/account")
    assert page.text_content("#member-name") == "Brown"
    assert page.text_content("#line-status") == "linked"
    shoot(page, "members-account")
    member = page.text_content("#member-id")
    page.click("#sign-out")
    page.wait_for_url(f"{site}/")
    page.click("#line-login")
    line_consent(page, "Brown")
    page.wait_for_url(f"{site}/account")
    assert page.text_content("#member-id") == member, "signing in again finds the same member"


def test_an_email_member_links_line_signs_in_with_it_and_unlinks(page, serve_example, shoot):
    site = serve_example("members")
    sign_up_with_email(page, site, "Alice Email", "alice@example.com")
    assert page.text_content("#line-status") == "not linked"
    member = page.text_content("#member-id")
    page.click("#link-line")
    line_consent(page, "Cony")
    page.wait_for_url(f"{site}/account")
    assert page.text_content("#line-status") == "linked"
    assert page.text_content("#member-name") == "Alice Email", "linking keeps the member who was signed in"
    shoot(page, "members-linked")

    page.click("#sign-out")
    page.wait_for_url(f"{site}/")
    page.click("#line-login")
    line_consent(page, "Cony")
    page.wait_for_url(f"{site}/account")
    assert page.text_content("#member-id") == member, "LINE now signs this member in"

    page.click("#unlink-line")
    page.wait_for_url(f"{site}/account")
    assert page.text_content("#line-status") == "not linked"
    assert page.text_content("#member-id") == member, "unlinking keeps the member signed in"


def test_linking_someone_elses_line_account_is_refused(page, serve_example):
    site = serve_example("members")
    page.goto(site)
    page.click("#line-login")
    line_consent(page, "Sally")  # Sally signs up with LINE
    page.wait_for_url(f"{site}/account")
    page.click("#sign-out")
    page.wait_for_url(f"{site}/")
    sign_up_with_email(page, site, "Mallory", "mallory@example.com")
    page.click("#link-line")
    line_consent(page, "Sally")
    page.wait_for_load_state()
    assert "already linked to another account" in page.content()
    assert "Traceback" not in page.content()
    page.goto(f"{site}/account")
    assert page.text_content("#member-name") == "Mallory"
    assert page.text_content("#line-status") == "not linked"


def test_staff_sign_in_with_line_works(page, serve_example, shoot):
    site = serve_example("members")
    page.goto(site)
    page.click("#works-login")
    line_consent(page, "Sato Bob")
    page.wait_for_url(f"{site}/staff")
    assert page.text_content("#staff-name") == "Sato Bob"
    shoot(page, "members-staff")
