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


@line_cli.command("works-token")
@click.option("--show", is_flag=True, help="Also print the token itself (it is a secret).")
def works_token_command(show: bool) -> None:
    """Issue (or reuse) the LINE WORKS service-account token and print its scopes and expiry."""
    from datetime import datetime, timezone

    from ._runtime import runtime

    token = runtime().require_works().service_token()
    expires = (
        datetime.fromtimestamp(token.expires_at, timezone.utc).isoformat(timespec="seconds")
        if token.expires_at
        else "unknown"
    )
    click.echo(f"scopes: {' '.join(token.scopes) or '-'}")
    click.echo(f"expires: {expires}")
    if show:
        click.echo(f"token: {token.access_token}")
