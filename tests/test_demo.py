"""``flask_line.demo``: the demo channels' credentials, which a site falls back on without loading the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import flask_line.testing
from flask_line import demo

ROOT = Path(__file__).resolve().parents[1]

#: Loads an example as ``make demo`` would (its folder, not the package), serves one page, and says what it loaded.
SITE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("site_app", sys.argv[1])
site = importlib.util.module_from_spec(spec)
sys.modules["site_app"] = site
spec.loader.exec_module(site)
app = site.create_app()
status = app.test_client().get("/").status_code
loaded = sorted(name for name in sys.modules if name.startswith("flask_line"))
print(json.dumps({"status": status, "config": app.config["LINE_LOGIN_CHANNEL_ID"], "loaded": loaded}))
"""


@pytest.mark.parametrize("example", ["quickstart", "liff", "members", "module_provider", "notify"])
def test_an_example_on_the_demo_channel_does_not_load_the_emulator(example, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("LINE_")}
    env.update(INSTANCE_PATH=str(tmp_path), PYTHONPATH=str(ROOT))
    answer = subprocess.run(
        [sys.executable, "-c", SITE, str(ROOT / "examples" / example / "app.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    site = json.loads(answer.stdout.splitlines()[-1])
    assert site["status"] in (200, 302), site
    assert site["config"] == demo.DEMO_CHANNEL_ID, "the site fell back on the demo channel"
    assert not [name for name in site["loaded"] if name.startswith("flask_line.testing")], site["loaded"]


def test_the_emulator_accepts_the_same_demo_credentials():
    for name in ("DEMO_CHANNEL_ID", "DEMO_CHANNEL_SECRET", "DEMO_MODULE_CHANNEL_ID", "DEMO_WORKS_CLIENT_ID"):
        assert getattr(flask_line.testing, name) == getattr(demo, name)
    platform = flask_line.testing.LinePlatform()
    assert platform.channels[demo.DEMO_CHANNEL_ID].secret == demo.DEMO_CHANNEL_SECRET
    assert platform.module_channels[demo.DEMO_MODULE_CHANNEL_ID] == demo.DEMO_MODULE_CHANNEL_SECRET
    assert platform.works_clients[demo.DEMO_WORKS_CLIENT_ID] == demo.DEMO_WORKS_CLIENT_SECRET
