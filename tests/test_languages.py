"""Every page flask-line shows speaks the visitor's language: negotiation, Flask-Babel, ui_locales, overrides."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask

from flask_line.errors import ConfigurationError
from flask_line.testing import EmulatorServer

from .conftest import AppFactory, follow_login

#: The cancelled-sign-in page's title in each shipped language, and the <html lang> it carries.
CANCELLED = {
    "ja": ("ja", "ログインがキャンセルされました"),
    "zh-TW": ("zh-TW", "已取消登入"),
    "th": ("th", "ยกเลิกการเข้าสู่ระบบแล้ว"),
    "id": ("id", "Proses masuk dibatalkan"),
    "en": ("en", "Sign-in was cancelled"),
}


def cancelled_page(app: Flask, line: EmulatorServer, accept_language: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept_language
    return follow_login(client, line, allow=False)


@pytest.mark.parametrize("accept_language", sorted(CANCELLED))
def test_the_cancelled_page_speaks_the_browsers_language(
    make_app: AppFactory, line_platform: EmulatorServer, accept_language: str
) -> None:
    page = cancelled_page(make_app(), line_platform, accept_language)
    lang, title = CANCELLED[accept_language]
    text = page.get_data(as_text=True)
    assert page.status_code == 403
    assert f'<html lang="{lang}">' in text
    assert f'<h1 id="error-title">{title}</h1>' in text


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("zh-Hant-TW", "zh-TW"),
        ("zh-HK,zh;q=0.8", "zh-TW"),
        ("zh-HK,en;q=0.5", "zh-TW"),  # the visitor's first choice is served, not the header's first exact match
        ("zh-CN,en;q=0.5", "en"),  # Simplified Chinese readers are not served Traditional
        ("en-US,ja;q=0.9", "en"),
        ("th-TH", "th"),
        ("in", "id"),
        ("fr-FR,de;q=0.5", "en"),
        ("ko-KR,ja;q=0.3", "ja"),
        ("", "en"),
    ],
)
def test_browsers_tags_are_matched_to_the_closest_language(
    make_app: AppFactory, line_platform: EmulatorServer, header: str, lang: str
) -> None:
    page = cancelled_page(make_app(), line_platform, header)
    assert f'<html lang="{lang}">' in page.get_data(as_text=True)


def test_line_locales_limits_the_languages_and_the_default_is_used_otherwise(
    make_app: AppFactory, line_platform: EmulatorServer
) -> None:
    app = make_app(LINE_LOCALES=["ja", "en"], LINE_DEFAULT_LOCALE="ja")
    assert '<html lang="ja">' in cancelled_page(app, line_platform, "th").get_data(as_text=True)
    assert '<html lang="en">' in cancelled_page(app, line_platform, "en-GB").get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"LINE_LOCALES": ["en", "japanese!"]}, "LINE_LOCALES"),
        ({"LINE_LOCALES": []}, "LINE_LOCALES"),
        ({"LINE_DEFAULT_LOCALE": "ko"}, "LINE_DEFAULT_LOCALE"),
    ],
)
def test_bad_language_settings_fail_at_init_app(make_app: AppFactory, overrides: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        make_app(**overrides)
    assert raised.value.key == key


def test_json_clients_read_the_message_in_their_language(make_app: AppFactory) -> None:
    client = make_app().test_client()
    answer = client.get("/profile", headers={"Accept": "application/json", "Accept-Language": "ja"})
    assert answer.status_code == 401
    assert answer.json is not None
    assert answer.json["error"] == "not_authenticated"  # the code stays the same in every language
    assert answer.json["message"] == "続けるにはLINEでログインしてください。"


def test_the_sign_out_and_accounts_pages_are_translated(make_app: AppFactory, line_platform: EmulatorServer) -> None:
    client = make_app().test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-TW"
    follow_login(client, line_platform)
    logout = client.get("/line/logout").get_data(as_text=True)
    assert "要登出嗎？" in logout and "不要登出" in logout  # not 保持登入, which reads as "remember me"
    assert '<html lang="zh-TW">' in logout


@pytest.mark.parametrize(
    ("language", "stay"),
    [("ja", "ログアウトしない"), ("th", "ไม่ออกจากระบบ"), ("id", "Jangan keluar"), ("en", "Stay signed in")],
)
def test_the_sign_out_pages_second_button_says_do_not_sign_out(
    make_app: AppFactory, line_platform: EmulatorServer, language: str, stay: str
) -> None:
    client = make_app().test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    follow_login(client, line_platform)
    logout = client.get("/line/logout").get_data(as_text=True)
    assert f'id="stay">{stay}</a>' in logout


def test_flask_babels_locale_selector_wins_over_the_header(make_app: AppFactory, line_platform: EmulatorServer) -> None:
    flask_babel = pytest.importorskip("flask_babel")
    app = make_app()
    flask_babel.Babel(app, locale_selector=lambda: "th_TH")
    page = cancelled_page(app, line_platform, "ja")
    assert '<html lang="th">' in page.get_data(as_text=True)
    assert "ยกเลิกการเข้าสู่ระบบแล้ว" in page.get_data(as_text=True)


def test_a_flask_babel_locale_without_a_catalog_shows_the_default(
    make_app: AppFactory, line_platform: EmulatorServer
) -> None:
    flask_babel = pytest.importorskip("flask_babel")
    app = make_app()
    flask_babel.Babel(app, locale_selector=lambda: "ko")
    assert '<html lang="en">' in cancelled_page(app, line_platform, "ja").get_data(as_text=True)


def test_a_failing_flask_babel_selector_falls_back_to_the_header(
    make_app: AppFactory, line_platform: EmulatorServer
) -> None:
    flask_babel = pytest.importorskip("flask_babel")
    app = make_app()

    def broken() -> str:
        raise RuntimeError("the user table is down")

    flask_babel.Babel(app, locale_selector=broken)
    assert '<html lang="id">' in cancelled_page(app, line_platform, "id").get_data(as_text=True)


def authorize_params(app: Flask, accept_language: str, query: str = "") -> dict[str, list[str]]:
    client = app.test_client()
    start = client.get(f"/line/login{query}", headers={"Accept-Language": accept_language})
    assert start.status_code == 302
    return parse_qs(urlsplit(start.location).query)


def test_line_is_asked_for_the_language_the_site_shows(make_app: AppFactory) -> None:
    app = make_app()
    assert authorize_params(app, "ja-JP,ja;q=0.9")["ui_locales"] == ["ja"]
    assert authorize_params(app, "zh-Hant-TW")["ui_locales"] == ["zh-TW"]
    assert authorize_params(app, "fr")["ui_locales"] == ["en"]


def test_the_sites_own_ui_locales_wins(make_app: AppFactory) -> None:
    assert authorize_params(make_app(LINE_LOGIN_UI_LOCALES="th"), "ja")["ui_locales"] == ["th"]
    assert authorize_params(make_app(), "ja", "?ui_locales=id")["ui_locales"] == ["id"]


def test_ui_locales_follows_flask_babel(make_app: AppFactory) -> None:
    flask_babel = pytest.importorskip("flask_babel")
    app = make_app()
    flask_babel.Babel(app, locale_selector=lambda: "zh_Hant_TW")
    assert authorize_params(app, "en")["ui_locales"] == ["zh-TW"]


def test_login_v20_sends_no_ui_locales(make_app: AppFactory) -> None:
    assert "ui_locales" not in authorize_params(make_app(LINE_LOGIN_VERSION="2.0"), "ja")


def compile_catalog(folder: Path, locale: str, strings: dict[str, str]) -> None:
    catalog = Catalog(locale=locale, domain="flask_line")
    for message, translation in strings.items():
        catalog.add(message, translation)
    target = folder / locale / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "flask_line.mo").open("wb") as file:
        write_mo(file, catalog)


def test_a_sites_translation_wins_string_by_string(
    make_app: AppFactory, line_platform: EmulatorServer, tmp_path: Path
) -> None:
    compile_catalog(tmp_path / "site-translations", "ja", {"Sign-in was cancelled": "ログインを中止しました"})
    app = make_app(LINE_TRANSLATION_DIRECTORIES=[str(tmp_path / "site-translations")])
    text = cancelled_page(app, line_platform, "ja").get_data(as_text=True)
    assert "ログインを中止しました" in text  # the site's wording
    assert "もう一度試す" in text  # every other string still shipped


def test_a_site_can_add_a_language(make_app: AppFactory, line_platform: EmulatorServer, tmp_path: Path) -> None:
    compile_catalog(tmp_path / "translations", "ko", {"Sign-in was cancelled": "로그인이 취소되었습니다"})
    app = make_app(LINE_LOCALES=["en", "ko"], LINE_TRANSLATION_DIRECTORIES=[str(tmp_path / "translations")])
    text = cancelled_page(app, line_platform, "ko-KR").get_data(as_text=True)
    assert '<html lang="ko">' in text and "로그인이 취소되었습니다" in text


def test_a_site_template_overrides_a_block_and_keeps_the_translations(
    make_app: AppFactory, line_platform: EmulatorServer, tmp_path: Path
) -> None:
    templates = tmp_path / "templates" / "flask_line"
    templates.mkdir(parents=True)
    (templates / "page.html").write_text(
        '<html lang="{{ html_lang }}"><title>{% block title %}{% endblock %} | Shop</title>'
        '<body class="shop">{% block content %}{% endblock %}</body></html>'
    )
    app = make_app()
    app.template_folder = str(tmp_path / "templates")
    text = cancelled_page(app, line_platform, "ja").get_data(as_text=True)
    assert '<body class="shop">' in text
    assert "<title>ログインがキャンセルされました | Shop</title>" in text


@pytest.mark.parametrize(
    ("headers", "ui_locales", "expected"),
    [
        ({"Accept-Language": "ja"}, "", ("ja", "どのLINEアカウントでログインしますか？", "許可する")),
        ({"Accept-Language": "en"}, "zh-TW", ("zh-TW", "要使用哪個LINE帳號登入？", "許可")),
        ({"Accept-Language": "th"}, "", ("th", "ต้องการเข้าสู่ระบบด้วยบัญชี LINE ใด", "อนุญาต")),
        ({"Accept-Language": "id-ID"}, "", ("id", "Masuk dengan akun LINE yang mana?", "Izinkan")),
        ({"Accept-Language": "fr"}, "", ("en", "Log in with which LINE account?", "Allow")),
    ],
)
def test_the_emulators_consent_screen_speaks_ui_locales_then_the_browsers_language(
    make_app: AppFactory,
    line_platform: EmulatorServer,
    headers: dict[str, str],
    ui_locales: str,
    expected: tuple[str, ...],
) -> None:
    login = "/line/login" + (f"?ui_locales={ui_locales}" if ui_locales else "")
    start = make_app(LINE_LOCALES=["en"]).test_client().get(login)
    if not ui_locales:  # as a site whose pages speak no language of the visitor's would: LINE uses the header
        start.location = start.location.replace("&ui_locales=en", "")
    page = requests.get(start.location, headers=headers, timeout=10)
    lang, question, allow = expected
    assert f'<html lang="{lang}">' in page.text
    assert question in page.text
    assert re.search(rf'value="allow">{re.escape(allow)}</button>', page.text)


@pytest.mark.parametrize(
    ("accept_language", "shown"),
    [
        ("zh-CN", "登录已取消"),
        ("zh-Hans", "登录已取消"),
        ("zh", "登录已取消"),
        ("zh-SG", "登录已取消"),
        ("zh-HK", "已取消登入（香港）"),
        ("zh-MO", "已取消登入（香港）"),
        ("zh-TW", "已取消登入"),
    ],
)
def test_a_sites_simplified_and_hong_kong_catalogs_are_reached_through_accept_language(
    make_app: AppFactory, line_platform: EmulatorServer, tmp_path: Path, accept_language: str, shown: str
) -> None:
    compile_catalog(tmp_path / "translations", "zh_CN", {"Sign-in was cancelled": "登录已取消"})
    compile_catalog(tmp_path / "translations", "zh_HK", {"Sign-in was cancelled": "已取消登入（香港）"})
    app = make_app(
        LINE_LOCALES=["en", "zh_TW", "zh_CN", "zh_HK"], LINE_TRANSLATION_DIRECTORIES=[str(tmp_path / "translations")]
    )
    text = cancelled_page(app, line_platform, accept_language).get_data(as_text=True)
    assert f'<h1 id="error-title">{shown}</h1>' in text


def test_simplified_chinese_is_never_served_traditional(make_app: AppFactory, line_platform: EmulatorServer) -> None:
    text = cancelled_page(make_app(), line_platform, "zh-CN").get_data(as_text=True)
    assert '<html lang="en">' in text  # the default, not Taiwan's catalog


@pytest.mark.parametrize(
    ("selected", "lang", "shown"), [("zh_Hans_CN", "zh-CN", "登录已取消"), ("zh_HK", "zh-HK", "已取消登入（香港）")]
)
def test_a_sites_zh_cn_and_zh_hk_catalogs_are_reached_through_flask_babel(
    make_app: AppFactory, line_platform: EmulatorServer, tmp_path: Path, selected: str, lang: str, shown: str
) -> None:
    flask_babel = pytest.importorskip("flask_babel")
    compile_catalog(tmp_path / "translations", "zh_CN", {"Sign-in was cancelled": "登录已取消"})
    compile_catalog(tmp_path / "translations", "zh_HK", {"Sign-in was cancelled": "已取消登入（香港）"})
    app = make_app(
        LINE_LOCALES=["en", "zh_TW", "zh_CN", "zh_HK"], LINE_TRANSLATION_DIRECTORIES=[str(tmp_path / "translations")]
    )
    flask_babel.Babel(app, locale_selector=lambda: selected)
    text = cancelled_page(app, line_platform, "en").get_data(as_text=True)
    assert f'<html lang="{lang}">' in text and f'<h1 id="error-title">{shown}</h1>' in text


def test_the_emulator_reads_the_old_in_tag_as_indonesian(make_app: AppFactory, line_platform: EmulatorServer) -> None:
    start = make_app(LINE_LOCALES=["en"]).test_client().get("/line/login")
    page = requests.get(start.location.replace("&ui_locales=en", ""), headers={"Accept-Language": "in-ID"}, timeout=10)
    assert '<html lang="id">' in page.text and "Masuk dengan akun LINE yang mana?" in page.text
