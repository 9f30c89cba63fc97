"""``flask line doctor``: what to register with LINE, whether LINE accepts the app's credentials, and what only the
LINE Developers Console can do, before going live."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Flask, url_for

from ._login.service import LoginService
from ._runtime import Runtime, runtime
from ._wire.http import LineHttp
from .errors import LineError

#: The LINE Developers Console, where callbacks are registered and channels published.
CONSOLE = "https://developers.line.biz/console/"


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``ok`` (True, False: a problem, None: a reminder) and what to do."""

    ok: bool | None
    text: str

    def render(self) -> str:
        mark = {True: "ok  ", False: "FAIL", None: "todo"}[self.ok]
        return f"  [{mark}] {self.text}"


@dataclass(frozen=True)
class Callback:
    """A callback URL to register, for one product's client id."""

    product: str
    client_id: str
    url: str
    #: The LINE Login channel's name (``"default"``...), for a LINE Login callback.
    channel: str | None = None


def callbacks(app: Flask, state: Runtime, base_url: str) -> list[Callback]:
    """The exact callback URL of every LINE Login channel, the module channel and the LINE WORKS app."""
    found = []
    with app.test_request_context(base_url=base_url):
        for name in state.channels.configured:
            settings = state.channels.service(name).settings
            url = settings.callback_url or url_for("line.callback", _external=True)
            found.append(Callback(f"LINE Login channel {name!r}", settings.channel_id, url, name))
        module = state.settings.module
        if module.enabled:
            url = module.callback_url or url_for("line.attach_callback", _external=True)
            found.append(Callback("module channel", str(module.channel_id), url))
        works = state.settings.works
        if works.enabled:
            url = works.callback_url or url_for("line.works_callback", _external=True)
            found.append(Callback("LINE WORKS app", str(works.client_id), url))
    return found


def check_login_channel(http: LineHttp, service: LoginService, callback_url: str) -> Iterator[Finding]:
    """The channel's id and secret (a channel access token is issued with them), then its callback URL (LINE's
    authorize page answers an unregistered ``redirect_uri`` with an error page instead of its login page)."""
    settings = service.settings
    answer = http.request(
        "POST",
        settings.endpoints.channel_token,
        data={
            "grant_type": "client_credentials",
            "client_id": settings.channel_id,
            "client_secret": settings.channel_secret,
        },
    )
    if answer.status_code == 200:
        yield Finding(True, f"LINE accepts channel {settings.channel_id}'s id and secret")
    else:
        yield Finding(
            False,
            f"LINE refused channel {settings.channel_id}'s id or secret ({answer.status_code}): copy both from the "
            "channel's Basic settings tab",
        )
        return
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.channel_id,
            "redirect_uri": callback_url,
            "state": "flask-line-doctor",
            "scope": "profile",
        }
    )
    page = http.request("GET", f"{settings.endpoints.authorize}?{query}", allow_redirects=False)
    if page.status_code < 400:
        yield Finding(True, f"LINE accepts {callback_url} as a callback of channel {settings.channel_id}")
    else:
        yield Finding(
            False,
            f"{callback_url} is not a registered callback of channel {settings.channel_id}: add it under LINE Login "
            "> Callback URL in the LINE Developers Console",
        )


def check_module_channel(http: LineHttp, state: Runtime) -> Iterator[Finding]:
    """The module channel's id and secret, with the client-credentials grant its API calls use."""
    module = state.settings.module
    answer = http.request(
        "POST",
        module.channel_token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": module.channel_id,
            "client_secret": module.channel_secret,
        },
    )
    if answer.status_code == 200:
        yield Finding(True, f"LINE accepts module channel {module.channel_id}'s id and secret")
    else:
        yield Finding(False, f"LINE refused module channel {module.channel_id}'s id or secret ({answer.status_code})")


def check_works(state: Runtime) -> Iterator[Finding]:
    """LINE WORKS checks its client secret only in a token request: the service account's is one."""
    works = state.require_works()
    if not works.settings.service_account:
        yield Finding(None, "LINE WORKS: the client secret is checked at the first sign-in (no service account here)")
        return
    try:
        works.service_token()
    except LineError as error:
        yield Finding(False, f"LINE WORKS refused the service account: {error.message}")
    else:
        yield Finding(True, "LINE WORKS accepts the client id, secret and service account key")


def console_reminders(state: Runtime) -> Iterator[Finding]:
    """What only the LINE Developers Console can do, for the settings this app uses."""
    for name in state.channels.configured:
        settings = state.channels.service(name).settings
        yield Finding(
            None,
            f"channel {settings.channel_id}: publish it (Developing -> Published) or only its admins and testers can "
            "sign in",
        )
        if "email" in settings.scopes:
            yield Finding(
                None,
                f"channel {settings.channel_id}: apply for Email address permission (OpenID Connect tab); without it "
                "LINE never sends email, and a user may still have none",
            )
        if settings.bot_prompt:
            yield Finding(
                None,
                f"channel {settings.channel_id}: link your LINE Official Account (Basic settings > Linked LINE "
                "Official Account), or bot_prompt offers nothing",
            )
    if state.settings.module.enabled:
        yield Finding(None, "module channel: LINE must have approved it for module attach (apply through LINE)")


def doctor(app: Flask, base_url: str) -> tuple[list[str], bool]:
    """The report's lines and whether every check passed."""
    state = runtime(app)
    lines = [f"Callback URLs to register (for a site at {base_url}):"]
    found = callbacks(app, state, base_url)
    lines += [f"  {callback.product} {callback.client_id}: {callback.url}" for callback in found]
    if not found:
        lines.append("  none: no LINE product is configured (LINE_LOGIN_CHANNEL_ID, LINE_MODULE_CHANNEL_ID...)")
    findings: list[Finding] = []
    with app.app_context():
        for callback in found:
            if callback.channel is not None:
                findings += check_login_channel(state.http, state.channels.service(callback.channel), callback.url)
        if state.settings.module.enabled:
            findings += check_module_channel(state.http, state)
        if state.settings.works.enabled:
            findings += check_works(state)
        findings += console_reminders(state)
    emulator = state.settings.common.emulator_url
    lines.append(f"Checks with LINE{f' (the emulator at {emulator})' if emulator else ''}:")
    lines += [finding.render() for finding in findings if finding.ok is not None]
    lines.append(f"Only the LINE Developers Console can do these ({CONSOLE}):")
    lines += [finding.render() for finding in findings if finding.ok is None]
    return lines, all(finding.ok is not False for finding in findings)
