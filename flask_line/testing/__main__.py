"""``line-emulator`` (or ``python -m flask_line.testing``): run the LINE platform emulator, no app needed."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .platform import serve_forever

DESCRIPTION = """Run a local LINE platform (LINE Login, module attach, LINE WORKS) for demos and tests.
Point an app at it with LINE_EMULATOR_URL=http://HOST:PORT. Callback URLs must be registered, as in the
LINE Developers Console: an app on http://127.0.0.1:5000 and http://localhost:5000 is registered by default."""


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="line-emulator", description=DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5005, help="port to listen on (default: 5005)")
    parser.add_argument(
        "--app",
        action="append",
        metavar="URL",
        help="base URL of a flask-line app whose /line/... callbacks to register (repeatable; "
        "default: http://127.0.0.1:5000 and http://localhost:5000)",
    )
    parser.add_argument("--callback-url", action="append", default=[], metavar="URL", help="one more callback URL")
    parser.add_argument("--bot-id-header", help="header naming a module's bot (LINE_MODULE_BOT_ID_HEADER)")
    parser.add_argument("--module-webhook-url", metavar="URL", help="where to post signed module events")
    parser.add_argument("--allow-faults", action="store_true", help="accept faults over HTTP at /_emulator/faults")
    for flag, what in (("--channel", "LINE Login channel"), ("--module-channel", "module channel")):
        parser.add_argument(
            flag, action="append", default=[], type=_credentials, metavar="ID:SECRET", help=f"accept your {what}"
        )
    parser.add_argument(
        "--works-client",
        action="append",
        default=[],
        type=_credentials,
        metavar="ID:SECRET",
        help="accept your LINE WORKS app",
    )
    arguments = parser.parse_args(argv)
    serve_forever(
        arguments.host,
        arguments.port,
        apps=arguments.app or ("http://127.0.0.1:5000", "http://localhost:5000"),
        callback_urls=arguments.callback_url,
        bot_id_header=arguments.bot_id_header,
        module_webhook_url=arguments.module_webhook_url,
        allow_faults=arguments.allow_faults,
        login_channels=dict(arguments.channel),
        module_channels=dict(arguments.module_channel),
        works_clients=dict(arguments.works_client),
        registration_hint="start line-emulator with --app BASE_URL or --callback-url URL",
    )


def _credentials(value: str) -> tuple[str, str]:
    client_id, _, secret = value.partition(":")
    if not client_id or not secret:
        raise argparse.ArgumentTypeError(f"expected ID:SECRET, got {value!r}")
    return client_id, secret


if __name__ == "__main__":
    main()
