"""What a developer is told to run: the emulator command this app needs, built from its config (no secret in it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .demo import DEMO_CHANNEL_ID  # every emulator accepts it, so no ``--channel`` for it


def emulator_command(config: Mapping[str, Any], import_name: str, app_port: int | None = None) -> str:
    """The commands that start an emulator this app can use, at its ``LINE_EMULATOR_URL``'s port.

    ``flask line emulator`` reads the app's channels itself; ``line-emulator`` needs ``--channel`` for a channel of
    the app's own, whose secret is named, never written out.
    """
    url = urlsplit(str(config.get("LINE_EMULATOR_URL") or "http://127.0.0.1:5005"))
    port = url.port or 80
    app_flag = f" --app-port {app_port}" if app_port not in (None, 5000) else ""
    inside = f"flask --app {import_name} line emulator --port {port}{app_flag}"
    outside = f"line-emulator --port {port}"
    if app_port not in (None, 5000):
        outside += f" --app http://127.0.0.1:{app_port}"
    channel_id = config.get("LINE_LOGIN_CHANNEL_ID")
    if channel_id and str(channel_id) != DEMO_CHANNEL_ID:
        outside += f" --channel {channel_id}:<LINE_LOGIN_CHANNEL_SECRET>"
    return f"`{inside}` (it reads this app's channels), or `{outside}`"
