"""The apps the login benchmarks compare: flask-line, and the same login written with Authlib's Flask client
(state, nonce, PKCE, ID-token check); a floor, the same two requests doing no OAuth work at all; and the floor with
only the work a secure login cannot skip (token call, ID-token check, new session id).
In-process runs call the builders; gunicorn calls :func:`create`."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, redirect, request, session

from flask_line import LineOAuth
from flask_line.testing import DEMO_CHANNEL_ID, DEMO_CHANNEL_SECRET


def base_app(sessions: dict[str, Any]) -> Flask:
    """A Flask app with the given Flask-Session settings."""
    app = Flask("bench")
    app.config.update(SECRET_KEY="bench", **sessions)
    return app


def flask_line_app(emulator_url: str, sessions: dict[str, Any], callback_url: str | None = None) -> Flask:
    """LINE Login with flask-line against the emulator."""
    app = base_app(sessions)
    app.config.update(
        LINE_EMULATOR_URL=emulator_url,
        LINE_LOGIN_CHANNEL_ID=DEMO_CHANNEL_ID,
        LINE_LOGIN_CHANNEL_SECRET=DEMO_CHANNEL_SECRET,
        LINE_LOGIN_CALLBACK_URL=callback_url,
    )
    LineOAuth(app)
    return app


def authlib_app(emulator_url: str, sessions: dict[str, Any], callback_url: str) -> Flask:
    """The same login with Authlib's Flask client (it trusts the discovery document, which lists only ES256)."""
    from authlib.integrations.flask_client import OAuth

    app = base_app({**sessions, "LINE_URL_PREFIX": "/unused"})
    LineOAuth(app)  # the same Flask-Session setup as the flask-line app; its routes out of Authlib's way
    oauth = OAuth(app)
    oauth.register(
        "line",
        client_id=DEMO_CHANNEL_ID,
        client_secret=DEMO_CHANNEL_SECRET,
        server_metadata_url=f"{emulator_url}/.well-known/openid-configuration",
        client_kwargs={
            "scope": "profile openid",
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_post",
        },
    )

    @app.get("/line/login")
    def login() -> Any:
        return oauth.line.authorize_redirect(callback_url)

    @app.get("/line/callback")
    def callback() -> Any:
        token = oauth.line.authorize_access_token()
        session["user"] = dict(token["userinfo"])
        return "ok"

    return app


def floor_app(emulator_url: str, sessions: dict[str, Any], callback_url: str) -> Flask:
    """The two requests of a login with the same session store, and only what any login must do: keep state,
    nonce and a PKCE verifier in the session, send the browser to the authorize URL, check the state and keep a
    user. No token call, no signature check: the CPU no OAuth client can go below."""
    app = base_app({**sessions, "LINE_URL_PREFIX": "/unused"})
    LineOAuth(app)  # the same Flask-Session setup as the other apps

    @app.get("/line/login")
    def login() -> Any:
        pending = {
            "state": secrets.token_hex(22),
            "nonce": secrets.token_urlsafe(24),
            "verifier": secrets.token_urlsafe(48),
        }
        session["pending"] = pending
        challenge = base64.urlsafe_b64encode(hashlib.sha256(pending["verifier"].encode()).digest()).rstrip(b"=")
        query = {
            "response_type": "code",
            "client_id": DEMO_CHANNEL_ID,
            "redirect_uri": callback_url,
            "state": pending["state"],
            "scope": "profile openid",
            "nonce": pending["nonce"],
            "code_challenge": challenge.decode(),
            "code_challenge_method": "S256",
        }
        return redirect(f"{emulator_url}/oauth2/v2.1/authorize?{urlencode(query)}")

    @app.get("/line/callback")
    def callback() -> Any:
        pending = session.pop("pending", None)
        if not pending or pending["state"] != request.args.get("state"):
            abort(400)
        session["user"] = {"sub": "U" + "0" * 32, "name": "Brown"}
        return "ok"

    return app


def essential_app(emulator_url: str, sessions: dict[str, Any], callback_url: str) -> Flask:
    """The floor plus only what a secure login cannot skip, done with flask-line's own parts: the token call
    (``LineHttp``), the ES256 ID-token check with its nonce (``IdTokenVerifier``, keys cached) and a new session id.
    None of flask-line's flows, channels, origins, records, languages or signals: what is left between this app and
    flask-line's is that logic."""
    from flask_line._sessions.setup import rotate_session_id
    from flask_line._wire.http import LineHttp
    from flask_line._wire.idtoken import IdTokenVerifier
    from flask_line._wire.jwks import JwksCache

    app = floor_app(emulator_url, sessions, callback_url)
    http = LineHttp(10.0)
    keys = JwksCache(http, f"{emulator_url}/oauth2/v2.1/certs", ttl=3600)
    verifier = IdTokenVerifier("https://access.line.me", DEMO_CHANNEL_ID, ("ES256",), 60, jwks=keys)

    def callback() -> Any:
        pending = session.get("pending")
        if not pending or pending["state"] != request.args.get("state"):
            abort(400)
        answer = http.json(
            "POST",
            f"{emulator_url}/oauth2/v2.1/token",
            data={
                "grant_type": "authorization_code",
                "code": request.args.get("code", ""),
                "redirect_uri": callback_url,
                "code_verifier": pending["verifier"],
                "client_id": DEMO_CHANNEL_ID,
                "client_secret": DEMO_CHANNEL_SECRET,
            },
        )
        claims = verifier.verify(answer.get("id_token"), pending["nonce"], nonce_required=True)
        rotate_session_id()  # (a session with nothing in it has no stored id to replace: the pending one goes after)
        del session["pending"]
        session["user"] = {"sub": claims["sub"], "name": claims.get("name"), "token": answer.get("access_token")}
        return "ok"

    app.view_functions["callback"] = callback
    return app


BUILDERS = {"flask_line": flask_line_app, "authlib": authlib_app, "floor": floor_app, "essential": essential_app}


def create(kind: str) -> Flask:
    """``gunicorn 'apps:create("flask_line")'``: the app of ``kind`` from BENCH_* environment variables."""
    import redis

    sessions = {"SESSION_TYPE": "redis", "SESSION_REDIS": redis.from_url(os.environ["BENCH_REDIS_URL"])}
    emulator, callback = os.environ["BENCH_EMULATOR_URL"], os.environ["BENCH_APP_URL"] + "/line/callback"
    return BUILDERS[kind](emulator, sessions, callback)


def one_against_many(
    sites: dict[str, Flask],
    query: dict[str, Callable[[int], str]],
    start: str,
    consent: Callable[[str], Any],
    count: int,
    *,
    logins: int,
    requests: int,
    rounds: int,
) -> dict[str, float]:
    """µs per signed-in request (``/member``) and app CPU ms per sign-in (at ``start``), for the app with one
    channel or company (``sites["one"]``) against the one choosing among ``count`` (``sites["many"]``, told which
    by ``query``), in interleaved rounds so drift falls on both alike."""

    def sign_in(name: str, number: int, client: Any = None) -> float:
        client = client or sites[name].test_client()  # a new visitor each time, as at a real platform
        started = time.thread_time()
        answer = client.get(f"{start}?{query[name](number)}")
        spent = time.thread_time() - started
        back = consent(answer.headers["Location"])
        started = time.thread_time()
        assert client.get(back.path).status_code == 302
        return spent + time.thread_time() - started

    for number in range(count):  # every service built once, as a running platform has them
        sign_in("many", number)
    # The warm-up's visitors would make the in-memory session store prune on every write (cachelib's SimpleCache
    # sorts past 500 entries): a cost of that store, not of what is measured. Both apps start even.
    sites["many"].config["SESSION_CACHELIB"].clear()
    clients = {name: site.test_client() for name, site in sites.items()}
    for name, client in clients.items():  # the visitor whose signed-in requests are timed
        sign_in(name, 500, client)
    cpu: dict[str, list[float]] = {name: [] for name in clients}
    per_request: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(rounds):
        for name in clients:
            cpu[name].append(sum(sign_in(name, number * 7 % count) for number in range(logins // rounds)))
            path = f"/member?{query[name](500)}"
            clients[name].get(path)
            started = time.perf_counter()
            for _ in range(requests // rounds):
                clients[name].get(path)
            per_request[name].append((time.perf_counter() - started) / (requests // rounds))
    results: dict[str, float] = {}
    for name in clients:
        results[f"sign_in_cpu_ms_{name}"] = statistics.median(cpu[name]) / (logins // rounds) * 1000
        results[f"signed_in_us_{name}"] = min(per_request[name]) * 1e6
    return results
