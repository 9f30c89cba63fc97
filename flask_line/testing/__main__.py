"""``python -m flask_line.testing [--host H] [--port P]``: run the LINE platform emulator."""

from __future__ import annotations

import argparse

from .platform import serve_forever


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m flask_line.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    arguments = parser.parse_args()
    serve_forever(arguments.host, arguments.port)


if __name__ == "__main__":
    main()
