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


# Products load when the app uses them -------------------------------------------------------------------------------

#: The code of the products a LINE Login site leaves out, their settings tables included (read when the app's
#: config has a key of the product, or to name the key a typo meant).
PRODUCT_MODULES = {
    "LINE WORKS": (
        "flask_line._works.assembly",
        "flask_line._works.companies",
        "flask_line._works.service",
        "flask_line._works.settings",
    ),
    "module channel": (
        "flask_line._module.assembly",
        "flask_line._module.service",
        "flask_line._module.flow",
        "flask_line._module.settings",
    ),
    "Messaging API": (
        "flask_line._messaging.assembly",
        "flask_line._messaging.routing",
        "flask_line._messaging.service",
        "flask_line._messaging.settings",
    ),
    "module attachments": ("flask_line._store.attachments", "flask_line._module.choices"),
    "bearer tokens": ("flask_line._login.bearer",),
    "SQLite store": ("flask_line._store.sqlite", "sqlite3"),
    "SQLAlchemy store": ("flask_line._store.sql", "flask_line.sqlalchemy", "sqlalchemy"),
    "doctor": ("flask_line._doctor",),
}

SITE = """
import json, sys
from flask import Flask
from flask_line import LineOAuth
app = Flask("site", instance_path=sys.argv[1])
app.config.update(SECRET_KEY="k", LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="s" * 32,
                  **json.loads(sys.argv[2]))
line = LineOAuth(app)
app.test_client().get("/")
loaded = sorted(name for name in sys.modules if name.startswith(("flask_line", "sqlalchemy", "sqlite3")))
with app.app_context():
    products = {"LINE WORKS": line.works.settings.client_id if "LINE_WORKS_CLIENT_ID" in app.config else None,
                "module channel": line.module.settings.channel_id if "LINE_MODULE_CHANNEL_ID" in app.config else None}
print(json.dumps([loaded, products]))
"""


def run_site(tmp_path, config):
    output = subprocess.run(
        [sys.executable, "-c", SITE, str(tmp_path), json.dumps(config)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output)


def test_a_line_login_site_loads_no_other_product(tmp_path):
    loaded, _ = run_site(tmp_path, {})
    for product, modules in PRODUCT_MODULES.items():
        assert not set(modules) & set(loaded), f"{product} loaded: {sorted(set(modules) & set(loaded))}"
    assert "flask_line._login.service" in loaded


def test_configuring_line_works_or_a_module_channel_loads_it(tmp_path):
    loaded, products = run_site(
        tmp_path,
        {
            "LINE_WORKS_CLIENT_ID": "works-client",
            "LINE_WORKS_CLIENT_SECRET": "works-secret",
            "LINE_MODULE_CHANNEL_ID": "2000000000",
            "LINE_MODULE_CHANNEL_SECRET": "module-secret",
        },
    )
    assert set(PRODUCT_MODULES["LINE WORKS"]) <= set(loaded)
    assert set(PRODUCT_MODULES["module channel"]) <= set(loaded)
    assert products == {"LINE WORKS": "works-client", "module channel": "2000000000"}
    assert not set(PRODUCT_MODULES["Messaging API"]) & set(loaded), "the Messaging API stays out"


def test_a_product_named_only_by_its_settings_is_read_when_first_asked_for(tmp_path):
    program = """
import sys, warnings
from flask import Flask
from flask_line import LineOAuth
warnings.simplefilter("error")
app = Flask("site", instance_path=sys.argv[1])
app.config.update(SECRET_KEY="k", LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="s" * 32,
                  LINE_EMULATOR_URL="http://127.0.0.1:5005")
line = LineOAuth(app)
app.config["LINE_WORKS_API_URL"] = "https://changed.example"  # after init_app: not read
assert "flask_line._works.settings" not in sys.modules
with app.app_context():
    print(line.settings.works.api_url, line.settings.works.enabled, line.settings.module.scopes != ())
"""
    output = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["http://127.0.0.1:5005/v1.0", "False", "True"], "the defaults, as init_app saw the config"


def test_sqlite_loads_only_for_a_store_kept_in_sqlite(tmp_path):
    program = """
import json, sys
from flask import Flask
from flask_line import LineOAuth
app = Flask("site", instance_path=sys.argv[1])
app.config.update(SECRET_KEY="k", LINE_LOGIN_CHANNEL_ID="1650000000", LINE_LOGIN_CHANNEL_SECRET="s" * 32,
                  LINE_SESSION_SETUP=False)  # the site's own (cookie) sessions
line = LineOAuth(app)
line.link_user(lambda identity, linked_user_id: None)
client = app.test_client()
client.get("/")
client.get("/line/login")
before = "sqlite3" in sys.modules
with app.app_context():
    line.account_links.find("line", "U1")  # the default store: an SQLite file in the instance folder
print(json.dumps([before, "sqlite3" in sys.modules]))
"""
    output = subprocess.run(
        [sys.executable, "-c", program, str(tmp_path)], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(output) == [False, True]
