"""No object flask-line builds shows a secret, key or token in ``repr``/``str``, and no log line carries one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from flask_line.testing import (
    DEMO_CHANNEL_SECRET,
    DEMO_MODULE_CHANNEL_SECRET,
    DEMO_WORKS_CLIENT_SECRET,
)
from tests.conftest import expire_token, follow_login
from tests.test_module import BROWN_CAFE, attach


def reachable(root: Any, max_depth: int = 8) -> Iterator[Any]:
    """Every flask-line object reachable from ``root`` through attributes, containers and closures."""
    seen: set[int] = set()
    stack = [(root, 0)]
    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen or depth > max_depth or isinstance(obj, str | bytes | int | float | bool | type(None)):
            continue
        seen.add(id(obj))
        if isinstance(obj, dict):
            children = [*obj.keys(), *obj.values()]
        elif isinstance(obj, list | tuple | set | frozenset):
            children = list(obj)
        elif type(obj).__module__.startswith("flask_line"):
            yield obj
            children = list(vars(obj).values()) if hasattr(obj, "__dict__") else []
            children += [getattr(obj, name) for name in getattr(type(obj), "__dataclass_fields__", {})]
        elif callable(obj) and getattr(obj, "__closure__", None):
            children = [cell.cell_contents for cell in obj.__closure__]
        else:
            continue
        stack.extend((child, depth + 1) for child in children)


@pytest.fixture
def everything_used(app, client, line_platform, caplog):
    """An app after a login, a refresh, an attach, a push, a LINE WORKS sign-in and a service-account call."""
    caplog.set_level(logging.DEBUG)

    @app.get("/refresh")
    def refresh() -> str:
        app.extensions["line"].get_access_token()
        return "ok"

    attach(client, line_platform, admin="Brown")
    client.post("/send")
    start = client.get("/line/works/login")
    client.get(line_platform.consent(start.location).path)
    expire_token(client)
    assert client.get("/refresh").status_code == 200
    with app.app_context():
        app.extensions["line"].works.api().post("/bots/1/users/u/messages", json={"content": {}})
        app.extensions["line"].module.api(BROWN_CAFE).get("/v2/bot/info")
    return app


def secrets_of(line_platform) -> list[str]:
    platform = line_platform.platform
    pem = platform.works_demo_key.as_pem(private=True).decode()
    key_body = [line for line in pem.splitlines() if "-----" not in line]
    return [
        DEMO_CHANNEL_SECRET,
        DEMO_MODULE_CHANNEL_SECRET,
        DEMO_WORKS_CLIENT_SECRET,
        *key_body[:3],
        *platform.access_tokens,
        *platform.refresh_tokens,
        *platform.channel_tokens,
    ]


def test_no_object_shows_a_secret_in_repr_or_str(everything_used, line_platform):
    line = everything_used.extensions["line"]
    with everything_used.app_context():
        roots = [line, line.settings, line.login, line.module, line.works]
        objects = [obj for root in roots for obj in reachable(root)]
    names = {type(obj).__name__ for obj in objects}
    assert {"LoginSettings", "ModuleSettings", "WorksSettings", "IdTokenVerifier", "OAuthClient"} <= names
    assert {"LoginFlow", "AttachFlow", "WorksSignInFlow", "SharedToken", "LineToken"} <= names
    assert {"LoginService", "SignedInIdentity", "AttachmentSelection"} <= names
    secrets = secrets_of(line_platform)
    assert len(secrets) > 8
    for obj in objects:
        shown = repr(obj) + str(obj)
        leaked = [secret for secret in secrets if secret in shown]
        assert not leaked, f"{type(obj).__name__} shows a secret in repr/str"


def test_no_log_line_carries_a_secret(everything_used, line_platform, caplog):
    secrets = secrets_of(line_platform)
    records = caplog.get_records("setup")  # the flows ran in the fixture
    assert len(records) > 10, "the flows logged something"
    for record in records:
        text = record.getMessage() + str(record.args)
        assert not [secret for secret in secrets if secret in text], f"log line leaks a secret: {record.name}"


def test_error_pages_and_messages_carry_no_secret(make_app, line_platform):
    client = make_app(LINE_LOGIN_CHANNEL_SECRET="wrong-secret-that-must-not-show-0001").test_client()
    response = follow_login(client, line_platform)
    assert response.status_code >= 400
    assert b"wrong-secret-that-must-not-show-0001" not in response.data
    assert DEMO_CHANNEL_SECRET.encode() not in response.data


def test_the_database_password_never_shows(make_app, line_platform, caplog):
    password = "pg-password-must-not-show-0002"
    app = make_app(LINE_DATABASE_URI=f"postgresql+psycopg://site:{password}@127.0.0.1:1/site")
    line = app.extensions["line"]
    line.link_user(lambda identity, linked_user_id: None)
    client = app.test_client()
    caplog.set_level(logging.DEBUG)
    response = follow_login(client, line_platform, user="Brown")  # the link store cannot be reached
    assert response.status_code == 503
    send = client.post("/send", headers={"Accept": "application/json"})  # reads the attachment store
    assert send.status_code in (401, 403, 503) and password not in send.get_data(as_text=True)
    with app.app_context():
        roots = [line, line.settings, line.login, line.module, line.account_links]
        objects = [obj for root in roots for obj in reachable(root)]
        shown = "".join(repr(obj) + str(obj) for obj in objects) + repr(line.account_links)
    assert password not in shown
    assert password not in response.get_data(as_text=True)
    assert password not in caplog.text
