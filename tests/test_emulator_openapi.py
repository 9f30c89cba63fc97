"""The emulator's answers and webhooks parsed by line-bot-sdk's models, which LINE generates from its OpenAPI
documents (github line/line-openapi: messaging-api, channel-access-token, module-attach, module, webhook): what
the SDK cannot parse, LINE never sends. And the Messaging API paths it does not emulate: a clear 501."""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import requests

from flask_line.testing import DEMO_MODULE_CHANNEL_ID, DEMO_MODULE_CHANNEL_SECRET
from tests import test_emulator_fidelity
from tests.test_emulator_fidelity import channel_token, wait_for
from tests.test_module import BROWN_CAFE, attach
from tests.test_module_seed import SEED_TABLE, documented_call

webhook_receiver = test_emulator_fidelity.webhook_receiver  # the fixture, here too

CONY = "U5b0f2e3c4d5e6f708192a3b4c5d6e7f8"  # a friend of every Official Account
OTHER_MODULE = ("2000000001", "emulator-other-module-secret-0001")


@pytest.fixture(scope="module")
def sdk() -> SimpleNamespace:
    """line-bot-sdk's model packages (``sdk.messaging.PushMessageResponse``...), imported by the one worker that runs
    this module: about 3 s of imports that every pytest-xdist worker would otherwise pay while collecting."""
    packages = ("messaging", "module", "moduleattach", "oauth", "webhooks")
    return SimpleNamespace(**{name: importlib.import_module(f"linebot.v3.{name}") for name in packages})


@pytest.fixture
def bot_api(line_platform) -> Iterator[tuple[str, dict[str, str]]]:
    """The emulator's URL and the headers of a module attached to Brown Cafe with every scope."""
    platform = line_platform.platform
    scopes = frozenset(scope for _, _, scope in SEED_TABLE if scope) | {"message:receive"}
    platform.attachments[(DEMO_MODULE_CHANNEL_ID, BROWN_CAFE)] = scopes
    yield (
        line_platform.url,
        {"Authorization": f"Bearer {channel_token(line_platform.url)}", "X-Line-Bot-Id": BROWN_CAFE},
    )


def bot_call(bot_api, method: str, path: str) -> requests.Response:
    url, headers = bot_api
    body, _ = documented_call(path)
    return requests.request(method, url + path, json=body, headers=headers, timeout=5)


# 13. The Messaging API: the document's shapes, or a clear 501 --------------------------------------------------


@pytest.mark.parametrize(
    "method,path,model",
    [
        ("POST", "/v2/bot/message/push", "PushMessageResponse"),
        ("POST", "/v2/bot/message/reply", "ReplyMessageResponse"),
        ("POST", f"/v2/bot/user/{CONY}/linkToken", "IssueLinkTokenResponse"),
        ("GET", "/v2/bot/message/quota", "MessageQuotaResponse"),
        ("GET", "/v2/bot/message/quota/consumption", "QuotaConsumptionResponse"),
        ("GET", f"/v2/bot/profile/{CONY}", "UserProfileResponse"),
        ("GET", "/v2/bot/info", "BotInfoResponse"),
    ],
)
def test_each_emulated_answer_parses_as_the_sdk_model(sdk, bot_api, method, path, model):
    answer = bot_call(bot_api, method, path)
    assert answer.status_code == 200, answer.text
    parsed = getattr(sdk.messaging, model).from_json(answer.text)
    assert parsed is not None


def test_the_answers_carry_what_an_app_reads(sdk, bot_api):
    profile = sdk.messaging.UserProfileResponse.from_json(bot_call(bot_api, "GET", f"/v2/bot/profile/{CONY}").text)
    assert (profile.user_id, profile.display_name) == (CONY, "Cony")
    push = sdk.messaging.PushMessageResponse.from_json(bot_call(bot_api, "POST", "/v2/bot/message/push").text)
    assert len(push.sent_messages) == 1 and push.sent_messages[0].quote_token, "a text message can be quoted"
    consumption = bot_call(bot_api, "GET", "/v2/bot/message/quota/consumption")
    used = sdk.messaging.QuotaConsumptionResponse.from_json(consumption.text)
    assert used.total_usage == 1, "the push above counts; replies do not"
    stranger = bot_call(bot_api, "GET", "/v2/bot/profile/U4af4980629a1b2c3d4e5f60718293a4b")
    assert stranger.status_code == 404, "Brown is no friend of Brown Cafe"


@pytest.mark.parametrize("path", ["/v2/bot/message/narrowcast", "/v2/bot/chat/loading/start"])
def test_what_line_accepts_for_later_is_a_202(bot_api, path):
    answer = bot_call(bot_api, "POST", path)
    assert answer.status_code == 202 and answer.json() == {}


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", "/v2/bot/group/C0123/summary"),
        ("GET", "/v2/bot/followers/ids"),
        ("POST", "/v2/bot/richmenu"),
        ("GET", "/v2/bot/insight/followers"),
        ("PUT", "/v2/bot/coupon/coupon-1/close"),
    ],
)
def test_a_path_the_emulator_does_not_emulate_is_a_clear_501(bot_api, method, path):
    answer = bot_call(bot_api, method, path)
    assert answer.status_code == 501
    assert f"does not emulate {method} {path}" in answer.json()["message"]


def test_a_reply_needs_its_token_and_a_loading_animation_a_user(bot_api):
    url, headers = bot_api
    text = [{"type": "text", "text": "hi"}]
    reply = requests.post(f"{url}/v2/bot/message/reply", json={"messages": text}, headers=headers, timeout=5)
    assert reply.status_code == 400 and reply.json()["details"][0]["property"] == "replyToken"
    group = {"chatId": "C" + "0" * 32}
    loading = requests.post(f"{url}/v2/bot/chat/loading/start", json=group, headers=headers, timeout=5)
    assert loading.status_code == 400


# Channel access tokens, attach and the module's bot list --------------------------------------------------------


def test_token_attach_and_bot_list_answers_parse(sdk, app, client, line_platform):
    form = {"grant_type": "client_credentials", "client_id": DEMO_MODULE_CHANNEL_ID}
    form["client_secret"] = DEMO_MODULE_CHANNEL_SECRET
    issued = requests.post(f"{line_platform.url}/oauth2/v3/token", data=form, timeout=5)
    token = sdk.oauth.IssueStatelessChannelAccessTokenResponse.from_json(issued.text).access_token
    short = requests.post(f"{line_platform.url}/v2/oauth/accessToken", data=form, timeout=5).json()["access_token"]
    verified = requests.post(f"{line_platform.url}/v2/oauth/verify", data={"access_token": short}, timeout=5)
    assert sdk.oauth.VerifyChannelAccessTokenResponse.from_json(verified.text).client_id == DEMO_MODULE_CHANNEL_ID
    attach(client, line_platform, query="scope=message:receive")
    headers = {"Authorization": f"Bearer {token}"}
    listed = requests.get(f"{line_platform.url}/v2/bot/list", headers=headers, timeout=5)
    assert [bot.user_id for bot in sdk.module.GetModulesResponse.from_json(listed.text).bots] == [BROWN_CAFE]
    attached = sdk.moduleattach.AttachModuleResponse.from_dict({"bot_id": BROWN_CAFE, "scopes": ["message:receive"]})
    assert attached.bot_id == BROWN_CAFE


# 11. Webhooks ----------------------------------------------------------------------------------------------------


@pytest.fixture
def hooks(line_platform, webhook_receiver) -> list:
    urls = line_platform.platform.webhook_urls
    urls[OTHER_MODULE[0]] = urls[DEMO_MODULE_CHANNEL_ID] + "-other"
    return webhook_receiver


def events(sdk: SimpleNamespace, received: list) -> list:
    """Every delivery, parsed by the SDK: ``(destination, event)``."""
    parsed = []
    for _, _, body in received:
        callback = sdk.webhooks.CallbackRequest.from_json(body.decode())
        parsed.extend((callback.destination, event) for event in callback.events)
    return parsed


def test_module_webhooks_parse_and_detached_says_why(sdk, app, client, line_platform, hooks):
    attach(client, line_platform, query="scope=message:receive")
    with app.app_context():
        app.extensions["line"].module.detach(BROWN_CAFE)
    wait_for(hooks, 2)
    detached = [event for _, event in events(sdk, hooks) if isinstance(event, sdk.webhooks.ModuleEvent)][-1]
    assert isinstance(detached.module, sdk.webhooks.DetachedModuleContent) and detached.module.reason == "bot_deleted"


def acquire(line_platform, module: tuple[str, str], **body) -> requests.Response:
    token = channel_token(line_platform.url, *module)
    headers = {"Authorization": f"Bearer {token}", "X-Line-Bot-Id": BROWN_CAFE}
    url = f"{line_platform.url}/v2/bot/chat/{CONY}/control/acquire"
    return requests.post(url, json=body, headers=headers, timeout=5)


def test_chat_control_without_expiry_still_names_an_integer_expiry(sdk, line_platform, hooks):
    platform = line_platform.platform
    platform.attachments[(DEMO_MODULE_CHANNEL_ID, BROWN_CAFE)] = frozenset({"message:receive"})
    assert acquire(line_platform, (DEMO_MODULE_CHANNEL_ID, DEMO_MODULE_CHANNEL_SECRET), expired=False).ok
    wait_for(hooks, 1)
    (_, activated) = events(sdk, hooks)[0]
    assert isinstance(activated, sdk.webhooks.ActivatedEvent) and isinstance(activated.chat_control.expire_at, int)


def test_the_channel_that_loses_chat_control_is_deactivated(sdk, line_platform, hooks):
    platform = line_platform.platform
    platform.add_module_channel(*OTHER_MODULE)
    for channel in (DEMO_MODULE_CHANNEL_ID, OTHER_MODULE[0]):
        platform.attachments[(channel, BROWN_CAFE)] = frozenset({"message:receive"})
    assert acquire(line_platform, (DEMO_MODULE_CHANNEL_ID, DEMO_MODULE_CHANNEL_SECRET)).ok
    wait_for(hooks, 1)
    holder = platform.chat_controls[(BROWN_CAFE, CONY)]
    platform.chat_controls[(BROWN_CAFE, CONY)] = (holder[0], time.time() - 60)  # beyond the moments of a 423
    assert acquire(line_platform, OTHER_MODULE).ok
    wait_for(hooks, 3)

    def deactivated() -> list[str]:
        return [url for url, kind, _ in platform.webhook_deliveries if kind == "deactivated"]

    # The emulator records a delivery once the app answered it, a moment after the app received it.
    deadline = time.monotonic() + 5
    while not deactivated() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert deactivated() == [platform.webhook_urls[DEMO_MODULE_CHANNEL_ID]], "the first holder, switched to Standby"
    assert any(isinstance(event, sdk.webhooks.DeactivatedEvent) for _, event in events(sdk, hooks))


# 8 and 12. Pictures: LINE's /large and /small variants ------------------------------------------------------------


def test_profile_and_bot_pictures_are_served_with_lines_size_variants(sdk, bot_api, line_platform):
    token = line_platform.liff_login("Cony", scope="profile")["access_token"]
    profile = requests.get(f"{line_platform.url}/v2/profile", headers={"Authorization": f"Bearer {token}"}, timeout=5)
    bot = sdk.messaging.BotInfoResponse.from_json(bot_call(bot_api, "GET", "/v2/bot/info").text)
    for picture in (profile.json()["pictureUrl"], bot.picture_url):
        sizes = {}
        for suffix in ("", "/large", "/small"):
            answer = requests.get(picture + suffix, timeout=5)
            assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("image/"), suffix
            sizes[suffix] = answer.text.split('width="')[1].split('"')[0]
        assert sizes["/large"] == "200" and sizes["/small"] == "51"
    assert requests.get(profile.json()["pictureUrl"] + "/huge", timeout=5).status_code == 404
