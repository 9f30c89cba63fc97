"""Many channels in one app: a signed-in request and a login with 1,000 channels against one, and the memory of
10,000 channels resolved once each (part of ``make bench``)."""

from __future__ import annotations

import tracemalloc

import apps
from cachelib import SimpleCache
from flask import Flask, request

from flask_line import LoginChannel, line_login_required
from flask_line._runtime import runtime
from flask_line.testing import EmulatorServer

SHOPS = 1000


def channel(number: int) -> LoginChannel:
    """The channel of shop ``number`` (ids in a range of their own)."""
    return LoginChannel(
        str(1_700_000_000 + number),
        f"secret-of-shop-{number}",
        callback_url=f"http://localhost/line/callback?shop={number}",
    )


def shops_app(emulator_url: str, shops: dict[int, LoginChannel] | None) -> Flask:
    """The benchmark's LINE Login app: one channel (no loader), or ``shops`` chosen by ``?shop=``."""
    app = apps.flask_line_app(emulator_url, {"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": SimpleCache()})
    if shops is not None:
        app.extensions["line"].channel_loader(lambda: shops.get(int(request.args.get("shop", -1))))

    @app.get("/member")
    @line_login_required
    def member() -> str:
        return "ok"

    return app


def run(logins: int = 120, requests: int = 2000, rounds: int = 7) -> dict[str, float]:
    """The figures: µs per signed-in request and app CPU per login, one channel against 1,000; memory."""
    shops = {number: channel(number) for number in range(SHOPS)}
    results: dict[str, float] = {}
    with EmulatorServer() as emulator:
        for shop in shops.values():
            emulator.platform.add_channel(shop.channel_id, shop.channel_secret)
        emulator.platform.register_app("http://localhost")
        sites = {"one": shops_app(emulator.url, None), "many": shops_app(emulator.url, shops)}
        query = {"one": lambda number: "", "many": lambda number: f"shop={number}"}
        results.update(
            apps.one_against_many(
                sites, query, "/line/login", emulator.consent, SHOPS, logins=logins, requests=requests, rounds=rounds
            )
        )
        results.update(memory(emulator.url))
    return results


def memory(emulator_url: str, channels: int = 10_000) -> dict[str, float]:
    """MiB held after resolving ``channels`` channels once each (the LRU keeps the newest 1,024)."""
    shops = {number: channel(number) for number in range(channels)}
    app = shops_app(emulator_url, shops)
    tracemalloc.start()
    baseline = tracemalloc.take_snapshot()
    for number in range(channels):
        with app.test_request_context(f"/line/login?shop={number}"):
            runtime().login  # noqa: B018 (resolving is what is measured)
    held = tracemalloc.take_snapshot().compare_to(baseline, "filename")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with app.app_context():
        kept = runtime().channels.cached if runtime().channels is not None else 0
    return {
        "memory_held_mib": sum(stat.size_diff for stat in held) / 2**20,
        "memory_peak_mib": peak / 2**20,
        "channels_kept": float(kept),
    }


if __name__ == "__main__":
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print(run())
