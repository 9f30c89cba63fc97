"""Module admins in a real browser: an anonymous admin attaching, a returning admin in a fresh browser, and two
admins who never see each other's Official Accounts (the module_provider example, default owner rule)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

CONY_FLOWERS = "Uc2a1d3b4e5f60718293a4b5c6d7e8f90"
BROWN_CAFE = "Ub1f0c2a3d4e5f60718293a4b5c6d7e8f"


def consent(page, name: str) -> None:
    page.get_by_text(name).click()
    page.get_by_role("button", name="Allow").click()


def attach_as(page, site: str, admin: str, account: str, *, signed_in: bool = False) -> None:
    """The attach link: an admin not signed in signs in first, then attaches, then lands on the dashboard."""
    page.goto(f"{site}/line/attach?next=/dashboard")
    if not signed_in:
        consent(page, admin)  # LINE Login first: the attachment will be this admin's
    consent(page, account)  # then LINE Official Account Manager
    page.wait_for_url(f"{site}/dashboard")


def test_an_anonymous_admin_attaching_lands_signed_in_and_attached(page, serve_example, shoot):
    site = serve_example("module_provider")
    attach_as(page, site, "Brown", "Cony Flowers")
    assert page.text_content("#bot-id") == CONY_FLOWERS
    page.goto(site)
    assert page.text_content("#admin-name") == "Brown"


def test_a_returning_admin_in_a_fresh_browser_finds_their_account(browser, serve_example, shoot):
    site = serve_example("module_provider")
    first = browser.new_context().new_page()
    attach_as(first, site, "Brown", "Cony Flowers")
    attach_as(first, site, "Brown", "Brown Cafe", signed_in=True)
    page = browser.new_context().new_page()  # another device: nothing in its session
    page.goto(f"{site}/dashboard")
    consent(page, "Brown")
    page.wait_for_url(f"{site}/line/accounts**")
    assert page.is_visible(f'li[data-bot-id="{CONY_FLOWERS}"]') and page.is_visible(f'li[data-bot-id="{BROWN_CAFE}"]')
    assert "Cony Flowers" in page.content() and "Brown Cafe" in page.content()
    shoot(page, "module-accounts")
    page.locator(f'li[data-bot-id="{BROWN_CAFE}"] button.use').click()
    page.wait_for_url(f"{site}/dashboard")
    assert page.text_content("#bot-id") == BROWN_CAFE


def test_two_admins_never_see_each_others_accounts(browser, serve_example):
    site = serve_example("module_provider")
    brown = browser.new_context().new_page()
    cony = browser.new_context().new_page()
    attach_as(brown, site, "Brown", "Brown Cafe")
    attach_as(cony, site, "Cony", "Cony Flowers")
    cony.goto(f"{site}/line/accounts")
    assert cony.locator("li[data-bot-id]").count() == 1
    assert not cony.is_visible(f'li[data-bot-id="{BROWN_CAFE}"]') and "Brown Cafe" not in cony.content()


def test_a_second_admin_attaching_an_owned_account_is_told_so(browser, serve_example, shoot):
    site = serve_example("module_provider")
    brown = browser.new_context().new_page()
    attach_as(brown, site, "Brown", "Brown Cafe")
    cony = browser.new_context().new_page()
    cony.goto(f"{site}/line/attach?next=/dashboard")
    consent(cony, "Cony")
    consent(cony, "Brown Cafe")
    cony.wait_for_selector("#error-title")
    assert cony.text_content("#error-title") == "Another administrator connected this account"
    brown.goto(f"{site}/dashboard")
    assert brown.text_content("#bot-id") == BROWN_CAFE, "still Brown's"


def test_a_team_site_whose_rule_shares_accounts_lets_the_second_admin_in(browser, serve_example, monkeypatch):
    monkeypatch.setenv("SHARED_ACCOUNTS", "1")
    site = serve_example("module_provider")
    brown, cony = browser.new_context().new_page(), browser.new_context().new_page()
    for page, admin in ((brown, "Brown"), (cony, "Cony")):
        page.goto(f"{site}/line/login?next=/")  # the team's admins sign in from the home page
        consent(page, admin)
        page.wait_for_url(f"{site}/")
    attach_as(brown, site, "Brown", "Brown Cafe", signed_in=True)
    attach_as(cony, site, "Cony", "Brown Cafe", signed_in=True)  # the same account: shared, not refused
    assert cony.text_content("#bot-id") == BROWN_CAFE
    brown.goto(f"{site}/dashboard")
    assert brown.text_content("#bot-id") == BROWN_CAFE, "the owner keeps it too"
