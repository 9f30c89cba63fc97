"""``make demo``: the quickstart site on http://127.0.0.1:5000 against a LINE emulator on 127.0.0.1:5005."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "quickstart"))

from app import create_app

from flask_line.testing import EmulatorServer


def main() -> None:
    """Start the emulator, then the site, until Ctrl+C."""
    emulator_port = int(os.environ.get("EMULATOR_PORT", "5005"))
    site_port = int(os.environ.get("PORT", "5000"))
    with EmulatorServer(port=emulator_port) as emulator:
        os.environ.setdefault("LINE_EMULATOR_URL", emulator.url)
        print(f" * LINE emulator: {emulator.url}")
        print(f" * Demo site:     http://127.0.0.1:{site_port}  (no LINE credentials needed)")
        create_app().run(host="127.0.0.1", port=site_port)


if __name__ == "__main__":
    main()
