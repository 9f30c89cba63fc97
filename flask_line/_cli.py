"""The ``flask line`` command group."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from ._config import ConfigReader
from ._log import escape
from ._runtime import runtime
from ._sessions.abilities import SweepingSessions
from ._sessions.outage import OutageTolerantSessions
from ._settings import every_setting
from ._store.abilities import ManagedDatabase


class LineCommands(AppGroup):
    """A command group whose errors are one line with the fix and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import LineError

        try:
            return super().invoke(ctx)
        except LineError as error:
            raise click.ClickException(error.message) from None


line_cli = LineCommands("line", help="flask-line commands.")


@line_cli.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5005, show_default=True, help="Port to listen on.")
@click.option("--app-port", default=5000, show_default=True, help="Port this app runs on (registers its callbacks).")
@click.option("--callback-url", multiple=True, metavar="URL", help="One more callback URL to register (repeatable).")
@click.option("--allow-faults", is_flag=True, help="Accept faults over HTTP at /_emulator/faults.")
def emulator_command(host: str, port: int, app_port: int, callback_url: tuple[str, ...], allow_faults: bool) -> None:
    """Run the local LINE emulator with this app's channels, callbacks and settings registered.

    The emulator accepts the channel ids and secrets in this app's config (beside its demo ones), so the app
    runs unchanged against it. Point the app at it with LINE_EMULATOR_URL=http://HOST:PORT. Without an app, run
    line-emulator instead.

    It refuses a config that is not pointed at an emulator (no LINE_EMULATOR_URL, or a LINE endpoint set to
    another host): it would sign ID tokens with that config's channel secrets, as LINE does, and an app with the
    same secrets talking to the real LINE would accept them.
    """
    from flask import current_app

    from .testing.platform import serve_forever

    refusal = emulator_refusal(current_app.config)
    if refusal is not None:
        raise click.ClickException(refusal)
    state = runtime()
    settings = state.settings
    login, module, works = settings.login, settings.module, settings.works
    configured = (login.callback_url, module.callback_url, works.callback_url, *callback_url)
    serve_forever(
        host,
        port,
        apps=[f"http://{name}:{app_port}" for name in ("127.0.0.1", "localhost")],
        prefix=settings.common.url_prefix,
        callback_urls=[url for url in configured if url],
        bot_id_header=module.bot_id_header,
        allow_faults=allow_faults,
        # The default channel and every listed one (many shops).
        login_channels={channel.channel_id: channel.channel_secret for channel in state.channels.configured.values()},
        module_channels={module.channel_id: module.channel_secret} if module.enabled else {},
        works_clients={works.client_id: works.client_secret} if works.enabled else {},
        works_service_account=(works.service_account, works.private_key)
        if works.service_account and works.private_key
        else None,
        registration_hint="start `flask line emulator` with --app-port PORT or --callback-url URL",
    )


def emulator_refusal(config: Mapping[str, Any]) -> str | None:
    """Why ``flask line emulator`` must not serve this app's config (None: it is pointed at an emulator).

    Every LINE endpoint the config uses must be under ``LINE_EMULATOR_URL``; a config without one, or with an
    endpoint set to LINE (or elsewhere), talks to the real LINE with these secrets: the emulator's tokens, signed
    with them, would verify there.
    """
    settings = every_setting()
    reader = ConfigReader(config, settings)
    emulator = reader.optional_url("LINE_EMULATOR_URL")
    if emulator is None:
        return (
            "this app is not configured for the emulator (LINE_EMULATOR_URL is not set), so it may be a production "
            "config: the emulator would sign tokens with its channel secrets that the real setup accepts. Set "
            "LINE_EMULATOR_URL=http://127.0.0.1:PORT (with development channels), or run line-emulator."
        )
    base = emulator.rstrip("/") + "/"
    for setting in settings:
        value = reader.raw(setting.key) if setting.endpoint else None
        if isinstance(value, str) and value and value.rstrip("/") + "/" != base and not value.startswith(base):
            return (
                f"{setting.key} is {escape(value)}, not under LINE_EMULATOR_URL ({escape(emulator)}): this config "
                "talks to another LINE, which would accept the emulator's tokens. Unset it for the emulator."
            )
    return None


@line_cli.command("doctor")
@click.option(
    "--base-url",
    metavar="URL",
    help="The site's public URL (default: SERVER_NAME with PREFERRED_URL_SCHEME, else http://127.0.0.1:5000).",
)
def doctor_command(base_url: str | None) -> None:
    """Before going live: the callback URLs to register, LINE's answer to each id and secret, and the steps only
    the LINE Developers Console can do. Exits 1 when a check fails; never prints a secret."""
    from ._doctor import doctor  # on demand: the checks load with the command, not with every app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    server = app.config.get("SERVER_NAME")
    default = f"{app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}" if server else "http://127.0.0.1:5000"
    lines, passed = doctor(app, base_url or default)
    click.echo("\n".join(lines))
    if not passed:
        raise SystemExit(1)


@line_cli.command("sweep-sessions")
def sweep_sessions_command() -> None:
    """Delete expired sessions from the embedded session store (run it from cron, or let the app do it)."""
    from flask import current_app

    interface = current_app.session_interface
    if isinstance(interface, OutageTolerantSessions):
        interface = interface.inner
    if not isinstance(interface, SweepingSessions):
        raise click.ClickException("The app does not use flask-line's embedded session store.")
    click.echo(f"removed {interface.sweep()} expired sessions")


@line_cli.command("works-token")
@click.option("--show", is_flag=True, help="Also print the token itself (it is a secret).")
def works_token_command(show: bool) -> None:
    """Issue (or reuse) the LINE WORKS service-account token and print its scopes and expiry."""
    from datetime import datetime, timezone

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


db_cli = LineCommands("db", help="flask-line's tables: create, check and upgrade them (without Alembic).")
line_cli.add_command(db_cli)


def _databases() -> list[ManagedDatabase]:
    """The SQLAlchemy databases flask-line's stores use (an SQLite file store upgrades itself)."""
    from flask import current_app

    found = runtime().stores.databases()
    if not found:
        click.echo(
            f"flask-line keeps its records in SQLite files in {current_app.instance_path}: they upgrade themselves."
        )
    return found


def _guarded(action: Any) -> Any:
    from .errors import StoreUnavailable

    try:
        return action()
    except StoreUnavailable as error:
        raise click.ClickException(f"{error.message} Is the database running, and LINE_DATABASE_URI right?") from None


@db_cli.command("create")
def db_create_command() -> None:
    """Create flask-line's missing tables (safe when several deploys run it at once)."""
    for database in _databases():
        _guarded(database.create)
        click.echo("flask-line's tables exist.")


def _all_problems(database: ManagedDatabase) -> list[str]:
    """Columns and keys of ``database``'s tables that are not what this version needs, escaped for a terminal (a
    column name is the database's text: it could hold a newline or a terminal escape)."""
    return [str(escape(problem)) for problem in _guarded(database.problems)]


@db_cli.command("check")
def db_check_command() -> None:
    """Say whether flask-line's tables are what this version needs (columns, primary keys and unique constraints);
    exit 1 when they are not."""
    problems = [problem for database in _databases() for problem in _all_problems(database)]
    for problem in problems:
        click.echo(f"out of date: {problem}")
    if problems:
        raise click.ClickException(
            "run `flask line db upgrade` (or your migrations) to fix the schema; keys are added by your migrations."
        )
    click.echo("flask-line's tables are up to date.")


@db_cli.command("upgrade")
def db_upgrade_command() -> None:
    """Create missing tables, add missing columns and unique keys, then check (a missing primary key is named: add it
    with your migrations)."""
    for database in _databases():
        done = _guarded(database.upgrade)
        for change in done:
            click.echo(change)
        problems = _all_problems(database)
        if problems:
            raise click.ClickException(f"still out of date after the upgrade: {'; '.join(problems)}")
        click.echo("flask-line's tables are up to date." if done else "nothing to do: the tables are up to date.")
