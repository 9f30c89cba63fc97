"""``make demo``: an example site on http://127.0.0.1:5000 against a LINE emulator on 127.0.0.1:5005.

``python examples/run_demo.py [quickstart|module_provider|works|liff|members|shops]`` (default: quickstart).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from pathlib import Path
from types import ModuleType

from flask_line.testing import EmulatorServer

EXAMPLES = ("quickstart", "module_provider", "works", "liff", "members", "shops", "notify")


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>/app.py`` (the examples are plain folders a user can copy)."""
    path = Path(__file__).parent / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Flask finds the example's templates through its module
    spec.loader.exec_module(module)
    return module


def port_is_free(port: int) -> bool:
    """Whether nothing listens on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def busy_ports_message(busy: dict[str, int], taken: set[int]) -> str:
    """One message for every busy port, with one command whose ports are all free (checked now)."""
    choices = {}
    for variable, port in busy.items():
        choice = port + 100
        while choice in taken or not port_is_free(choice):
            choice += 1
        taken.add(choice)
        choices[variable] = choice
    ports = " and ".join(f"{port} ({variable})" for variable, port in busy.items())
    command = " ".join(f"{variable}={port}" for variable, port in choices.items())
    return (
        f"{'Ports' if len(busy) > 1 else 'Port'} {ports} {'are' if len(busy) > 1 else 'is'} already in use. "
        f"These are free: `make demo {command}` (the site uses PORT, default 5000; the emulator EMULATOR_PORT, "
        "default 5005)."
    )


def main() -> None:
    """Start the emulator, then the site, until Ctrl+C."""
    name = sys.argv[1] if len(sys.argv) > 1 else "quickstart"
    if name not in EXAMPLES:
        raise SystemExit(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    emulator_port = int(os.environ.get("EMULATOR_PORT", "5005"))
    site_port = int(os.environ.get("PORT", "5000"))
    busy = {variable: port for variable, port in (("PORT", site_port), ("EMULATOR_PORT", emulator_port))}
    busy = {variable: port for variable, port in busy.items() if not port_is_free(port)}
    if busy:
        raise SystemExit(busy_ports_message(busy, taken={site_port, emulator_port}))
    example = load_example(name)
    with EmulatorServer(port=emulator_port) as emulator:
        if hasattr(example, "emulate"):  # a site with channels of its own (the shops' example)
            example.emulate(emulator.platform)
        for host in ("127.0.0.1", "localhost"):
            emulator.platform.register_app(f"http://{host}:{site_port}")
        os.environ.setdefault("LINE_EMULATOR_URL", emulator.url)
        print(f" * LINE emulator: {emulator.url}")
        print(f" * {name} site:  http://127.0.0.1:{site_port}  (no LINE credentials needed)")
        app = example.create_app()
        if hasattr(example, "create_tables"):  # a site with its own database: the deploy step, once
            example.create_tables(app)
        app.run(host="127.0.0.1", port=site_port)


if __name__ == "__main__":
    main()
