"""Run a :class:`LinePlatform` on a local port, and walk its consent screen the way a browser would."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from .. import demo
from .accounts import Channel
from .keepalive import KeepAliveServer
from .official_accounts import OfficialAccount
from .platform import LinePlatform


@dataclass(frozen=True)
class AuthorizationResponse:
    """Where LINE sends the browser back: ``url`` with ``params`` as a query or fragment (GET) or a form body (POST)."""

    method: str
    url: str
    params: dict[str, str]

    @property
    def path(self) -> str:
        """``url``'s path and query, for a Flask test client."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class EmulatorServer:
    """A :class:`LinePlatform` served over HTTP on 127.0.0.1 from a background thread.

    :param platform: the platform to serve (default: a new one with the demo channel).
    :param port: the port (default: any free one).
    """

    def __init__(self, platform: LinePlatform | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.platform = platform or LinePlatform()
        self._server = KeepAliveServer(host, port, self.platform)
        self._thread = threading.Thread(target=self._serve, name="line-emulator", daemon=True)
        self.browser = requests.Session()

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far: a keep-alive client opens one and reuses it."""
        return self._server.connections_accepted

    @property
    def url(self) -> str:
        """The emulator's base URL (what ``LINE_EMULATOR_URL`` should be)."""
        return f"http://{self._server.host}:{self._server.port}"

    def _serve(self) -> None:
        # A short poll interval makes stop() quick, which adds up over a test suite.
        self._server.serve_forever(poll_interval=0.01)

    def start(self) -> EmulatorServer:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close connections."""
        self._server.shutdown()
        self._server.server_close()
        self.browser.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]) -> None:
        self.stop()

    def app_config(
        self, channel_id: str = demo.DEMO_CHANNEL_ID, channel_secret: str = demo.DEMO_CHANNEL_SECRET
    ) -> dict[str, Any]:
        """``app.config`` entries that point an app's LINE Login at this emulator."""
        return {
            "LINE_EMULATOR_URL": self.url,
            "LINE_LOGIN_CHANNEL_ID": channel_id,
            "LINE_LOGIN_CHANNEL_SECRET": channel_secret,
            "LINE_MODULE_CHANNEL_ID": demo.DEMO_MODULE_CHANNEL_ID,
            "LINE_MODULE_CHANNEL_SECRET": demo.DEMO_MODULE_CHANNEL_SECRET,
            "LINE_WORKS_CLIENT_ID": demo.DEMO_WORKS_CLIENT_ID,
            "LINE_WORKS_CLIENT_SECRET": demo.DEMO_WORKS_CLIENT_SECRET,
            "LINE_WORKS_SERVICE_ACCOUNT": demo.DEMO_WORKS_SERVICE_ACCOUNT,
            "LINE_WORKS_PRIVATE_KEY": self.platform.works_demo_key.as_pem(private=True).decode(),
        }

    def add_shop(
        self,
        provider: str,
        *,
        login: tuple[str, str],
        messaging: tuple[str, str],
        webhook_url: str | None = None,
    ) -> OfficialAccount:
        """One shop of a platform as the LINE Developers Console holds it: a LINE Login channel and a Messaging API
        channel (its Official Account, linked to the login channel, so ``add_friend`` at its consent screen
        befriends it) under ``provider``. ``login`` and ``messaging`` are ``(channel id, secret)``; the app's
        ``LoginChannel`` and ``MessagingChannel`` use the same values and ``provider``. Returns the account: set its
        ``webhook_url`` once the app serves, read what it sent with ``platform.messaging.messages_to(user,
        channel_id)``."""
        self.platform.add_channel(*login, provider=provider)
        return self.platform.messaging.add_channel(
            *messaging, provider=provider, login_channels=(login[0],), webhook_url=webhook_url
        )

    def add_channel(
        self,
        channel_id: str,
        secret: str,
        *,
        callback_urls: Iterable[str] = (),
        roles: Iterable[str] = (),
        **console: Any,
    ) -> Channel:
        """Add a LINE Login channel with its LINE Developers Console settings, and register its callback URLs.

        ``roles`` names the users with a role on the channel, by id or display name; ``console`` takes
        :meth:`~flask_line.testing.data.PlatformData.add_channel`'s settings (``email_permission``, ``status``,
        ``linked_bot``, ``id_token_alg``)::

            line.add_channel("1660000000", secret, status="developing", roles=["Brown"], email_permission=False)
        """
        members = [self._user_id(name) for name in roles]
        channel = self.platform.add_channel(channel_id, secret, roles=members, **console)
        for url in callback_urls:
            self.platform.register_callback(channel_id, url)
        return channel

    def liff_login(
        self,
        user: str | None = None,
        *,
        channel_id: str | None = None,
        scope: str = "profile openid",
        nonce: str | None = None,
    ) -> dict[str, Any]:
        """The credentials a LIFF app (or native app) of ``user`` would send: ``access_token``, ``id_token`` (ES256)."""
        form = {"user": user or "", "channel_id": channel_id or "", "scope": scope, "nonce": nonce or ""}
        answer = requests.post(f"{self.url}/_emulator/liff/token", data=form, timeout=10)
        answer.raise_for_status()
        body: dict[str, Any] = answer.json()
        return body

    def consent(
        self,
        authorize_url: str,
        *,
        user: str | None = None,
        allow: bool = True,
        add_friend: bool = False,
        scopes: list[str] | None = None,
        browser: requests.Session | None = None,
    ) -> AuthorizationResponse:
        """Open ``authorize_url`` and answer the consent screen as a person would.

        :param user: the user (or, for a module attach, Official Account) id or name to pick (default: the first).
        :param scopes: for a module attach, the scopes the admin leaves ticked (default: all requested).
        :param allow: press Allow (True) or Cancel (False).
        :param browser: the HTTP session to use (default: one shared by the server; pass one per thread).
        :return: where the browser is sent next.
        """
        if not authorize_url.startswith(f"{self.url}/"):
            raise AssertionError(
                f"The app sent the browser to {authorize_url.split('?')[0]}, not to this emulator ({self.url}): it "
                "read its LINE_ settings before the test changed them (an app made at import time). Use "
                "flask_line.testing.configure_app(app, line_app_config), which reloads them."
            )
        browser = browser or self.browser
        page = browser.get(authorize_url, allow_redirects=False, timeout=10)
        if page.status_code in (301, 302, 303):
            return _redirect_target(page.headers["Location"])
        page.raise_for_status()
        form: dict[str, Any] = {
            "request_id": page.headers["X-Emulator-Request-Id"],
            "user_id": self._user_id(user) if user else "",
            "decision": "allow" if allow else "deny",
        }
        if add_friend:
            form["add_friend"] = "1"
        if scopes is not None:
            form.update(scope_choice="custom", granted_scope=scopes)
        answer = browser.post(f"{self.url}/_emulator/consent", data=form, allow_redirects=False, timeout=10)
        if answer.status_code in (301, 302, 303):
            return _redirect_target(answer.headers["Location"])
        answer.raise_for_status()
        return _form_post_target(answer.text)

    def _user_id(self, name_or_id: str) -> str:
        for user in self.platform.users.values():
            if name_or_id in (user.user_id, user.display_name):
                return user.user_id
        for member in self.platform.works_members.values():
            if name_or_id in (member.user_id, member.email, member.display_name, member.first_name):
                return member.user_id
        for bot in self.platform.bots.values():
            if name_or_id in (bot.bot_id, bot.display_name, bot.basic_id):
                return bot.bot_id
        raise LookupError(f"no emulated user or Official Account {name_or_id!r}")


def _redirect_target(location: str) -> AuthorizationResponse:
    """The parameters of a redirect back: its query, and its fragment (where an implicit answer travels)."""
    parts = urlsplit(location)
    return AuthorizationResponse("GET", location, {**dict(parse_qsl(parts.query)), **dict(parse_qsl(parts.fragment))})


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action") or ""
        elif tag == "input" and values.get("name"):
            self.fields[values["name"] or ""] = values.get("value") or ""


def _form_post_target(html: str) -> AuthorizationResponse:
    reader = _FormReader()
    reader.feed(html)
    return AuthorizationResponse("POST", reader.action, reader.fields)
