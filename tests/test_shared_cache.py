"""What one worker learns, every worker knows (issue 40): two apps built from one factory are two workers (their own
caches and service tokens) sharing a real ``redis-server``, the site's own Redis for sessions, and the emulator."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
import redis
from flask import Flask, jsonify

from flask_line import LineOAuth, current_line_user, errors, line_token_required
from tests.conftest import BrowserClient
from tests.local import RedisServer

VERIFY = "/oauth2/v2.1/verify"


@pytest.fixture
def make_worker(line_app_config: dict[str, Any], redis_server: RedisServer, tmp_path: Any) -> Any:
    """A worker of the fleet: the same app (same name and secret key) with its own process memory."""

    def worker(index: int = 0, **config: Any) -> Flask:
        app = Flask("fleet_site", instance_path=str(tmp_path / f"worker-{index}"))
        settings = {key: value for key, value in line_app_config.items() if not key.startswith("SESSION_")}
        app.config.update(
            settings, SESSION_TYPE="redis", SESSION_REDIS=redis.Redis.from_url(redis_server.url), **config
        )
        app.test_client_class = BrowserClient
        LineOAuth(app)

        @app.get("/token/me")
        @line_token_required
        def token_me() -> Any:
            return jsonify(channel=current_line_user.channel_id)

        return app

    return worker


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_one_worker_verified_is_trusted_by_the_others(make_worker, line_platform):
    workers = [make_worker(index).test_client() for index in range(4)]
    token = line_platform.liff_login("Brown")["access_token"]
    before = line_platform.platform.calls(VERIFY)
    for request in range(200):
        assert workers[request % 4].get("/token/me", headers=bearer(token)).status_code == 200
    assert line_platform.platform.calls(VERIFY) - before == 1, "one /verify per token for the whole fleet"


def test_concurrent_first_checks_across_workers_make_one_verify_call(make_worker, line_platform):
    workers = [make_worker(index) for index in range(4)]
    tokens = [line_platform.liff_login(name)["access_token"] for name in ("Brown", "Cony")]
    before = line_platform.platform.calls(VERIFY)
    gate = threading.Barrier(16)
    statuses: list[int] = []

    def first_check(app: Flask, token: str) -> None:
        client = app.test_client()
        gate.wait()
        statuses.append(client.get("/token/me", headers=bearer(token)).status_code)

    threads = [
        threading.Thread(target=first_check, args=(workers[index % 4], tokens[index % 2])) for index in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 16
    assert line_platform.platform.calls(VERIFY) - before == 2, "one call per token, not one per worker"


def test_a_sign_out_on_one_worker_is_refused_at_once_by_every_other(make_worker, line_platform):
    first, second = make_worker(1), make_worker(2)
    credentials = line_platform.liff_login("Brown")
    token = credentials["access_token"]
    api = second.test_client()
    assert api.get("/token/me", headers=bearer(token)).status_code == 200  # cached by the second worker
    browser = first.test_client()
    answer = browser.post("/line/session", json={"id_token": credentials["id_token"], "access_token": token})
    assert answer.status_code in (200, 204), answer.data
    signed_out = browser.post("/line/logout")
    assert signed_out.status_code in (200, 302, 303), signed_out.data
    refused = api.get("/token/me", headers=bearer(token))
    assert refused.status_code == 401 and refused.json["error"] == "invalid_token"


def test_a_token_line_refuses_is_refused_by_every_worker(make_worker, line_platform):
    cached_it, cold = make_worker(1), make_worker(2)
    token = line_platform.liff_login("Brown")["access_token"]
    assert cached_it.test_client().get("/token/me", headers=bearer(token)).status_code == 200
    redis_of(cached_it).delete(*redis_of(cached_it).keys("flask-line:*verified*"))  # the fleet forgot it
    line_platform.platform.inject("GET /oauth2/v2.1/verify", status=400, body={"error": "invalid_request"})
    assert cold.test_client().get("/token/me", headers=bearer(token)).status_code == 401
    assert cached_it.test_client().get("/token/me", headers=bearer(token)).status_code == 401, "whatever it cached"


def redis_of(app: Flask) -> Any:
    return app.config["SESSION_REDIS"]


def test_workers_starting_at_once_issue_one_service_token(make_worker, line_platform):
    workers = [make_worker(index) for index in range(4)]
    services = []
    for app in workers:
        with app.app_context():
            services.append(app.extensions["line"].module)
    before = line_platform.platform.calls("/module/auth/v1/token") + line_platform.platform.calls("/oauth2/v3/token")
    gate = threading.Barrier(len(workers))
    tokens: list[str] = []

    def start(app: Flask, module: Any) -> None:
        gate.wait()
        with app.app_context():
            tokens.append(module.channel_token.get().access_token)

    threads = [threading.Thread(target=start, args=pair) for pair in zip(workers, services, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    issued = (
        line_platform.platform.calls("/module/auth/v1/token") + line_platform.platform.calls("/oauth2/v3/token")
    ) - before
    assert issued == 1 and len(set(tokens)) == 1


def test_the_shared_cache_away_is_not_the_site_away(make_worker, line_platform, redis_server, caplog):
    cache = redis.Redis.from_url(redis_server.url)
    workers = [make_worker(index, LINE_SHARED_CACHE=cache) for index in range(2)]
    tokens = [line_platform.liff_login(name)["access_token"] for name in ("Brown", "Cony")]
    assert workers[0].test_client().get("/token/me", headers=bearer(tokens[0])).status_code == 200
    caplog.set_level(logging.INFO, logger="flask_line")
    redis_server.stop()
    for _ in range(3):
        for app in workers:
            for token in tokens:
                assert app.test_client().get("/token/me", headers=bearer(token)).status_code == 200
    errors_logged = [r for r in caplog.records if r.levelno >= logging.ERROR and "shared cache" in r.getMessage()]
    assert len(errors_logged) == len(workers), "one ERROR per episode per worker"
    redis_server.start()
    assert workers[1].test_client().get("/token/me", headers=bearer(tokens[0])).status_code == 200
    assert any("works again" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_false_keeps_every_worker_alone_and_a_bad_value_is_a_configuration_error(make_worker, line_platform):
    alone = [make_worker(index, LINE_SHARED_CACHE=False) for index in range(2)]
    token = line_platform.liff_login("Brown")["access_token"]
    before = line_platform.platform.calls(VERIFY)
    for app in alone:
        assert app.test_client().get("/token/me", headers=bearer(token)).status_code == 200
    assert line_platform.platform.calls(VERIFY) - before == 2
    with pytest.raises(errors.ConfigurationError) as refused:
        make_worker(9, LINE_SHARED_CACHE="redis://localhost")
    assert refused.value.key == "LINE_SHARED_CACHE"


def test_keys_never_hold_a_token(make_worker, line_platform, redis_server):
    app = make_worker(0)
    token = line_platform.liff_login("Brown")["access_token"]
    assert app.test_client().get("/token/me", headers=bearer(token)).status_code == 200
    stored = redis.Redis.from_url(redis_server.url)
    keys = [key.decode() for key in stored.keys("flask-line:*")]
    assert keys and all(token not in key for key in keys)
    assert all(token.encode() not in (stored.get(key) or b"") for key in stored.keys("flask-line:*"))


def test_the_session_exchange_keeps_only_an_access_token_of_the_same_user(make_worker, line_platform):
    app = make_worker(0)
    brown, cony = line_platform.liff_login("Brown"), line_platform.liff_login("Cony")
    mixed = {"id_token": brown["id_token"], "access_token": cony["access_token"]}
    refused = app.test_client().post("/line/session", json=mixed)
    assert refused.status_code == 401 and refused.json["error"] == "invalid_token"
    same = {"id_token": brown["id_token"], "access_token": brown["access_token"]}
    assert app.test_client().post("/line/session", json=same).json["display_name"] == "Brown"
