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
