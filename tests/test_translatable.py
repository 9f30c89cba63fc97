"""Translation no caller can forget: marked strings translate themselves where they are shown, every title and
explanation in the package is marked and in the catalogs, and Flask-Babel serves flask-line's catalogs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import jsonify

from flask_line import line_token_required
from flask_line._translatable import N_, LazyText
from flask_line.testing import EmulatorServer

from .conftest import AppFactory
from .test_module import attach

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "flask_line"
POT = PACKAGE / "translations" / "flask_line.pot"
#: The attributes a visitor reads.
VISITOR_FACING = {"title", "explanation", "denied_title"}


def unmarked(source: str) -> list[str]:
    """Assignments of a literal string to a visitor-facing attribute (``title = "Oops"``), not ``N_("Oops")``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = {target.id if isinstance(target, ast.Name) else getattr(target, "attr", "") for target in targets}
        if names & VISITOR_FACING and isinstance(value, (ast.Constant, ast.JoinedStr)):
            found.append(ast.unparse(node))
    return found


def marked(source: str) -> set[str]:
    """The messages marked with ``N_("...")`` in ``source``."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "N_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


PRODUCT_MODULES = sorted(path for path in PACKAGE.rglob("*.py") if "testing" not in path.relative_to(PACKAGE).parts)


def test_no_title_or_explanation_anywhere_in_the_package_is_unmarked() -> None:
    found = {str(path.relative_to(ROOT)): unmarked(path.read_text()) for path in PRODUCT_MODULES}
    assert {path: lines for path, lines in found.items() if lines} == {}


def test_every_marked_string_of_the_package_is_in_the_pot() -> None:
    with POT.open("rb") as file:
        template = {message.id for message in read_po(file) if message.id}
    strings = set().union(*(marked(path.read_text()) for path in PRODUCT_MODULES))
    assert "The attach was cancelled" in strings  # the module's denied_title, in a subpackage
    assert strings - template == set(), "run `make catalogs` and translate the new strings"


def test_the_unmarked_check_finds_a_literal_title() -> None:
    source = 'class E:\n    title = "Oops"\n    explanation: str = N_("Fine")\n    denied_title = f"{x}"\n'
    assert unmarked(source) == ["title = 'Oops'", "denied_title = f'{x}'"]
    assert unmarked("error.title = N_('Fine')\nerror.title = message\n") == []


def test_a_marked_string_is_english_outside_a_request_and_the_visitors_language_inside(make_app: AppFactory):
    text = N_("Sign out")
    assert isinstance(text, LazyText) and str(text) == "Sign out"
    app = make_app()
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        assert str(text) == "ログアウト" and f"{text}?" == "ログアウト?"
    with app.test_request_context(headers={"Accept-Language": "th"}):
        assert str(text) == "ออกจากระบบ"


def test_the_bearer_refusals_json_message_is_translated(make_app: AppFactory) -> None:
    app = make_app()

    @app.get("/token/ping")
    @line_token_required
    def ping():
        return jsonify(ok=True)

    answer = app.test_client().get(
        "/token/ping", headers={"Authorization": "Bearer not-a-token", "Accept-Language": "ja"}
    )
    assert answer.status_code == 401
    assert answer.json == {
        "error": "invalid_token",
        "message": "このLINEの認証情報は無効です。もう一度LINEでログインしてください。",
    }
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.isascii() and 'error="invalid_token"' in challenge  # RFC 6750: the header stays ASCII


def test_the_session_exchanges_media_type_refusal_is_translated(make_app: AppFactory) -> None:
    answer = (
        make_app()
        .test_client()
        .post("/line/session", data="id_token=x", headers={"Accept-Language": "zh-TW", "Sec-Fetch-Site": "same-origin"})
    )
    assert answer.status_code == 415
    assert answer.json == {"error": "unsupported_media_type", "message": "請傳送包含id_token的JSON。"}


def test_a_cancelled_attach_has_a_translated_title(make_app: AppFactory, line_platform: EmulatorServer) -> None:
    app = make_app()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ja"
    page = attach(client, line_platform, allow=False)
    assert page.status_code == 403
    assert '<h1 id="error-title">連携がキャンセルされました</h1>' in page.get_data(as_text=True)


def test_flask_babel_serves_flask_lines_catalogs_through_a_domain(make_app: AppFactory, tmp_path: Path) -> None:
    flask_babel = pytest.importorskip("flask_babel")
    app = make_app()
    flask_babel.Babel(app, locale_selector=lambda: "zh_Hant_TW")
    domain = app.extensions["line.languages"].babel_domain
    assert isinstance(domain, flask_babel.Domain) and domain.domain == ["flask_line"]
    with app.test_request_context():
        assert str(N_("Sign out")) == "登出"
        assert domain.cache, "the strings came through Flask-Babel's domain (and its cache)"
