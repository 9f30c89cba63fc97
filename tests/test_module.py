"""Module channel attach, the scope decorator, the Messaging API client, detach and the store."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from flask_line import ModuleAttachment, SQLiteAttachmentStore, errors, signals
from flask_line.testing import sign_in_line_user
from tests.conftest import captured, deliver, follow_login

BROWN = "U4af4980629a1b2c3d4e5f60718293a4b"
CONY = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"
BROWN_CAFE = "Ub1f0c2a3d4e5f60718293a4b5c6d7e8f"
CONY_FLOWERS = "Uc2a1d3b4e5f60718293a4b5c6d7e8f90"


BROWN_ID = "U4af4980629a1b2c3d4e5f60718293a4b"


def attach(client, line_platform, query="", account="Brown Cafe", scopes=None, allow=True, admin="Brown"):
    """Sign ``admin`` in with LINE (None: attach anonymously), then attach ``account``."""
    if admin is not None:
        follow_login(client, line_platform, user=admin)
    start = client.get(f"/line/attach?{query}")
    assert start.status_code == 302, start.data
    return deliver(client, line_platform.consent(start.location, user=account, scopes=scopes, allow=allow))


def stored(app, bot_id):
    with app.app_context():
        return app.extensions["line"].module.store.get(bot_id)


def test_attach_request_reaches_line_with_region_search_id_and_brand_type(client, line_platform):
    sign_in_line_user(client, BROWN_ID)
    start = client.get("/line/attach?region=JP&basic_search_id=@browncafe&brand_type=premium%20verified")
    assert start.location.startswith(f"{line_platform.url}/module/auth/v1/authorize?")
    params = {key: value[0] for key, value in parse_qs(urlsplit(start.location).query).items()}
    assert params["client_id"] == "2000000000"
    assert params["scope"] == "message:send message:receive"
    assert params["region"] == "JP"
    assert params["basic_search_id"] == "@browncafe"
    assert params["brand_type"] == "premium verified"
    assert params["code_challenge_method"] == "S256"
    assert params["redirect_uri"] == "http://app.test/line/attach/callback"


def test_attach_stores_the_granted_attachment_and_selects_it(app, client, line_platform):
    with captured(signals.module_attached) as attached:
        response = attach(client, line_platform, query="region=JP&basic_search_id=@browncafe&next=/done")
    assert response.location == "/done"
    record = stored(app, BROWN_CAFE)
    assert record.scopes == {"message:send", "message:receive"}
    assert record.region == "JP" and record.basic_search_id == "@browncafe"
    assert record.attached_by == BROWN
    assert attached[0]["attachment"] == record
    assert client.post("/send").json["status"] == 200


def test_attach_records_the_line_login_user_who_attached(app, client, line_platform):
    attach(client, line_platform, admin="Cony")
    assert stored(app, BROWN_CAFE).attached_by == CONY


def test_only_the_scopes_line_granted_are_trusted(app, client, line_platform):
    attach(client, line_platform, query="scope=message:send%20account:manage", scopes=["message:send"])
    assert stored(app, BROWN_CAFE).scopes == {"message:send"}


def test_reattach_updates_scopes_in_place(app, client, line_platform):
    attach(client, line_platform)
    attach(client, line_platform, query="scope=message:send%20account:manage")
    with app.app_context():
        attachments = app.extensions["line"].module.attachments()
    assert [record.bot_id for record in attachments] == [BROWN_CAFE]
    assert stored(app, BROWN_CAFE).scopes == {"message:send", "account:manage"}


def test_admin_denial_fires_module_attach_denied_and_stores_nothing(app, client, line_platform):
    with captured(signals.module_attach_denied) as denied:
        response = attach(client, line_platform, allow=False)
    assert response.status_code == 403
    assert denied[0]["error"] == "access_denied"
    assert stored(app, BROWN_CAFE) is None


@pytest.mark.parametrize(
    "fault,status",
    [
        ({"status": 400, "body": {"error": "invalid_grant"}}, 400),
        ({"status": 500, "body": "down"}, 502),
        ({"status": 200, "body": "not json"}, 502),
        ({"status": 200, "body": {"bot_id": BROWN_CAFE}}, 502),
        ({"delay": 1.0}, 504),
    ],
    ids=["4xx json", "5xx", "garbage", "no scopes", "timeout"],
)
def test_attach_token_failure_is_clean_and_stores_nothing(make_app, line_platform, fault, status):
    app = make_app(LINE_HTTP_TIMEOUT=0.3)
    client = app.test_client()
    line_platform.platform.inject("POST /module/auth/v1/token", **fault)
    with captured(signals.module_attach_failed) as failed:
        response = attach(client, line_platform)
    assert response.status_code == status
    assert isinstance(failed[0]["error"], errors.LineError)
    assert stored(app, BROWN_CAFE) is None


def test_login_state_is_refused_at_the_attach_callback(client, line_platform, caplog):
    start = client.get("/line/login")
    back = line_platform.consent(start.location)
    response = client.get(f"/line/attach/callback?code={back.params['code']}&state={back.params['state']}")
    assert response.status_code == 400
    assert "belongs to a login" in caplog.text


def test_a_store_failure_after_line_attached_is_an_error_page_and_logged(make_app, line_platform, caplog, tmp_path):
    class BrokenStore(SQLiteAttachmentStore):
        def save(self, attachment):
            raise OSError("disk full")

        claim = save  # every write fails

    app = make_app(store=BrokenStore(tmp_path / "broken.sqlite3"))
    client = app.test_client()
    with captured(signals.module_attach_failed) as failed:
        response = attach(client, line_platform)
    assert response.status_code == 500
    assert isinstance(failed[0]["error"], errors.AttachmentStoreError)
    assert any(BROWN_CAFE in record.getMessage() and record.levelname == "ERROR" for record in caplog.records)


def test_decorator_redirects_to_attach_with_the_union_of_scopes(app, client, line_platform):
    attach(client, line_platform, query="scope=message:send")
    response = client.get("/insights?range=7d")
    assert response.status_code == 302
    params = {key: value[0] for key, value in parse_qs(urlsplit(response.location).query).items()}
    assert urlsplit(response.location).path == "/line/attach"
    assert params["scope"] == "account:manage message:send"
    assert params["next"] == "/insights?range=7d"


def test_decorator_without_attachment_redirects_a_signed_in_admin_to_attach(client):
    sign_in_line_user(client, BROWN_ID)
    response = client.post("/send")
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/line/attach" and "scope=message:send" in response.location


def test_decorator_without_attachment_sends_an_anonymous_admin_to_sign_in_first(client):
    response = client.post("/send")
    assert urlsplit(response.location).path == "/line/login"
    assert parse_qs(urlsplit(response.location).query)["next"] == ["/send"]


def test_decorator_answers_json_clients_with_403_naming_missing_scopes(client, line_platform):
    attach(client, line_platform, query="scope=message:send")
    response = client.get("/insights", headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.json["missing_scopes"] == ["account:manage"]


def test_api_client_sends_the_channel_token_and_bot_id(app, client, line_platform):
    attach(client, line_platform)
    assert client.post("/send").json["body"]["sentMessages"]
    bot_id, path, body = line_platform.platform.messages[-1]
    assert bot_id == BROWN_CAFE and path == "/v2/bot/message/push"
    assert body["messages"][0]["text"] == "hi"


def test_channel_token_is_cached_and_reissued_once_on_401(app, client, line_platform):
    attach(client, line_platform)
    for _ in range(3):
        client.post("/send")
    assert line_platform.platform.calls("/oauth2/v3/token") == 1
    line_platform.platform.channel_tokens.clear()  # LINE revoked it early
    assert client.post("/send").json["status"] == 200
    assert line_platform.platform.calls("/oauth2/v3/token") == 2


def test_api_client_refuses_a_call_outside_the_granted_scopes_before_any_http(app, client, line_platform):
    attach(client, line_platform, query="scope=message:send")
    before = len(line_platform.platform.requests)
    with app.app_context():
        api = app.extensions["line"].module.api(BROWN_CAFE)
        with pytest.raises(errors.MissingModuleScope) as refused:
            api.get("/v2/bot/insight/followers?date=20260101")
    assert refused.value.missing == {"account:manage"}
    assert len(line_platform.platform.requests) == before


def test_detach_calls_line_removes_the_record_and_signals(app, client, line_platform):
    attach(client, line_platform)
    with captured(signals.module_detached) as detached, app.app_context():
        app.extensions["line"].module.detach(BROWN_CAFE)
    assert detached[0]["bot_id"] == BROWN_CAFE
    assert stored(app, BROWN_CAFE) is None
    assert ("2000000000", BROWN_CAFE) not in line_platform.platform.attachments


def test_failed_detach_keeps_the_record(app, client, line_platform):
    attach(client, line_platform)
    line_platform.platform.inject("POST /v2/bot/channel/detach", status=500)
    with app.app_context(), pytest.raises(errors.UpstreamUnavailable):
        app.extensions["line"].module.detach(BROWN_CAFE)
    assert stored(app, BROWN_CAFE) is not None


def test_select_switches_the_current_attachment(app, client, line_platform):
    attach(client, line_platform, account="Brown Cafe")
    attach(client, line_platform, account="Cony Flowers")

    assert client.get("/bots/current").json["bot_id"] == CONY_FLOWERS
    assert client.post(f"/bots/select?bot={BROWN_CAFE}").json["bot_id"] == BROWN_CAFE
    assert client.get("/bots/current").json["bot_id"] == BROWN_CAFE
    assert client.post("/bots/select?bot=Unknown").status_code == 404


def webhook(client, body: bytes, secret: str = "emulator-demo-module-secret-0001"):
    signature = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return client.post("/line/module/webhook", data=body, headers={"X-Line-Signature": signature})


def test_webhook_detached_event_removes_the_record(app, client, line_platform):
    attach(client, line_platform)
    body = b'{"destination":"x","events":[{"type":"module","mode":"active","module":{"type":"detached","botId":"%s"}}]}'
    with captured(signals.module_detached) as detached:
        assert webhook(client, body % BROWN_CAFE.encode()).status_code == 200
    assert stored(app, BROWN_CAFE) is None
    assert detached[0]["bot_id"] == BROWN_CAFE


def test_webhook_with_a_bad_signature_changes_nothing(app, client, line_platform):
    attach(client, line_platform)
    body = b'{"events":[{"type":"module","module":{"type":"detached","botId":"%s"}}]}' % BROWN_CAFE.encode()
    assert webhook(client, body, secret="wrong").status_code == 403
    assert stored(app, BROWN_CAFE) is not None


@pytest.mark.parametrize("query", ["scope=message:fly", "region=US", "brand_type=gold", "basic_search_id=%3Cx%3E"])
def test_bad_attach_parameter_is_a_400(client, query):
    sign_in_line_user(client, BROWN_ID)
    assert client.get(f"/line/attach?{query}").status_code == 400


def sample(bot_id: str, scopes=("message:send",)) -> ModuleAttachment:
    return ModuleAttachment(bot_id, frozenset(scopes), datetime.now(timezone.utc))


def test_store_loses_nothing_under_concurrent_writers(tmp_path):
    store = SQLiteAttachmentStore(tmp_path / "store.sqlite3")
    errors_seen: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for index in range(25):
                store.save(sample(f"U{worker:02d}{index:03d}"))
        except BaseException as error:
            errors_seen.append(error)

    threads = [threading.Thread(target=writer, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors_seen == []
    assert len(store.list()) == 8 * 25


def test_records_survive_an_app_restart(make_app, line_platform):
    first = make_app()
    attach(first.test_client(), line_platform)
    restarted = make_app()
    assert stored(restarted, BROWN_CAFE).scopes == {"message:send", "message:receive"}


@pytest.mark.parametrize(
    "config,key",
    [
        ({"LINE_MODULE_SCOPES": "message:fly"}, "LINE_MODULE_SCOPES"),
        ({"LINE_MODULE_REGION": "US"}, "LINE_MODULE_REGION"),
        ({"LINE_MODULE_BRAND_TYPE": "gold"}, "LINE_MODULE_BRAND_TYPE"),
        ({"LINE_MODULE_CHANNEL_SECRET": None}, "LINE_MODULE_CHANNEL_SECRET"),
        ({"LINE_MODULE_STORE_URI": "postgres://db"}, "LINE_MODULE_STORE_URI"),
        ({"LINE_MESSAGING_API_URL": "api.line.me"}, "LINE_MESSAGING_API_URL"),
    ],
)
def test_bad_module_setting_is_a_configuration_error(make_app, config, key):
    with pytest.raises(errors.ConfigurationError) as raised:
        make_app(**config)
    assert raised.value.key == key


def test_a_protected_view_reads_the_attachment_once_per_request(make_app, line_platform, tmp_path):
    class CountingStore(SQLiteAttachmentStore):
        reads = 0

        def get(self, bot_id):
            CountingStore.reads += 1
            return super().get(bot_id)

    client = make_app(store=CountingStore(tmp_path / "counting.sqlite3")).test_client()
    attach(client, line_platform)
    CountingStore.reads = 0
    assert client.post("/send").json["status"] == 200
    assert CountingStore.reads == 1, "the decorator's lookup is reused by module.api()"
