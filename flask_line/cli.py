"""The ``flask line`` command group."""

from __future__ import annotations

import click
from flask.cli import AppGroup

line_cli = AppGroup("line", help="flask-line commands.")


@line_cli.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5005, show_default=True, help="Port to listen on.")
def emulator_command(host: str, port: int) -> None:
    """Run the local LINE platform emulator (point apps at it with LINE_EMULATOR_URL)."""
    from .testing.platform import serve_forever

    serve_forever(host, port)
