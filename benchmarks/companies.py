"""LINE WORKS for many companies (issue 39): a signed-in request and a sign-in with 1,000 companies chosen by a
loader against the app's one company, and the memory of 10,000 companies resolved once each (part of
``make bench``). The emulated companies are client apps of the demo domain: only the client differs, so the
figure is the cost of choosing and keeping companies."""

from __future__ import annotations

import tracemalloc

import apps
from cachelib import SimpleCache
from flask import Flask, request

from flask_line import LineOAuth, WorksCompany, works_login_required
from flask_line._runtime import runtime
from flask_line.testing import DEMO_WORKS_CLIENT_ID, DEMO_WORKS_CLIENT_SECRET, EmulatorServer

COMPANIES = 1000


def company(number: int) -> WorksCompany:
    """Company ``number``'s LINE WORKS app."""
    return WorksCompany(f"works-bench-{number}", f"secret-of-company-{number}")


def works_app(emulator_url: str, companies: dict[int, WorksCompany] | None) -> Flask:
    """The benchmark's LINE WORKS app: its one company, or ``companies`` chosen by ``?company=``."""
    app = apps.base_app({"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": SimpleCache()})
    app.config.update(
        LINE_EMULATOR_URL=emulator_url,
        LINE_WORKS_CLIENT_ID=DEMO_WORKS_CLIENT_ID,
        LINE_WORKS_CLIENT_SECRET=DEMO_WORKS_CLIENT_SECRET,
        LINE_URL_VALUES=["company"],
    )
    line = LineOAuth(app)
    if companies is not None:
        line.works_company_loader(lambda: companies.get(int(request.args.get("company", -1))))

    @app.get("/member")
    @works_login_required
    def member() -> str:
        return "ok"

    return app


def run(logins: int = 70, requests: int = 2000, rounds: int = 7) -> dict[str, float]:
    """µs per signed-in request and app CPU per sign-in, one company against 1,000; memory of 10,000."""
    companies = {number: company(number) for number in range(COMPANIES)}
    results: dict[str, float] = {}
    with EmulatorServer() as emulator:
        platform = emulator.platform
        for each in companies.values():  # each company's app, registered in the demo domain
            platform.works_clients[each.client_id] = each.client_secret
            platform.works_client_domains[each.client_id] = platform.works_client_domains[DEMO_WORKS_CLIENT_ID]
        platform.register_app("http://localhost")
        sites = {"one": works_app(emulator.url, None), "many": works_app(emulator.url, companies)}
        query = {"one": lambda number: "", "many": lambda number: f"company={number}"}
        results.update(
            apps.one_against_many(
                sites,
                query,
                "/line/works/login",
                lambda location: emulator.consent(location, user="Sato Bob"),
                COMPANIES,
                logins=logins,
                requests=requests,
                rounds=rounds,
            )
        )
        results.update(memory(emulator.url))
    return results


def memory(emulator_url: str, count: int = 10_000) -> dict[str, float]:
    """MiB held after resolving ``count`` companies once each (the LRU keeps the newest 256)."""
    companies = {number: company(number) for number in range(count)}
    app = works_app(emulator_url, companies)
    tracemalloc.start()
    baseline = tracemalloc.take_snapshot()
    for number in range(count):
        with app.test_request_context(f"/line/works/login?company={number}"):
            runtime().companies.current()
    held = tracemalloc.take_snapshot().compare_to(baseline, "filename")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with app.app_context():
        kept = runtime().companies.cached
    return {
        "memory_held_mib": sum(stat.size_diff for stat in held) / 2**20,
        "memory_peak_mib": peak / 2**20,
        "companies_kept": float(kept),
    }


def lines(result: dict[str, float]) -> list[str]:
    """The RESULTS.md section."""
    return [
        "## LINE WORKS for many companies (1,000 companies chosen by a loader, against one)",
        "",
        "| figure | one company | 1,000 companies | ratio (target within 1.1x) |",
        "|---|---|---|---|",
        f"| signed-in request, µs | {result['signed_in_us_one']:.0f} | {result['signed_in_us_many']:.0f} | "
        f"{result['signed_in_us_many'] / result['signed_in_us_one']:.2f}x |",
        f"| app CPU per sign-in, ms | {result['sign_in_cpu_ms_one']:.2f} | {result['sign_in_cpu_ms_many']:.2f} | "
        f"{result['sign_in_cpu_ms_many'] / result['sign_in_cpu_ms_one']:.2f}x |",
        "",
        f"- 10,000 companies resolved once each: {result['memory_held_mib']:.1f} MiB held "
        f"(peak {result['memory_peak_mib']:.1f} MiB), {result['companies_kept']:.0f} companies' services kept.",
        "",
    ]


if __name__ == "__main__":
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    print("\n".join(lines(run())))
