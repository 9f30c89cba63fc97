"""Credentials that LIFF apps and native clients send instead of a session: LINE access tokens and ID tokens.

LINE's secure-login guidance: the server verifies what the front end sends, never a user id it posts. An access
token is checked at LINE's verify endpoint (``client_id`` one of ours, ``expires_in`` > 0), and the answer is
cached for a bounded time, never past the token's expiry, so a busy API does not ask LINE per request. An ID
token is verified locally like a login's. The user's profile is fetched only when a view asks for it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

from .._translatable import N_
from .._wire.http import LineHttp
from .._wire.idtoken import IdTokenVerifier
from .._wire.shared_cache import NOT_SHARED, SharedCache, wait_for
from .._wire.tokens import LineToken
from .._wire.untrusted_json import unverified_jwt_claims
from ..errors import IdTokenError, MissingLoginScope, TokenAuthError, TokenRequestError
from .settings import LoginSettings
from .user import LineUser

#: What reads a user's profile with their token (the LINE Login flow's ``profile``).
LineProfileReader = Callable[[LineToken], LineUser]

#: The scopes an ID token proves by its claims (it carries no ``scope``).
#: Longest credential accepted from a request; anything longer is refused here, never sent to LINE. LINE's access
#: tokens are a few hundred characters and its ID tokens about a kilobyte.
MAX_ACCESS_TOKEN_BYTES = 2048
MAX_ID_TOKEN_BYTES = 8192

_CLAIM_SCOPES = {"openid": "sub", "profile": "name", "email": "email"}
#: Scopes only an ID token proves (by its claim): LINE's token answer never lists ``email`` for an access token.
ID_TOKEN_ONLY_SCOPES = frozenset({"email"})

#: How long the worker verifying a token for the fleet holds its lock (LINE answers well within it).
VERIFY_LOCK_SECONDS = 5.0


@dataclass(frozen=True)
class Credential:
    """A verified credential of one request."""

    channel_id: str
    scopes: frozenset[str]
    #: UNIX time it expires.
    expires_at: float
    #: The user, when the credential names them (an ID token) or once the profile was fetched.
    user: LineUser | None = None
    access_token: str | None = field(default=None, repr=False)
    amr: tuple[str, ...] = ()


class CredentialCache:
    """Verified access tokens by a hash of the token (the token itself is not kept), bounded, thread-safe."""

    def __init__(self, ttl: float, size: int) -> None:
        self._ttl = ttl
        self._size = size
        self._entries: OrderedDict[str, tuple[float, Credential]] = OrderedDict()
        self._lock = threading.Lock()
        #: Lookups answered from the cache and lookups that were not, for benchmarks.
        self.hits = self.misses = 0

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token: str) -> Credential | None:
        """The cached credential of ``token`` while it is fresh, or None."""
        key = self.key(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= time.time():
                self._entries.pop(key, None)
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[1]

    def put(self, token: str, credential: Credential) -> None:
        """Remember ``credential`` until the TTL or the token's expiry, whichever comes first."""
        until = min(time.time() + self._ttl, credential.expires_at)
        with self._lock:
            self._entries[self.key(token)] = (until, credential)
            self._entries.move_to_end(self.key(token))
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def drop(self, token: str) -> None:
        """Forget ``token`` (it was revoked)."""
        with self._lock:
            self._entries.pop(self.key(token), None)


class BearerVerifier:
    """Verifies the LINE credentials requests carry, for the app's LINE Login channel and ``token_channel_ids``.

    :param id_tokens: the login channel's ID-token verifier (HS256 with its secret, ES256 with LINE's keys).
    """

    def __init__(
        self,
        settings: LoginSettings,
        http: LineHttp,
        id_tokens: IdTokenVerifier,
        shared: SharedCache = NOT_SHARED,
    ) -> None:
        self.settings = settings
        self.http = http
        self.channels = (settings.channel_id, *settings.token_channel_ids)
        # Other channels' secrets are not ours: their ID tokens (LIFF, native SDKs) are ES256 only.
        self._verifiers = {settings.channel_id: id_tokens}
        for channel_id in settings.token_channel_ids:
            self._verifiers[channel_id] = replace(
                id_tokens, client_id=channel_id, client_secret=None, algorithms=("ES256",)
            )
        self.cache = CredentialCache(settings.token_cache_ttl, settings.token_cache_size)
        #: The fleet's cache: tokens verified and revoked by any worker (NOT_SHARED: this worker alone).
        self.shared = shared

    def access_token(self, token: str) -> Credential:
        """Verify an access token at LINE (once per cache lifetime); an oversized one is refused here."""
        if len(token) > MAX_ACCESS_TOKEN_BYTES or not token.isascii() or not token.isprintable():
            raise TokenAuthError("invalid_token", "The access token is not valid.")
        cached = self.cache.get(token)
        if self.shared.enabled and self.shared.get(self.shared.key("revoked", token)) is not None:
            self.cache.drop(token)  # revoked by another worker: refused here too, whatever our cache says
            raise TokenAuthError("invalid_token", "The access token is not valid (or was revoked).")
        if cached is not None:
            return cached
        credential = self._from_fleet(token) or self._verify_for_fleet(token)
        if credential.channel_id not in self.channels:
            # Verified by a worker serving another shop's channel (the fleet shares one cache): not ours.
            raise TokenAuthError("foreign_channel", "The access token was issued to another channel.")
        self.cache.put(token, credential)
        return credential

    def _from_fleet(self, token: str) -> Credential | None:
        """The credential another worker verified, while it is fresh (None: not shared, or nobody did)."""
        if not self.shared.enabled:
            return None
        return _credential(self.shared.get(self.shared.key("verified", token)), token)

    def _verify_for_fleet(self, token: str) -> Credential:
        """Verify at LINE, once for the fleet: the worker that takes the short lock asks, the others wait for its
        answer (and ask themselves only if it does not come)."""
        if not self.shared.claim(self.shared.key("verifying", token), VERIFY_LOCK_SECONDS):
            waited = wait_for(self.shared, self.shared.key("verified", token), VERIFY_LOCK_SECONDS)
            if (credential := _credential(waited, token)) is not None:
                return credential
        elif (credential := self._from_fleet(token)) is not None:
            # The lock was free because another worker just verified and shared it: no second call to LINE.
            self.shared.delete(self.shared.key("verifying", token))
            return credential
        try:
            credential = self._verify(token)
            lifetime = min(self.settings.token_cache_ttl, credential.expires_at - time.time())
            # Shared before the lock goes: a worker arriving in between finds the answer, not a free lock.
            self.shared.put(self.shared.key("verified", token), _shareable(credential), lifetime)
        except TokenAuthError:
            self._share_revocation(token)  # LINE refused it: no worker trusts its cached copy any longer
            raise
        finally:
            self.shared.delete(self.shared.key("verifying", token))
        return credential

    def _verify(self, token: str) -> Credential:
        """Ask LINE's verify endpoint about ``token``."""
        try:
            body = self.http.json("GET", self.settings.endpoints.verify, params={"access_token": token})
        except TokenRequestError as error:
            expired = "expired" in (error.description or "")
            raise TokenAuthError(
                "expired_token" if expired else "invalid_token",
                "The access token has expired." if expired else "The access token is not valid (or was revoked).",
            ) from None
        channel_id = str(body.get("client_id", ""))
        if channel_id not in self.channels:
            raise TokenAuthError("foreign_channel", "The access token was issued to another channel.")
        expires_in = body.get("expires_in")
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool) or expires_in <= 0:
            raise TokenAuthError("expired_token", "The access token has expired.")
        return Credential(
            channel_id=channel_id,
            # An access token never proves email (LINE lists no 'email' for it): only an ID token's claim does.
            scopes=frozenset(str(body.get("scope", "")).split()) - ID_TOKEN_ONLY_SCOPES,
            expires_at=time.time() + float(expires_in),
            access_token=token,
        )

    def _share_revocation(self, token: str) -> None:
        """Every worker sharing the cache refuses ``token`` from now on, for as long as any may have cached it."""
        if self.shared.enabled:
            self.shared.put(self.shared.key("revoked", token), {}, self.settings.token_cache_ttl)
            self.shared.delete(self.shared.key("verified", token))

    def id_token(self, token: str, nonce: str | None = None, *, nonce_required: bool = False) -> Credential:
        """Verify an ID token locally: signature, ``iss``, ``aud`` (one of our channels), ``exp``, ``nonce``.

        :param nonce_required: the caller demands a nonce; a missing expected ``nonce`` refuses the token.
        """
        if len(token) > MAX_ID_TOKEN_BYTES:
            raise TokenAuthError("invalid_token", f"The ID token is longer than {MAX_ID_TOKEN_BYTES} bytes.")
        if nonce_required and not nonce:
            raise TokenAuthError("invalid_token", "A nonce is required, but none is expected for this request.")
        channel_id = _audience(token)
        if channel_id is None:
            raise TokenAuthError("invalid_token", "The ID token is not valid.")
        verifier = self._verifiers.get(channel_id)
        if verifier is None:
            raise TokenAuthError("foreign_channel", "The ID token was issued to another channel.")
        try:
            claims = verifier.verify(token, nonce, nonce_required=nonce_required)
        except IdTokenError as error:
            expired = "expired" in error.message
            raise TokenAuthError(
                "expired_token" if expired else "invalid_token",
                "The ID token has expired." if expired else "The ID token is not valid.",
            ) from None
        scopes = frozenset(scope for scope, claim in _CLAIM_SCOPES.items() if claim in claims)
        user = replace(LineUser.from_claims(claims, tuple(sorted(scopes))), channel_id=channel_id)
        return Credential(str(channel_id), scopes, float(claims["exp"]), user=user, amr=user.amr)

    def authenticate(
        self,
        id_token: object,
        access_token: str | None,
        *,
        scopes: Collection[str] = (),
        amr: Collection[str] = (),
        nonce: str | None = None,
        nonce_required: bool = False,
        profile_of: LineProfileReader | None = None,
    ) -> Credential:
        """Verify what a request carries (an ID token, an access token, or both of one user and channel) and the
        demands.

        :param profile_of: reads the access token's user when both are sent, to prove they are the same person.
        """
        if not id_token and not access_token:
            raise TokenAuthError("missing_token", "Send a LINE access token (Authorization: Bearer) or an ID token.")
        credential = None
        if id_token:
            if not isinstance(id_token, str):
                raise TokenAuthError("invalid_token", "The ID token is not valid.")
            credential = self.id_token(id_token, nonce, nonce_required=nonce_required)
        elif nonce_required:
            raise TokenAuthError("invalid_token", "This request needs an ID token with a nonce.")
        if access_token:
            verified = self.access_token(access_token)
            credential = verified if credential is None else self._same_person(credential, verified, profile_of)
        assert credential is not None
        check_demands(credential, scopes, amr)
        return credential

    def _same_person(
        self, from_id_token: Credential, verified: Credential, profile_of: LineProfileReader | None
    ) -> Credential:
        """Both credentials of a request must name one channel and one user; then their scopes add up."""
        if verified.channel_id != from_id_token.channel_id:
            raise TokenAuthError("invalid_token", "The access token and the ID token belong to different channels.")
        assert from_id_token.user is not None
        if profile_of is None or "profile" not in verified.scopes:
            raise TokenAuthError("invalid_token", "Send the ID token alone: the access token cannot show its user.")
        if self.user(verified, profile_of).user_id != from_id_token.user.user_id:
            raise TokenAuthError("invalid_token", "The access token and the ID token belong to different users.")
        return replace(from_id_token, scopes=from_id_token.scopes | verified.scopes, access_token=verified.access_token)

    def forget(self, access_token: str) -> None:
        """Drop ``access_token`` at once (this app revoked it): from this worker's cache, and, with a shared cache,
        from every worker's (without one, other workers keep it for ``LINE_TOKEN_CACHE_TTL`` seconds at most)."""
        self.cache.drop(access_token)
        self._share_revocation(access_token)

    def user(self, credential: Credential, profile_of: LineProfileReader) -> LineUser:
        """The credential's user: from the ID token, or the profile endpoint (once per cached token)."""
        if credential.user is not None:
            return credential.user
        if "profile" not in credential.scopes or credential.access_token is None:
            raise MissingLoginScope("Knowing who sent this token needs the 'profile' scope, or an ID token.")
        user = profile_of(LineToken(access_token=credential.access_token, scopes=tuple(sorted(credential.scopes))))
        user = replace(user, channel_id=credential.channel_id)
        self.cache.put(credential.access_token, replace(credential, user=user))
        return user


def _shareable(credential: Credential) -> dict[str, object]:
    """What other workers need of a verified access token (not the token, not the user: they fetch it if asked)."""
    return {
        "channel_id": credential.channel_id,
        "scopes": sorted(credential.scopes),
        "expires_at": credential.expires_at,
    }


def _credential(value: dict[str, object] | None, token: str) -> Credential | None:
    """The credential another worker shared for ``token`` (None: nothing, or not what :func:`_shareable` wrote)."""
    if value is None:
        return None
    channel_id, scopes, expires_at = value.get("channel_id"), value.get("scopes"), value.get("expires_at")
    if not isinstance(channel_id, str) or not isinstance(scopes, list) or not isinstance(expires_at, int | float):
        return None
    if expires_at <= time.time():
        return None
    return Credential(channel_id, frozenset(str(scope) for scope in scopes), float(expires_at), access_token=token)


def check_demands(credential: Credential, scopes: Collection[str], amr: Collection[str]) -> None:
    """Refuse (403 ``insufficient_scope``) a credential without the scopes or authentication methods demanded."""
    missing = set(scopes) - credential.scopes
    if missing & ID_TOKEN_ONLY_SCOPES:
        raise TokenAuthError(
            "insufficient_scope",
            "Only an ID token's 'email' claim proves the 'email' scope (an access token cannot): send the ID token "
            "(X-Line-Id-Token) of a sign-in that granted it.",
            N_("Only the ID token can show the email address: send the ID token of a sign-in that allowed it."),
        )
    if missing:
        raise TokenAuthError("insufficient_scope", f"The credential lacks the scope(s): {', '.join(sorted(missing))}.")
    if amr and not set(amr) & set(credential.amr):
        raise TokenAuthError("insufficient_scope", f"Sign-in by one of {', '.join(sorted(amr))} is required.")


def _audience(token: str) -> str | None:
    """The ``aud`` of a JWT before verification, only to choose the channel that verifies it."""
    claims = unverified_jwt_claims(token, max_bytes=MAX_ID_TOKEN_BYTES)
    audience = claims.get("aud") if claims is not None else None
    if isinstance(audience, list) and len(audience) == 1:
        audience = audience[0]
    return audience if isinstance(audience, str) else None
