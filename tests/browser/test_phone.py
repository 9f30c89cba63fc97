"""Every signed-in page of the examples fits a 375 px phone and has a way to sign out; a refusal looks like the site."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)  # the other xdist worker shares a busy 2-core machine
    yield page
    context.close()


def fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def allow(page, who: str) -> None:
    page.get_by_text(who).click()
    page.get_by_role("button", name="Allow").click()


def test_the_quickstart_profile_fits_and_signs_out(phone, serve_example):
    site = serve_example("quickstart")
    phone.goto(site)
    phone.click("#line-login")
    allow(phone, "Cony")
    phone.wait_for_url(f"{site}/profile")
    fits_the_phone(phone)
    phone.click("#logout")
    phone.wait_for_url(f"{site}/")


def test_the_module_dashboard_fits_and_signs_out(phone, serve_example):
    site = serve_example("module_provider")
    phone.goto(site)
    phone.click("#line-login")
    allow(phone, "Brown")
    phone.wait_for_url(f"{site}/")
    fits_the_phone(phone)
    phone.click("#attach")
    allow(phone, "Cony Flowers")
    phone.wait_for_url(f"{site}/dashboard")
    fits_the_phone(phone)
    phone.click("#logout")
    phone.wait_for_url(f"{site}/")


def test_the_works_intranet_fits_and_signs_out(phone, serve_example):
    site = serve_example("works")
    phone.goto(site)
    phone.click("#works-login")
    allow(phone, "Sato Bob")
    phone.wait_for_url(f"{site}/intranet")
    fits_the_phone(phone)
    phone.click("#logout")
    phone.wait_for_url(f"{site}/")


def test_the_liff_session_page_fits_and_signs_out(phone, serve_example):
    site = serve_example("liff")
    phone.goto(site)
    phone.select_option("#liff-user", "Cony")
    phone.click("#liff-login")
    phone.wait_for_function("document.querySelector('#api-result').textContent.length > 0")
    phone.click("#start-session")
    phone.wait_for_url(f"{site}/me")
    fits_the_phone(phone)
    phone.click("#logout")
    phone.wait_for_url(f"{site}/")


def test_members_pages_fit_and_the_staff_refusal_looks_like_the_site(phone, serve_example):
    site = serve_example("members")
    phone.goto(site)
    phone.click("#line-login")
    allow(phone, "Brown")
    phone.wait_for_url(f"{site}/account")
    fits_the_phone(phone)
    answer = phone.goto(f"{site}/staff")
    assert answer.status == 403
    assert phone.text_content("#forbidden-title") == "This page is for staff"
    assert phone.is_visible("#sign-out")  # the site's own header, with its sign-out
    fits_the_phone(phone)
    phone.click("#sign-out")
    phone.wait_for_url(f"{site}/")
