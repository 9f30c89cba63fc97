"""The emulated LINE platform: channels, users, codes and tokens in memory, served as a WSGI app."""

from __future__ import annotations

import base64
import functools
import json
import secrets
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, jsonify, request
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey

from .faults import Fault, FaultBook

#: The channel the demo and the test fixtures use unless told otherwise.
DEMO_CHANNEL_ID = "1650000000"
DEMO_CHANNEL_SECRET = "emulator-demo-channel-secret-0001"


@dataclass
class EmulatedUser:
    """A LINE user the consent screen offers."""

    user_id: str
    display_name: str
    picture_url: str | None = None
    email: str | None = None
    status_message: str | None = None
    #: Whether the user is a friend of the channel's linked Official Account.
    friend: bool = False


@dataclass
class Channel:
    """A channel the emulator knows: its secret, and how its ID tokens are signed."""

    channel_id: str
    secret: str
    id_token_alg: str = "HS256"


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


@dataclass
class EmulatedBot:
    """A LINE Official Account an admin can attach a module to."""

    bot_id: str
    display_name: str
    basic_id: str


DEFAULT_BOTS = (
    EmulatedBot("Ub1f0c2a3d4e5f60718293a4b5c6d7e8f", "Brown Cafe", "@browncafe"),
    EmulatedBot("Uc2a1d3b4e5f60718293a4b5c6d7e8f90", "Cony Flowers", "@conyflowers"),
)


@dataclass
class EmulatedWorksMember:
    """A LINE WORKS member the sign-in screen offers."""

    user_id: str
    email: str
    last_name: str
    first_name: str
    domain_id: str = "10000001"

    @property
    def display_name(self) -> str:
        """The name the consent screen shows."""
        return f"{self.last_name} {self.first_name}"


DEFAULT_WORKS_MEMBERS = (
    EmulatedWorksMember("a1b2c3d4-0000-4000-8000-000000000001", "alice@works.example", "Tanaka", "Alice"),
    EmulatedWorksMember("a1b2c3d4-0000-4000-8000-000000000002", "bob@works.example", "Sato", "Bob"),
)

DEMO_WORKS_CLIENT_ID = "works-demo-client"
DEMO_WORKS_CLIENT_SECRET = "emulator-demo-works-secret-0001"
DEMO_WORKS_SERVICE_ACCOUNT = "demo.serviceaccount@works.example"

DEMO_MODULE_CHANNEL_ID = "2000000000"
DEMO_MODULE_CHANNEL_SECRET = "emulator-demo-module-secret-0001"

DEFAULT_USERS = (
    EmulatedUser("U4af4980629a1b2c3d4e5f60718293a4b", "Brown", email="brown@example.com", status_message="Hello!"),
    EmulatedUser("U5b0f2e3c4d5e6f708192a3b4c5d6e7f8", "Cony", email="cony@example.com", friend=True),
    EmulatedUser("U6c1a3f4d5e6f708192a3b4c5d6e7f809", "Sally"),
)


class LinePlatform:
    """A LINE platform in memory: a WSGI app serving LINE's endpoints with LINE's wire formats.

    :param channels: ``{channel_id: secret}`` of the LINE Login channels to accept (default: the demo channel).
    :param users: the users the consent screen offers (default: Brown, Cony and Sally).
    :param code_ttl: seconds an authorization code stays valid (LINE: 10 minutes).
    :param token_ttl: seconds an access token stays valid (LINE: 30 days).
    """

    def __init__(
        self,
        channels: dict[str, str] | None = None,
        users: Iterable[EmulatedUser] = DEFAULT_USERS,
        *,
        code_ttl: float = 600,
        token_ttl: float = 30 * 24 * 3600,
    ) -> None:
        self.lock = threading.RLock()
        self.code_ttl = code_ttl
        self.token_ttl = token_ttl
        self.channels: dict[str, Channel] = {}
        for channel_id, secret in (channels or {DEMO_CHANNEL_ID: DEMO_CHANNEL_SECRET}).items():
            self.add_channel(channel_id, secret)
        self.users = {user.user_id: user for user in users}
        self.bots = {bot.bot_id: bot for bot in DEFAULT_BOTS}
        self.module_channels: dict[str, str] = {DEMO_MODULE_CHANNEL_ID: DEMO_MODULE_CHANNEL_SECRET}
        #: ``{(module channel id, bot id): granted scopes}``
        self.attachments: dict[tuple[str, str], frozenset[str]] = {}
        #: Module channel access tokens: ``{token: (channel id, expires_at)}``.
        self.channel_tokens: dict[str, tuple[str, float]] = {}
        #: Every Messaging API call a module made: ``(bot id, path, JSON body)``.
        self.messages: list[tuple[str, str, Any]] = []
        self.works_members = {member.user_id: member for member in DEFAULT_WORKS_MEMBERS}
        self.works_clients: dict[str, str] = {DEMO_WORKS_CLIENT_ID: DEMO_WORKS_CLIENT_SECRET}
        #: The demo service account's key pair: the private half goes to the app, the public half checks it.
        self.works_demo_key: RSAKey = _startup_key("works-service")
        self.works_service_accounts: dict[str, tuple[str, RSAKey]] = {
            DEMO_WORKS_CLIENT_ID: (DEMO_WORKS_SERVICE_ACCOUNT, self.works_demo_key)
        }
        #: Every LINE WORKS API call: ``(method, path, JSON body)``.
        self.works_calls: list[tuple[str, str, Any]] = []
        self.codes: dict[str, Grant] = {}
        self.access_tokens: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        #: Authorization requests waiting at the consent screen, by request id.
        self.consents: dict[str, dict[str, Any]] = {}
        self.faults = FaultBook()
        #: ``"METHOD /path"`` of every request served, for tests that count round trips.
        self.requests: list[str] = []
        # Keys are made once per process (RSA generation is slow); rotate_keys() makes new ones per platform.
        self.ec_key: ECKey = _startup_key("es256")
        self.rsa_key: RSAKey = _startup_key("rs256")
        self.app = Flask(__name__)
        self.app.config["TRAP_HTTP_EXCEPTIONS"] = False
        self.app.before_request(self._before_request)
        from .routes import register_routes

        register_routes(self)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return self.app(environ, start_response)

    # Setup -----------------------------------------------------------------------------------------------------

    def add_channel(self, channel_id: str, secret: str, *, id_token_alg: str = "HS256") -> Channel:
        """Accept a channel; ``id_token_alg`` is HS256 (LINE's web login) or ES256/RS256 (keys at /certs)."""
        channel = Channel(channel_id, secret, id_token_alg)
        with self.lock:
            self.channels[channel_id] = channel
        return channel

    def sign_id_tokens_with(self, alg: str, channel_id: str = DEMO_CHANNEL_ID) -> None:
        """Sign the channel's ID tokens with ``alg`` (HS256, ES256 or RS256) from now on."""
        with self.lock:
            self.channels[channel_id].id_token_alg = alg

    def add_user(self, user: EmulatedUser) -> None:
        """Offer one more user on the consent screen."""
        with self.lock:
            self.users[user.user_id] = user

    def inject(self, endpoint: str, **fault: Any) -> None:
        """Queue a :class:`~flask_line.testing.faults.Fault` for ``endpoint``."""
        self.faults.add(Fault(endpoint, **fault))

    def rotate_keys(self) -> None:
        """Publish new signing keys with new ``kid`` values (the old ones disappear, as after a LINE rotation)."""
        with self.lock:
            self.ec_key = ECKey.generate_key("P-256", parameters={"kid": _kid("es256"), "alg": "ES256", "use": "sig"})
            self.rsa_key = RSAKey.generate_key(2048, parameters={"kid": _kid("rs256"), "alg": "RS256", "use": "sig"})

    def calls(self, path: str) -> int:
        """How many requests to ``path`` (any method) were served."""
        return sum(1 for entry in self.requests if entry.split(" ", 1)[1] == path)

    # Issuing ---------------------------------------------------------------------------------------------------

    def issue(self, store: dict[str, Grant], grant: Grant, ttl: float, prefix: str = "") -> str:
        """Store ``grant`` under a fresh random value and return that value."""
        value = prefix + secrets.token_urlsafe(24)
        grant.expires_at = time.time() + ttl
        with self.lock:
            store[value] = grant
        return value

    def signed_id_token(self, issuer: str, grant: Grant, access_token: str, fault: Fault | None) -> str:
        """An ID token as LINE signs it, altered by ``fault`` when a test asked for a forged one."""
        channel = self.channels[grant.client_id]
        user = self.users[grant.user_id]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": user.user_id,
            "aud": grant.client_id,
            "exp": now + 3600,
            "iat": now,
            "amr": ["pwd"],
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "profile" in grant.scopes:
            claims["name"] = user.display_name
            if user.picture_url:
                claims["picture"] = user.picture_url
        if "email" in grant.scopes and user.email:
            claims["email"] = user.email
        if grant.extra.get("at_hash"):
            claims["at_hash"] = grant.extra["at_hash"]
        changes = (fault.id_token if fault else None) or {}
        claims.update(changes.get("claims", {}))
        header, key = self._signing_key(channel.id_token_alg, channel.secret)
        header.update(changes.get("header", {}))
        return self._sign(header, claims, key, changes.get("key"))

    def signed_works_id_token(self, issuer: str, grant: Grant, request: Any) -> str:
        """A LINE WORKS ID token (RS256, ``at_hash``), altered by a queued fault when a test asked for one."""
        member = self.works_members[grant.user_id]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": member.user_id,
            "aud": grant.client_id,
            "exp": now + 3600,
            "iat": now,
            "at_hash": grant.extra["at_hash"],
            "domain_id": member.domain_id,
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "profile" in grant.scopes:
            claims["name"] = member.display_name
            claims["locale"] = "ja_JP"
        if "email" in grant.scopes:
            claims["email"] = member.email
        fault = request.environ.get("emulator.fault")
        changes = (fault.id_token if fault else None) or {}
        claims.update(changes.get("claims", {}))
        header = {"alg": "RS256", "kid": self.rsa_key.kid, **changes.get("header", {})}
        return self._sign(header, claims, self.rsa_key, changes.get("key"))

    def _signing_key(self, alg: str, secret: str) -> tuple[dict[str, Any], Any]:
        if alg == "HS256":
            return {"alg": "HS256"}, OctKey.import_key(secret)
        if alg == "ES256":
            return {"alg": "ES256", "kid": self.ec_key.kid}, self.ec_key
        return {"alg": "RS256", "kid": self.rsa_key.kid}, self.rsa_key

    def _sign(self, header: dict[str, Any], claims: dict[str, Any], key: Any, forgery: str | None) -> str:
        if forgery == "none":
            return _unsigned({**header, "alg": "none", "typ": "JWT"}, claims)
        if forgery == "wrong_secret":
            key = OctKey.import_key("not-the-channel-secret-at-all-000")
            header = {**header, "alg": "HS256"}
        elif forgery == "public_key_hmac":
            public_json = json.dumps(self.ec_key.as_dict(private=False))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # joserfc rightly warns; forging is the point here
                key = OctKey.import_key(public_json)
            header = {**header, "alg": "HS256", "kid": self.ec_key.kid}
        elif forgery == "unknown_kid":
            header = {**header, "kid": "kid-nobody-published"}
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    def jwks(self) -> dict[str, Any]:
        """The public keys, as published at ``/oauth2/v2.1/certs``."""
        return {"keys": [self.ec_key.as_dict(private=False), self.rsa_key.as_dict(private=False)]}

    # Faults ------------------------------------------------------------------------------------------------------

    def _before_request(self) -> Response | None:
        with self.lock:
            self.requests.append(f"{request.method} {request.path}")
        endpoint = request.endpoint or ""
        fault = self.faults.take(endpoint) if not endpoint.startswith("emulator_") else None
        if fault is None:
            return None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.id_token is not None:
            # Not an HTTP fault: the token endpoint reads it to forge the ID token it issues.
            request.environ["emulator.fault"] = fault
            return None
        if fault.status is None:
            return None
        if isinstance(fault.body, dict | list):
            response = jsonify(fault.body)
        else:
            response = Response(fault.body if fault.body is not None else "", mimetype="text/plain")
        response.status_code = fault.status
        response.headers.update(fault.headers)
        return response


@functools.cache
def _startup_key(name: str) -> Any:
    if name == "es256":
        return ECKey.generate_key("P-256", parameters={"kid": _kid("es256"), "alg": "ES256", "use": "sig"})
    return RSAKey.generate_key(2048, parameters={"kid": _kid(name), "alg": "RS256", "use": "sig"})


def _kid(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def serve_forever(host: str = "127.0.0.1", port: int = 5005) -> None:
    """Serve a new :class:`LinePlatform` until interrupted (``flask line emulator``)."""
    from werkzeug.serving import run_simple

    print(f" * LINE platform emulator on http://{host}:{port} (set LINE_EMULATOR_URL to this)")
    run_simple(host, port, LinePlatform(), threaded=True)
