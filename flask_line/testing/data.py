"""What the emulated LINE platform remembers: channels, accounts, codes, tokens, attachments, calls, faults."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from joserfc.jwk import RSAKey

from .. import demo
from . import accounts
from .accounts import Channel, EmulatedUser, EmulatedWorksCompany, EmulatedWorksMember
from .faults import Fault, FaultBook
from .official_accounts import DEMO_BOT_ID, MessagingAccounts
from .signing import SigningKeys, startup_key


@dataclass
class Grant:
    """An issued authorization code, access token or refresh token."""

    client_id: str
    user_id: str
    scopes: tuple[str, ...]
    expires_at: float
    redirect_uri: str = ""
    nonce: str | None = None
    code_challenge: str | None = None
    protocol: str = "v2.1"
    extra: dict[str, Any] = field(default_factory=dict)
    used: bool = False

    def copy(self) -> Grant:
        """An unused copy (a token issued for the same grant)."""
        return Grant(**{**self.__dict__, "extra": dict(self.extra), "used": False})


class PlatformData:
    """The platform's memory, shared by every endpoint class and safe across the server's threads.

    :param channels: ``{channel_id: secret}`` of the LINE Login channels to accept (default: the demo channel).
    :param users: the users the consent screen offers (default: Brown, Cony and Sally).
    :param code_ttl: seconds an authorization code stays valid (LINE: 10 minutes).
    :param token_ttl: seconds an access token stays valid (LINE: 30 days).
    """

    def __init__(
        self,
        channels: dict[str, str] | None = None,
        users: Iterable[EmulatedUser] = accounts.DEFAULT_USERS,
        *,
        code_ttl: float = 600,
        token_ttl: float = 30 * 24 * 3600,
    ) -> None:
        self.lock = threading.RLock()
        self.code_ttl = code_ttl
        self.token_ttl = token_ttl
        self.channels: dict[str, Channel] = {}
        for channel_id, secret in (channels or {demo.DEMO_CHANNEL_ID: demo.DEMO_CHANNEL_SECRET}).items():
            self.add_channel(channel_id, secret)
        self.users = {user.user_id: user for user in users}
        self.bots = {bot.bot_id: bot for bot in accounts.DEFAULT_BOTS}
        #: Who is a friend of which module-attached Official Account: ``{(user id, bot id)}``.
        self.friendships: set[tuple[str, str]] = {
            (user.user_id, bot_id) for user in self.users.values() if user.friend for bot_id in self.bots
        }
        #: Messaging API channels and their Official Accounts (with their own friends); the demo one is linked to
        #: the demo LINE Login channel, and the users marked ``friend`` are its friends.
        self.messaging = MessagingAccounts()
        self.messaging.add_channel(
            demo.DEMO_MESSAGING_CHANNEL_ID,
            demo.DEMO_MESSAGING_CHANNEL_SECRET,
            bot_id=DEMO_BOT_ID,
            login_channels=tuple(self.channels),
        ).friends.update(user.user_id for user in self.users.values() if user.friend)
        self.module_channels: dict[str, str] = {demo.DEMO_MODULE_CHANNEL_ID: demo.DEMO_MODULE_CHANNEL_SECRET}
        #: ``{(module channel id, bot id): granted scopes}``
        self.attachments: dict[tuple[str, str], frozenset[str]] = {}
        #: Module channel access tokens: ``{token: (channel id, expires_at)}``.
        self.channel_tokens: dict[str, tuple[str, float]] = {}
        #: Chats under a module's control: ``{(bot id, chat id): (module channel id, acquired at)}``.
        self.chat_controls: dict[tuple[str, str], tuple[str, float]] = {}
        #: Every Messaging API call a module made: ``(bot id, path, JSON body)``.
        self.messages: list[tuple[str, str, Any]] = []
        self.works_members = {member.user_id: member for member in accounts.DEFAULT_WORKS_MEMBERS}
        self.works_clients: dict[str, str] = {demo.DEMO_WORKS_CLIENT_ID: demo.DEMO_WORKS_CLIENT_SECRET}
        #: The demo service account's key pair: the private half goes to the app, the public half checks it.
        self.works_demo_key: RSAKey = startup_key("works-service")
        self.works_service_accounts: dict[str, tuple[str, RSAKey]] = {
            demo.DEMO_WORKS_CLIENT_ID: (demo.DEMO_WORKS_SERVICE_ACCOUNT, self.works_demo_key)
        }
        #: Every LINE WORKS API call: ``(method, path, JSON body)``.
        self.works_calls: list[tuple[str, str, Any]] = []
        #: The same calls by the client id of the app whose token made them.
        self.works_calls_of: dict[str, list[tuple[str, str, Any]]] = {}
        #: The company (domain id) each LINE WORKS app belongs to: its sign-in offers only that company's members.
        self.works_client_domains: dict[str, str] = {demo.DEMO_WORKS_CLIENT_ID: demo.DEMO_WORKS_DOMAIN_ID}
        #: Customer companies added with :meth:`add_works_company`, by domain id.
        self.works_companies: dict[str, accounts.EmulatedWorksCompany] = {}
        self.codes: dict[str, Grant] = {}
        self.access_tokens: dict[str, Grant] = {}
        #: Access tokens revoked (their verify answer says so).
        self.revoked_tokens: set[str] = set()
        self.refresh_tokens: dict[str, Grant] = {}
        #: Browsers signed in to the emulator: ``{session id: {user_id, auth_time, consents: {client: scopes}}}``.
        self.browser_sessions: dict[str, dict[str, Any]] = {}
        #: Authorization requests waiting at the consent screen, by request id.
        self.consents: dict[str, dict[str, Any]] = {}
        #: Callback URLs registered per client (LINE Login channel, module channel, LINE WORKS app).
        self.callback_urls: dict[str, set[str]] = {}
        #: LINE WORKS apps' OIDC Logout Redirection URLs (their Developer Console field).
        self.logout_urls: dict[str, set[str]] = {}
        #: Every LINE WORKS logout: ``(client id, member id)``.
        self.works_logouts: list[tuple[str, str]] = []
        #: How the developer registers another callback URL, named with the tool they started the emulator with.
        self.registration_hint = "register it with platform.register_callback() or platform.register_app()"
        #: The header that names the bot in a module's Messaging API call (follow LINE_MODULE_BOT_ID_HEADER).
        self.bot_id_header = "X-Line-Bot-Id"
        #: Module channels' webhook URLs: module events are POSTed there, signed with the channel secret.
        self.webhook_urls: dict[str, str] = {}
        #: Every webhook delivery: ``(url, event type, HTTP status or error name)``.
        self.webhook_deliveries: list[tuple[str, str, str]] = []
        #: How many more LINE Login requests with auto login on fail as auto login fails on a phone.
        self.auto_login_failures = 0
        #: Whether ``/_emulator/faults`` accepts faults over HTTP (for an emulator in another process).
        self.fault_control = False
        self.faults = FaultBook()
        self.keys = SigningKeys()
        #: ``"METHOD /path"`` of every request served, for tests that count round trips.
        self.requests: list[str] = []
        #: The consent screens answered, newest last: ``(time, product, client id, account id, decision, scopes)``.
        self.authorizations: list[tuple[float, str, str, str, str, tuple[str, ...]]] = []

    # Setup -----------------------------------------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        secret: str,
        *,
        id_token_alg: str = "HS256",
        linked_bot: str | None = accounts.DEMO_LINKED_BOT_ID,
        email_permission: bool = True,
        status: str = "published",
        roles: Iterable[str] = (),
        provider: str = demo.DEMO_PROVIDER,
    ) -> Channel:
        """Accept a channel (or replace the one with that id), with its LINE Developers Console settings.

        :param id_token_alg: HS256 (LINE's web login) or ES256/RS256 (keys at /certs).
        :param linked_bot: the Official Account linked to it (None: none).
        :param email_permission: whether its email permission was applied (False: no ``email`` claim).
        :param status: ``"published"`` or ``"developing"`` (only ``roles`` may log in).
        :param roles: the user ids with a role on the channel.
        :param provider: the provider it belongs to: a person's user id is one per provider (the demo provider's
            ids are those of :data:`~flask_line.testing.accounts.DEFAULT_USERS`).
        """
        channel = Channel(
            channel_id,
            secret,
            id_token_alg,
            linked_bot=linked_bot,
            email_permission=email_permission,
            status=status,
            roles=set(roles),
            provider=provider,
        )
        with self.lock:
            self.channels[channel_id] = channel
        return channel

    def user_id_at(self, channel_id: str, user_id: str) -> str:
        """The id the channel ``channel_id`` (and every channel of its provider) knows the person ``user_id`` by."""
        channel = self.channels.get(channel_id)
        return accounts.provider_user_id(user_id, channel.provider if channel else demo.DEMO_PROVIDER)

    def add_module_channel(self, channel_id: str, secret: str) -> None:
        """Accept a module channel (its attach requests, token calls and Messaging API calls)."""
        with self.lock:
            self.module_channels[channel_id] = secret

    def add_works_client(
        self, client_id: str, secret: str, *, service_account: str | None = None, private_key_pem: str | None = None
    ) -> None:
        """Accept a LINE WORKS app; with ``service_account`` and the app's key, its JWT grant too."""
        with self.lock:
            self.works_clients[client_id] = secret
            if service_account and private_key_pem:
                self.works_service_accounts[client_id] = (service_account, RSAKey.import_key(private_key_pem))

    def add_works_company(
        self,
        domain_id: str,
        members: Sequence[EmulatedWorksMember] = (),
        *,
        name: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> EmulatedWorksCompany:
        """A new customer company: its domain, its members (moved into the domain) and the app it added, with a
        service account and a fresh private key of its own. Register its callback with :meth:`register_callback`.
        """
        client_id = client_id or f"works-client-{domain_id}"
        key = RSAKey.generate_key(2048, parameters={"alg": "RS256"})
        company = EmulatedWorksCompany(
            domain_id=domain_id,
            name=name or f"Company {domain_id}",
            client_id=client_id,
            client_secret=client_secret or secrets.token_urlsafe(24),
            service_account=f"{client_id}.serviceaccount@{domain_id}.works.example",
            private_key=key.as_pem(private=True).decode(),
            members=tuple(replace(member, domain_id=domain_id) for member in members),
        )
        with self.lock:
            self.works_companies[domain_id] = company
            self.works_clients[client_id] = company.client_secret
            self.works_client_domains[client_id] = domain_id
            self.works_service_accounts[client_id] = (company.service_account, key)
            for member in company.members:
                self.works_members[member.user_id] = member
        return company

    def rotate_works_key(self, client_id: str) -> str:
        """Issue a new private key for the app's service account (the Developer Console's "reissue"): the old key
        is refused from now on. Returns the new key (PEM)."""
        key = RSAKey.generate_key(2048, parameters={"alg": "RS256"})
        with self.lock:
            account, _ = self.works_service_accounts[client_id]
            self.works_service_accounts[client_id] = (account, key)
        return str(key.as_pem(private=True).decode())

    def works_members_of(self, client_id: str) -> list[EmulatedWorksMember]:
        """The members an app's sign-in offers: those of the company that added it (every member for an app
        that belongs to no company)."""
        domain = self.works_client_domains.get(client_id)
        return [member for member in self.works_members.values() if domain is None or member.domain_id == domain]

    def sign_id_tokens_with(self, alg: str, channel_id: str = demo.DEMO_CHANNEL_ID) -> None:
        """Sign the channel's ID tokens with ``alg`` (HS256, ES256 or RS256) from now on."""
        with self.lock:
            self.channels[channel_id].id_token_alg = alg

    def add_user(self, user: EmulatedUser) -> None:
        """Offer one more user on the consent screen."""
        with self.lock:
            self.users[user.user_id] = user
            if user.friend:
                self.friendships.update((user.user_id, bot_id) for bot_id in self.bots)

    def is_friend(self, user_id: str, bot_id: str | None) -> bool:
        """Whether ``user_id`` added the Official Account ``bot_id`` as a friend (never, for no account)."""
        with self.lock:
            return bot_id is not None and (user_id, bot_id) in self.friendships

    def add_friend(self, user_id: str, bot_id: str) -> bool:
        """``user_id`` adds ``bot_id`` as a friend; whether that changed anything (False: already a friend)."""
        with self.lock:
            if (user_id, bot_id) in self.friendships:
                return False
            self.friendships.add((user_id, bot_id))
            return True

    def inject(self, request: str, **fault: Any) -> None:
        """Queue a :class:`~flask_line.testing.faults.Fault` for ``request``, such as ``"POST /oauth2/v2.1/token"``."""
        self.faults.add(Fault(request, **fault))

    def fail_auto_login(self, times: int = 1) -> None:
        """Make the next ``times`` LINE Login requests that allow auto login fail as auto login fails on a phone
        (private browsing, the OS opening LINE's answer elsewhere): LINE shows no screen and sends the browser to
        the callback with an unusable ``code`` and a ``state`` the app never issued (LINE's "How to handle auto
        login failure"). A request with ``disable_auto_login=true`` or ``prompt=login`` is not affected."""
        with self.lock:
            self.auto_login_failures += times

    def take_auto_login_failure(self) -> bool:
        """Whether this auto login fails (using up one of :meth:`fail_auto_login`'s failures)."""
        with self.lock:
            if self.auto_login_failures <= 0:
                return False
            self.auto_login_failures -= 1
            return True

    def rotate_keys(self) -> None:
        """Publish new signing keys with new ``kid`` values (the old ones disappear, as after a LINE rotation)."""
        with self.lock:
            self.keys.rotate()

    def register_callback(self, client_id: str, url: str) -> None:
        """Register ``url`` as a callback URL of ``client_id``, as in the LINE Developers Console."""
        with self.lock:
            self.callback_urls.setdefault(client_id, set()).add(url)

    def register_logout_url(self, client_id: str, url: str) -> None:
        """Register ``url`` as an OIDC Logout Redirection URL of the LINE WORKS app ``client_id`` (its Developer
        Console accepts only HTTPS URLs there): its logout sends the browser back only to one of these."""
        with self.lock:
            self.logout_urls.setdefault(client_id, set()).add(url)

    def register_app(self, base_url: str, prefix: str = "/line") -> None:
        """Register a flask-line app's three callbacks (``{base_url}{prefix}/callback``, ``/attach/callback``,
        ``/works/callback``) for every LINE Login channel, module channel and LINE WORKS app, and its home page
        (``{base_url}/``) as every LINE WORKS app's logout redirect URL."""
        base = base_url.rstrip("/") + prefix
        for client_id in self.channels:
            self.register_callback(client_id, f"{base}/callback")
        for client_id in self.module_channels:
            self.register_callback(client_id, f"{base}/attach/callback")
        for client_id in self.works_clients:
            self.register_callback(client_id, f"{base}/works/callback")
            self.register_logout_url(client_id, f"{base_url.rstrip('/')}/")

    def calls(self, path: str) -> int:
        """How many requests to ``path`` (any method) were served."""
        return sum(1 for entry in self.requests if entry.split(" ", 1)[1] == path)

    # Issuing ---------------------------------------------------------------------------------------------------

    def issue(self, store: dict[str, Grant], grant: Grant, ttl: float) -> str:
        """Store ``grant`` under a fresh random value valid for ``ttl`` seconds, and return that value."""
        value = secrets.token_urlsafe(24)
        grant.expires_at = time.time() + ttl
        with self.lock:
            store[value] = grant
        return value

    def live_access_token(self, token: str) -> Grant | None:
        """The grant of an unexpired access token, or None."""
        with self.lock:
            grant = self.access_tokens.get(token)
        return grant if grant is not None and grant.expires_at > time.time() else None
