"""The site's Messaging API channel (issue 38): a push through ``line.messaging.push`` beside the same HTTP call
made by hand with ``requests``, and what line-bot-sdk adds to an import (part of ``make bench``). flask-line never
imports the SDK: it sends its models' JSON when a site passes them."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

import apps
import requests
from cachelib import SimpleCache

from flask_line.demo import DEMO_MESSAGING_CHANNEL_ID, DEMO_MESSAGING_CHANNEL_SECRET, DEMO_PROVIDER
from flask_line.testing import EmulatorServer

#: A friend of the emulator's demo Official Account.
CONY = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"
MESSAGE = {"type": "text", "text": "Your order has shipped."}


def push_cost(rounds: int = 15, pushes: int = 50) -> dict[str, float]:
    """Median ms per push: flask-line's, and a bare ``requests`` POST with a token issued once (interleaved)."""
    with EmulatorServer() as emulator:
        app = apps.flask_line_app(emulator.url, {"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": SimpleCache()})
        app.config.update(
            LINE_MESSAGING_CHANNEL_ID=DEMO_MESSAGING_CHANNEL_ID,
            LINE_MESSAGING_CHANNEL_SECRET=DEMO_MESSAGING_CHANNEL_SECRET,
            LINE_MESSAGING_PROVIDER=DEMO_PROVIDER,
            LINE_LOGIN_PROVIDER=DEMO_PROVIDER,
        )
        line: Any = app.extensions["line"]
        line.reload_config(app)
        bare = requests.Session()
        token = bare.post(
            f"{emulator.url}/oauth2/v3/token",
            data={
                "grant_type": "client_credentials",
                "client_id": DEMO_MESSAGING_CHANNEL_ID,
                "client_secret": DEMO_MESSAGING_CHANNEL_SECRET,
            },
            timeout=10,
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def by_hand() -> None:
            answer = bare.post(
                f"{emulator.url}/v2/bot/message/push",
                json={"to": CONY, "messages": [MESSAGE]},
                headers=headers,
                timeout=10,
            )
            answer.raise_for_status()

        def by_flask_line() -> None:
            line.messaging.push(CONY, MESSAGE)

        timings: dict[str, list[float]] = {"flask_line_ms": [], "requests_ms": []}
        with app.app_context():
            by_flask_line()  # the channel token, issued once
            for _ in range(rounds):
                for name, push in (("flask_line_ms", by_flask_line), ("requests_ms", by_hand)):
                    start = time.perf_counter()
                    for _ in range(pushes):
                        push()
                    timings[name].append((time.perf_counter() - start) / pushes * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def import_cost(rounds: int = 9) -> dict[str, float] | None:
    """Median seconds to import flask_line, and flask_line with line-bot-sdk's messaging models (None: no SDK)."""
    code = "import time; t = time.perf_counter(); import {m}; print(time.perf_counter() - t)"
    arms = {"flask_line_s": "flask_line", "with_sdk_s": "flask_line, linebot.v3.messaging"}
    try:
        subprocess.check_output([sys.executable, "-c", "import linebot.v3.messaging"], stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        return None
    samples: dict[str, list[float]] = {name: [] for name in arms}
    for _ in range(rounds):
        for name, modules in arms.items():
            samples[name].append(
                float(subprocess.check_output([sys.executable, "-c", code.format(m=modules)], text=True))
            )
    return {name: statistics.median(values) for name, values in samples.items()}


def lines() -> list[str]:
    """The RESULTS.md section."""
    push = push_cost()
    imports = import_cost()
    section = [
        "## Pushing to members (the site's Messaging API channel, against the emulator)",
        "",
        f"- A push through `line.messaging.push`: {push['flask_line_ms']:.2f} ms; the same POST by hand with "
        f"`requests` and a token issued once: {push['requests_ms']:.2f} ms "
        f"(**{push['flask_line_ms'] / push['requests_ms']:.2f}x**; medians of interleaved rounds)",
    ]
    if imports is None:
        section.append("- line-bot-sdk is not installed: its import cost was not measured")
    else:
        section.append(
            f"- `import flask_line`: {imports['flask_line_s'] * 1000:.0f} ms; with line-bot-sdk's messaging models "
            f"(a site that builds messages with them): {imports['with_sdk_s'] * 1000:.0f} ms. flask-line itself never "
            "imports the SDK."
        )
    return [*section, ""]
