"""The shops example in a real Chromium: two shops, two LINE Login channels, one browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def join(page, site: str, shop: str, who: str, *, add_friend: bool) -> None:
    page.goto(f"{site}/shops/{shop}/")
    page.click("#join")
    page.get_by_text(who).click()
    if add_friend:
        page.check("input[name=add_friend]")  # bot_prompt: the shop's Official Account is offered as a friend
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{site}/shops/{shop}/card")


def test_two_shops_side_by_side_each_with_its_own_channel(page, serve_example, emulator, shoot):
    site = serve_example("shops")
    join(page, site, "tea", "Brown", add_friend=True)
    assert page.text_content("#member-name") == "Brown"
    assert page.text_content("#channel-id") == "1650000101"
    shoot(page, "shops-tea-card")

    page.goto(f"{site}/shops/cake/")
    assert page.is_visible("#join"), "a member of the tea house is not signed in at the cake shop"
    join(page, site, "cake", "Cony", add_friend=False)
    assert page.text_content("#channel-id") == "1650000102"

    page.goto(f"{site}/shops/tea/card")
    assert page.text_content("#member-name") == "Brown", "each shop keeps its own member"
    page.click("#logout")
    page.wait_for_url(f"{site}/shops/tea/")
    assert page.is_visible("#join")
    page.goto(f"{site}/shops/cake/card")
    assert page.text_content("#member-name") == "Cony", "signing out of one shop leaves the other"


def test_a_shop_without_line_login_is_a_clean_404(page, serve_example):
    site = serve_example("shops")
    answer = page.goto(f"{site}/line/login?shop=nowhere")
    assert answer.status == 404
    assert page.text_content("#error-title") == "Not available"
