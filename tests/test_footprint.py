"""Heavy dependencies load on first use: importing flask-line and serving a page that is not LINE's loads none."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("authlib", "joserfc", "cryptography", "requests", "urllib3", "msgspec", "flask_session")

PROGRAM = """
import json, sys
from flask import Flask
from flask_line import LineOAuth
app = Flask("light", instance_path=sys.argv[1])
app.config.update(SECRET_KEY="k", LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="secret",
                  LINE_MODULE_CHANNEL_ID="2000000000", LINE_MODULE_CHANNEL_SECRET="secret",
                  LINE_SESSION_SETUP=sys.argv[2] == "default")
LineOAuth(app)

@app.get("/")
def home():
    return "home"

assert app.test_client().get("/").data == b"home"
loaded_before_login = sorted({name.split(".")[0] for name in sys.modules})
app.test_client().get("/line/login")
print(json.dumps([loaded_before_login, sorted({name.split(".")[0] for name in sys.modules})]))
"""


@pytest.mark.parametrize("sessions", ["default", "own"])
def test_serving_a_plain_page_loads_no_heavy_dependency(tmp_path, sessions):
    output = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path), sessions], capture_output=True, text=True, check=True
    ).stdout
    before_login, after_login = json.loads(output)
    assert not set(HEAVY) & set(before_login), f"loaded early: {set(HEAVY) & set(before_login)}"
    assert "msgspec" not in before_login and "flask_session" not in before_login, "the session store waits too"
    assert "authlib" in after_login, "a login start loads what it needs (PKCE, state)"


PUBLIC_NAMES = """
import json, sys
import flask_line
loaded_by_import = sorted(name for name in sys.modules if name.startswith("flask_line."))
resolved = {}
for name in flask_line.__all__:
    namespace = {}
    exec(f"from flask_line import {name}", namespace)
    resolved[name] = namespace[name] is getattr(flask_line, name) and namespace[name] is not None
print(json.dumps([loaded_by_import, resolved, sorted(set(flask_line.__all__) - set(dir(flask_line)))]))
"""


def test_import_flask_line_loads_no_part_until_a_name_is_used_and_every_public_name_resolves():
    output = subprocess.run([sys.executable, "-c", PUBLIC_NAMES], capture_output=True, text=True, check=True).stdout
    loaded_by_import, resolved, missing_from_dir = json.loads(output)
    assert loaded_by_import == [], "import flask_line loads its parts only when a public name is used"
    import flask_line

    assert resolved == dict.fromkeys(flask_line.__all__, True)
    assert missing_from_dir == []


def test_an_unknown_name_is_an_attribute_error_at_once():
    import flask_line

    with pytest.raises(AttributeError, match="LineOuath"):
        flask_line.LineOuath  # noqa: B018
    with pytest.raises(ImportError):
        exec("from flask_line import line_login_requried", {})
