"""The sign-in, cancel and error pages, and the emulator's consent screens, in each language a browser asks for."""

from __future__ import annotations

import subprocess

import pytest

pytestmark = pytest.mark.browser

#: What each page says in each language: (<html lang>, the consent screen's Allow, the cancelled title, the
#: title of the page a stale sign-in link shows).
LANGUAGES = {
    "ja-JP": ("ja", "許可する", "ログインがキャンセルされました", "LINEログインに失敗しました"),
    "zh-TW": ("zh-TW", "許可", "已取消登入", "LINE登入失敗"),
    "th-TH": ("th", "อนุญาต", "ยกเลิกการเข้าสู่ระบบแล้ว", "เข้าสู่ระบบด้วย LINE ไม่สำเร็จ"),
    "id-ID": ("id", "Izinkan", "Proses masuk dibatalkan", "Gagal masuk dengan LINE"),
    "en-US": ("en", "Allow", "Sign-in was cancelled", "LINE sign-in failed"),
}


def test_the_fonts_for_every_language_are_installed() -> None:
    for language in ("ja", "zh-tw", "th"):
        fonts = subprocess.run(["fc-list", f":lang={language}"], capture_output=True, text=True, check=False).stdout
        assert fonts.strip(), f"no font for {language}: the screenshots would show empty boxes (.ci/run installs them)"


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_sign_in_cancel_and_error_pages_speak_the_browsers_language(browser, serve_example, shoot, locale):
    lang, allow, cancelled, failed = LANGUAGES[locale]
    context = browser.new_context(locale=locale, viewport={"width": 390, "height": 720})
    page = context.new_page()
    page.set_default_timeout(30_000)  # the other xdist worker shares a busy 2-core machine
    try:
        site = serve_example("quickstart")
        page.goto(site)
        page.click("#line-login")
        page.wait_for_selector("#product")
        assert page.get_attribute("html", "lang") == lang  # LINE's screen was asked for the page's language
        assert page.get_by_role("button", name=allow).is_visible()
        shoot(page, f"lang-{lang}-consent")

        page.click("button.deny")
        page.wait_for_selector("#error-title")
        assert page.get_attribute("html", "lang") == lang
        assert page.text_content("#error-title") == cancelled
        shoot(page, f"lang-{lang}-cancelled")

        page.goto(f"{site}/line/callback?code=stale&state=stale")
        assert page.get_attribute("html", "lang") == lang
        assert page.text_content("#error-title") == failed
        assert page.is_visible("#try-again") or page.is_visible("#home")
        shoot(page, f"lang-{lang}-error")
    finally:
        context.close()
