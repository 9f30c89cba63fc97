"""Every page flask-line and its emulator show reads well on a 375 px and a 320 px phone, in every shipped language.

Measured in the browser, not guessed from ``scrollWidth``: each text node's characters are located with
``Range.getClientRects`` to find where its lines break, and a break inside a word (by ``Intl.Segmenter``, the
dictionary Chromium's own line breaker uses) fails; a button's label is on one line; a name or an id is on at most
two; the card keeps a margin on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from flask_line.testing import EmulatorServer
from flask_line.testing.accounts import EmulatedBot

pytestmark = pytest.mark.browser

WIDTHS = (375, 320)
LOCALES = ("en-US", "ja-JP", "zh-TW", "th-TH", "id-ID")

#: An Official Account with a name as long as LINE allows (20 characters) in each market's script.
LONG_NAMES = {
    "en-US": "Cony Flower & Coffee",
    "ja-JP": "コニーのお花屋さん渋谷駅東口店",
    "zh-TW": "熊大咖啡 信義威秀門市",
    "th-TH": "ร้านดอกไม้โคนี่ สยาม",
    "id-ID": "Toko Bunga Cony Solo",
}
LONG_BOT_ID = "Ud3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8"
CONY_FLOWERS = "Uc2a1d3b4e5f60718293a4b5c6d7e8f90"

#: What the browser measures on a page: a list of problems, each a sentence (empty when the page reads well).
MEASURE = r"""
() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const lang = document.documentElement.lang || "en";
  if (document.documentElement.scrollWidth > width) {
    problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  }
  const card = document.querySelector("main, .card");
  const box = card.getBoundingClientRect();
  if (box.left < 8 || width - box.right < 8) {
    problems.push(`the card runs to the screen's edge (${Math.round(box.left)}..${Math.round(box.right)})`);
  }
  // The tops of the lines a node's (or element's) text is laid out on.
  const lineTops = (range) => {
    const tops = [];
    for (const rect of range.getClientRects()) {
      if (rect.width < 1) continue;
      if (!tops.some((top) => Math.abs(top - rect.top) < rect.height / 2)) tops.push(rect.top);
    }
    return tops;
  };
  const linesOf = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return lineTops(range).length;
  };
  // Japanese: ICU's dictionary splits a verb's kana ending (さ|れ|ま|した), so a line that starts with the last one
  // or two kana of a sentence or clause (「…されまし|た」, 「…くださ|い」) is checked on its own.
  const kana = /\p{Script=Hiragana}/u;
  const inFinalKana = (text, index) => {
    if (!kana.test(text[index - 1]) || !kana.test(text[index])) return false;
    let end = index;
    while (end < text.length && kana.test(text[end])) end++;
    return end - index <= 2 && (end === text.length || /[\p{P}\s]/u.test(text[end]));
  };
  const isId = (node) => node.parentElement.closest("code, .id, small") !== null;
  const words = new Intl.Segmenter(lang, { granularity: "word" });
  const graphemes = new Intl.Segmenter(lang, { granularity: "grapheme" });
  const walker = document.createTreeWalker(card, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.data;
    if (!text.trim() || isId(node) || node.parentElement.closest("style, script")) continue;
    const boundaries = new Set([...words.segment(text)].map((s) => s.index));
    let previousTop = null;
    for (const { index, segment } of graphemes.segment(text)) {
      if (!segment.trim()) continue;
      const range = document.createRange();
      range.setStart(node, index);
      range.setEnd(node, index + segment.length);
      const rect = [...range.getClientRects()].find((r) => r.width > 0);
      if (!rect) continue;
      const newLine = previousTop !== null && rect.top > previousTop + rect.height / 2;
      if (newLine && lang.startsWith("ja") && inFinalKana(text, index)) {
        problems.push(`a sentence's ending is broken at "${text.slice(0, index)}|" in "${text.trim()}"`);
      } else if (newLine && !boundaries.has(index)) {
        const word = [...words.segment(text)].find((s) => s.index <= index && index < s.index + s.segment.length);
        problems.push(`"${word.segment}" is broken at "${text.slice(word.index, index)}|" in "${text.trim()}"`);
      }
      previousTop = rect.top;
    }
  }
  for (const button of card.querySelectorAll("button, .button")) {
    if (!button.offsetParent) continue;
    const lines = linesOf(button);
    if (lines !== 1) problems.push(`the button "${button.textContent.trim()}" is on ${lines} lines`);
    const edge = button.getBoundingClientRect();
    if (edge.right > box.right + 0.5 || edge.left < box.left - 0.5) {
      problems.push(`the button "${button.textContent.trim()}" sticks out of the card`);
    }
  }
  for (const name of card.querySelectorAll(".who, .who small, [data-user], code")) {
    const lines = linesOf(name.matches(".who") ? name.firstChild : name);
    if (lines > 2) problems.push(`"${name.textContent.trim()}" is on ${lines} lines`);
  }
  return problems;
}
"""


def measure(page: Any, where: str) -> list[str]:
    """The problems of the page now on screen, at each phone width (the page is laid out again at each)."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 720})
        problems += [f"{where} at {width} px: {problem}" for problem in page.evaluate(MEASURE)]
    return problems


def consent(page: Any, name: str | None = None, *, allow: bool = True) -> None:
    if name is not None:
        page.locator("[data-user]", has_text=name).first.click()
    page.locator("button.allow" if allow else "button.deny").click()


@pytest.fixture
def emulator_with_a_long_name(emulator: EmulatorServer) -> Callable[[str], None]:
    def add(locale: str) -> None:
        bot = EmulatedBot(LONG_BOT_ID, LONG_NAMES[locale], "@longname", "TW", "unverified")
        emulator.platform.bots[bot.bot_id] = bot

    return add


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(locale=request.param, viewport={"width": WIDTHS[0], "height": 720})
    page = context.new_page()
    page.set_default_timeout(30_000)  # a busy 2-core machine runs the other xdist worker beside it
    yield page
    context.close()


@pytest.mark.parametrize("phone", LOCALES, indirect=True)
def test_every_page_reads_well_on_a_phone(phone, serve_example, emulator, emulator_with_a_long_name, request):
    locale = request.node.callspec.params["phone"]
    emulator_with_a_long_name(locale)
    site = serve_example("module_provider")
    problems = []

    phone.goto(f"{site}/line/attach?next=/dashboard")
    phone.wait_for_selector("#product")
    problems += measure(phone, "LINE Login's consent screen")
    consent(phone, "Brown")
    phone.wait_for_selector("input[name=granted_scope]")
    problems += measure(phone, "the module's consent screen")
    consent(phone, LONG_NAMES[locale])
    phone.wait_for_url(f"{site}/dashboard")
    phone.goto(f"{site}/line/attach?next=/dashboard")
    consent(phone, "Cony Flowers")
    phone.wait_for_url(f"{site}/dashboard")

    phone.goto(f"{site}/line/accounts")
    assert phone.locator("li[data-bot-id]").count() == 2
    problems += measure(phone, "the account chooser")

    phone.locator(f"li[data-bot-id='{LONG_BOT_ID}'] form[action$='/accounts/detach'] button").click()
    phone.wait_for_selector("#detach-title")
    problems += measure(phone, "the detach question")

    phone.goto(f"{site}/line/logout")
    problems += measure(phone, "the sign-out page")

    phone.goto(f"{site}/line/attach?next=/dashboard")
    consent(phone, allow=False)
    phone.wait_for_selector("#error-title")
    problems += measure(phone, "the cancelled attach")

    phone.goto(f"{site}/line/callback?code=stale&state=stale")
    phone.wait_for_selector("#error-title")
    problems += measure(phone, "the stale sign-in link")

    phone.goto(f"{emulator.url}/oauth2/v2.1/authorize?client_id=nope&response_type=code")
    phone.wait_for_selector("#error-title")
    problems += measure(phone, "the emulator's error page")

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("lang", "text", "width", "found"),
    [
        ("en", "Extraordinarily", "4.5em", 'is broken at "Extr'),
        ("ja", "ログインがキャンセルされました", "14em", 'ending is broken at "ログインがキャンセルされまし|"'),
        ("th", "ยกเลิกการเชื่อมต่อ", "2.5em", "is broken at"),
    ],
)
def test_the_layout_check_finds_a_word_broken_mid_word(page, lang, text, width, found):
    """The measure itself: a card too narrow for a word, broken anywhere, is reported."""
    page.set_viewport_size({"width": 320, "height": 400})
    page.set_content(
        f'<html lang="{lang}"><body style="margin:0"><main style="margin:20px;width:{width};font:16px sans-serif;'
        f'overflow-wrap:anywhere">{text}</main></body></html>'
    )
    problems = page.evaluate(MEASURE)
    assert any(found in problem for problem in problems), problems


def test_the_layout_check_counts_a_buttons_lines(page):
    page.set_viewport_size({"width": 320, "height": 400})
    page.set_content(
        '<html lang="en"><body style="margin:0"><main style="margin:20px"><button style="width:5em">'
        "Attach another account</button></main></body></html>"
    )
    assert page.evaluate(MEASURE) == ['the button "Attach another account" is on 3 lines']


def test_the_emulators_console_reads_well_on_a_phone(page, emulator, serve_example):
    """The developer's console (English only) after a sign-in: its tables of ids fit, its words stay whole."""
    site = serve_example("quickstart")
    page.goto(site)
    page.click("#line-login")
    consent(page, "Cony")
    page.wait_for_url(f"{site}/profile")
    page.goto(emulator.url)
    page.wait_for_selector("#authorizations")
    problems = measure(page, "the emulator's console")
    assert not problems, "\n".join(problems)
