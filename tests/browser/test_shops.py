"""The shops example in a real Chromium: two shops, two LINE Login channels, one browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def consent(page, who: str, *, add_friend: bool) -> None:
    page.get_by_text(who).click()
    if add_friend:
        page.check("input[name=add_friend]")  # bot_prompt: the shop's Official Account is offered as a friend
    page.get_by_role("button", name="Allow").click()


def join(page, site: str, shop: str, who: str, *, add_friend: bool) -> None:
    page.goto(f"{site}/shops/{shop}/")
    page.click("#join")
    consent(page, who, add_friend=add_friend)
    page.wait_for_url(f"{site}/shops/{shop}/card")


def test_a_bookmarked_card_signs_in_at_its_own_shop_and_a_sign_out_leaves_the_other(
    page, serve_example, emulator, shoot
):
    site = serve_example("shops")
    page.goto(f"{site}/shops/cake/card")  # a fresh browser, straight from a bookmark
    assert "client_id=1650000102" in page.url, "sent to the cake shop's channel at LINE"
    consent(page, "Brown", add_friend=False)
    page.wait_for_url(f"{site}/shops/cake/card")
    assert page.text_content("#channel-id") == "1650000102"

    join(page, site, "tea", "Brown", add_friend=True)  # the same person, at a second shop
    assert page.text_content("#channel-id") == "1650000101"
    shoot(page, "shops-tea-card")

    page.goto(f"{site}/shops/cake/card")
    page.click("#logout")
    page.wait_for_url(f"{site}/shops/cake/")
    assert page.is_visible("#join"), "signed out of the cake shop"
    page.goto(f"{site}/shops/tea/card")
    assert page.text_content("#member-name") == "Brown", "still signed in at the tea house"


def test_another_person_at_another_shop_leaves_nothing_of_the_first(page, serve_example, emulator):
    site = serve_example("shops")
    join(page, site, "tea", "Brown", add_friend=False)
    join(page, site, "cake", "Cony", add_friend=False)
    assert page.text_content("#member-name") == "Cony"
    page.goto(f"{site}/shops/tea/")
    assert page.is_visible("#join"), "one person per browser: Brown is signed out everywhere"


def test_a_shop_without_line_login_is_a_clean_404(page, serve_example):
    site = serve_example("shops")
    answer = page.goto(f"{site}/line/login?shop=nowhere")
    assert answer.status == 404
    assert page.text_content("#error-title") == "Not available"
