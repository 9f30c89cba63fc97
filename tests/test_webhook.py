"""The module webhook: anyone can post to it, so no body or header can make it fail or change anything."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_module import BROWN_CAFE, attach, stored

SECRET = "emulator-demo-module-secret-0001"
DETACHED = {"events": [{"type": "module", "module": {"type": "detached", "botId": BROWN_CAFE}}]}


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def post(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"X-Line-Signature": signature}
    return client.post("/line/module/webhook", data=body, headers=headers)


@pytest.fixture
def attached(app, client, line_platform):
    attach(client, line_platform)
    return client


@pytest.mark.parametrize(
    "signature",
    [None, "", "\xff", "ÿÿÿÿ", "漢字", "not-base64!!", sign(b"other body"), sign(b"x", secret="wrong"), " " * 44],
    ids=["missing", "empty", "latin1", "latin1-long", "cjk", "garbage", "other-body", "other-secret", "spaces"],
)
def test_a_bad_signature_is_403_and_changes_nothing(app, attached, signature):
    body = json.dumps(DETACHED).encode()
    response = post(attached, body, signature)
    assert response.status_code == 403
    assert stored(app, BROWN_CAFE) is not None


@pytest.mark.parametrize(
    "body",
    [
        b'{"events": 5}',
        b'{"events": "abc"}',
        b'{"events": {"type": "module"}}',
        b'{"events": [1, "x", null]}',
        b'{"events": [{"type": "module"}, 7]}',
        b"[1, 2, 3]",
        b'"events"',
        b"null",
        b"{not json",
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"events": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    ],
    ids=[
        "number",
        "string",
        "dict",
        "non-objects",
        "mixed",
        "list",
        "json-string",
        "null",
        "broken",
        "binary",
        "deep-list",
        "deep-events",
    ],
)
def test_a_signed_malformed_body_is_400_logged_and_changes_nothing(app, attached, caplog, body):
    caplog.set_level(logging.WARNING, logger="flask_line")
    response = post(attached, body, sign(body))
    assert response.status_code == 400
    assert stored(app, BROWN_CAFE) is not None
    assert any("webhook" in record.getMessage().lower() for record in caplog.records)


def test_an_oversized_body_is_refused_before_it_is_read_whole(app, attached):
    body = b'{"events": [], "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = post(attached, body, sign(body))
    assert response.status_code == 413  # over LINE_MAX_BODY_SIZE (1 MiB by default)
    assert stored(app, BROWN_CAFE) is not None


def test_a_signed_detached_event_still_removes_the_record(app, attached):
    body = json.dumps(DETACHED).encode()
    assert post(attached, body, sign(body)).status_code == 200
    assert stored(app, BROWN_CAFE) is None


def test_events_with_odd_fields_are_skipped_not_fatal(app, attached):
    events = [
        {"type": "module", "module": "detached"},
        {"type": "module", "module": {"type": "detached", "botId": 5}},
        {"type": "module", "module": {"type": "detached"}},
        {"type": "message"},
        {},
    ]
    body = json.dumps({"events": events}).encode()
    assert post(attached, body, sign(body)).status_code == 200
    assert stored(app, BROWN_CAFE) is not None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(json_values, st.dictionaries(st.just("events"), json_values)), signed=st.booleans())
def test_no_body_makes_the_webhook_fail(app, attached, payload, signed):
    body = json.dumps(payload).encode()
    response = post(attached, body, sign(body) if signed else "bogus")
    assert response.status_code in (200, 400, 403)


# Applied once and in order -------------------------------------------------------------------------------------


def delivery(*events: dict, destination: str = BROWN_CAFE) -> bytes:
    return json.dumps({"destination": destination, "events": list(events)}).encode()


def event(kind: str, at_ms: int, event_id: str, **extra) -> dict:
    return {"type": kind, "timestamp": at_ms, "webhookEventId": event_id, "mode": "active", **extra}


def now_ms(offset_seconds: float = 0) -> int:
    import time

    return int((time.time() + offset_seconds) * 1000)


def test_an_old_resume_replayed_after_a_newer_suspension_does_not_lift_it(app, attached):
    old_resume = delivery(event("botResumed", now_ms(1), "01RESUME"))
    suspend = delivery(event("botSuspended", now_ms(5), "01SUSPEND"))
    assert post(attached, suspend, sign(suspend)).status_code == 200
    assert stored(app, BROWN_CAFE).active is False
    assert post(attached, old_resume, sign(old_resume)).status_code == 200
    assert stored(app, BROWN_CAFE).active is False, "the older resume does not undo the newer suspension"
    newer_resume = delivery(event("botResumed", now_ms(9), "01RESUME2"))
    post(attached, newer_resume, sign(newer_resume))
    assert stored(app, BROWN_CAFE).active is True


def test_an_old_detached_event_does_not_remove_a_bot_attached_again_since(app, attached, line_platform):
    before_reattach = now_ms(-60)
    old_detach = delivery(
        {**event("module", before_reattach, "01DETACH"), "module": {"type": "detached", "botId": BROWN_CAFE}}
    )
    assert post(attached, old_detach, sign(old_detach)).status_code == 200
    assert stored(app, BROWN_CAFE) is not None, "the bot was attached after that event"
    fresh_detach = delivery(
        {**event("module", now_ms(5), "01DETACH2"), "module": {"type": "detached", "botId": BROWN_CAFE}}
    )
    post(attached, fresh_detach, sign(fresh_detach))
    assert stored(app, BROWN_CAFE) is None


def test_a_redelivered_event_is_applied_once(app, attached):
    from flask_line import signals
    from tests.conftest import captured

    suspend = event("botSuspended", now_ms(5), "01SAME")
    redelivered = {**suspend, "deliveryContext": {"isRedelivery": True}}
    with captured(signals.module_suspended) as sent:
        for body in (delivery(suspend), delivery(redelivered)):
            assert post(attached, body, sign(body)).status_code == 200
    assert len(sent) == 1
