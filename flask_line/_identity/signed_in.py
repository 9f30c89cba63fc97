"""One signed-in identity (LINE Login, LINE WORKS): its record, its token refresh, its sign-in and sign-out."""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from typing import Any, Generic, Protocol, TypeVar

from blinker import NamedSignal
from flask import current_app

from .._accounts.linking import AccountLinking
from .._log import log
from .._wire.oauth import OAuthClient
from .._wire.tokens import LineToken
from ..errors import NotAuthenticated, NotConfigured, TokenRequestError
from .anonymous import AnonymousUser
from .household import Identities
from .storage import IdentityStorage, MappingStorage, Record, SessionStorage

#: Refresh an access token this many seconds before it expires.
REFRESH_LEEWAY = 60


class SignedInUser(Protocol):
    """What every signed-in user object offers."""

    @property
    def user_id(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


UserT = TypeVar("UserT", bound=SignedInUser)


class IdentitySignals:
    """What an identity announces: a sign-in, and a transparent refresh (None: not announced)."""

    def __init__(self, signed_in: NamedSignal, refreshed: NamedSignal | None = None) -> None:
        self.signed_in = signed_in
        self.refreshed = refreshed


class SignedInIdentity(Generic[UserT]):
    """Who is signed in with one provider through one channel, and their token.

    The record is ``{"channel", "user", "token"}`` under ``key``. A record written for another channel (the app's
    channel changed, or another channel of the same app wrote it) is not this identity's: it reads as nobody.

    :param provider: the account-link provider (``"line"``, ``"works"``); also whose sign-out ends it.
    :param key: the Flask session key of the record.
    :param channel: the channel (client id) whose sign-ins this identity holds.
    :param user_from_dict: rebuilds the stored user.
    :param client: the OAuth client that refreshes the token at ``token_url``.
    :param accounts: account linking (acts once the app registers ``@line.link_user``).
    :param household: the app's identities, asked at sign-out and when another person signs in.
    """

    def __init__(
        self,
        *,
        provider: str,
        key: str,
        channel: str,
        user_from_dict: Callable[[dict[str, Any]], UserT],
        client: OAuthClient,
        token_url: str,
        accounts: AccountLinking,
        household: Identities,
        signals: IdentitySignals,
        pending_kinds: frozenset[str] = frozenset(),
        storage: IdentityStorage | None = None,
    ) -> None:
        self.provider = provider
        self.owner = provider
        self.key = key
        self.channel = channel
        self.pending_kinds = pending_kinds
        self._user_from_dict = user_from_dict
        self._client = client
        self._token_url = token_url
        self.accounts = accounts
        self._household = household
        self._signals = signals
        #: Where the record lives (the Flask session unless given).
        self.storage: IdentityStorage = storage or SessionStorage()

    def __repr__(self) -> str:
        return f"<SignedInIdentity {self.provider} channel {self.channel}>"

    # Reading ------------------------------------------------------------------------------------------------

    def record(self, session: MutableMapping[str, Any] | None = None) -> Record | None:
        """The stored record of this channel, or None.

        :param session: read this mapping (a test client's ``session_transaction()``), not the request's session.
        """
        storage = self.storage if session is None else MappingStorage(session)
        record = storage.get(self.key)
        return record if record is not None and record.get("channel") == self.channel else None

    def current_user(self, session: MutableMapping[str, Any] | None = None) -> UserT | AnonymousUser:
        """The signed-in user, or an :class:`AnonymousUser` (``session``: see :meth:`record`)."""
        record = self.record(session)
        return self._user_from_dict(record["user"]) if record else AnonymousUser()

    def current_token(self, session: MutableMapping[str, Any] | None = None) -> LineToken | None:
        """The signed-in user's token as stored (possibly expired), or None (``session``: see :meth:`record`)."""
        record = self.record(session)
        return LineToken.from_dict(record["token"]) if record and record.get("token") else None

    def fresh_token(self) -> LineToken:
        """The user's token, refreshed first when it has expired; :class:`NotAuthenticated` when impossible."""
        token = self.current_token()
        if token is None:
            raise NotAuthenticated("Nobody is signed in.")
        if not token.is_expired(REFRESH_LEEWAY, time.time()):
            return token
        if not token.refresh_token:
            self.clear()
            raise NotAuthenticated("The access token expired and cannot be refreshed.")
        try:
            token = self._client.refresh(self._token_url, token)
        except TokenRequestError as error:
            # The refresh token was refused (expired or revoked): the user must sign in again.
            log.info("%s: refresh token refused (%s); signing the user out", self.provider, error.error)
            self.clear()
            raise NotAuthenticated("The session expired; please sign in again.") from None
        self.storage.set(self.key, {**(self.record() or {}), "token": token.to_dict()}, new_login=False)
        if self._signals.refreshed is not None:
            self._signals.refreshed.send(_app(), token=token)
        return token

    # Writing ------------------------------------------------------------------------------------------------

    def save(
        self, user: UserT | str, token: LineToken | None, *, session: MutableMapping[str, Any] | None = None
    ) -> None:
        """Store ``user`` (or a bare user id) and ``token`` as this identity's record, with no hook and no signal.

        :param session: write into this mapping (a test client's ``session_transaction()``) instead of the
            request's session; see :class:`flask_line.testing.LineTestClient`.
        """
        if isinstance(user, str):
            user = self._user_from_dict({"user_id": user})
        record = {"channel": self.channel, "user": user.to_dict(), "token": token.to_dict() if token else None}
        if session is None:
            self.storage.set(self.key, record, new_login=True)
        else:
            MappingStorage(session).set(self.key, record, new_login=False)

    def sign_in(self, user: UserT, token: LineToken | None, *, link_to: str | None = None) -> None:
        """Sign ``user`` in (after a login, or a LIFF app's verified ID token: then no token).

        With a ``@line.link_user`` hook, the site user it returns is signed in too; ``link_to`` (a site user id)
        instead links ``user`` to that already signed-in site user. The hook and the link store run before the
        session is touched, so a refusal leaves it as it was. The session id is rotated; if another person was
        signed in on this browser, nothing of theirs stays.
        """
        site_user: tuple[Any, str] | None = None
        accounts = self.accounts if self.accounts.enabled else None
        if link_to is not None:
            self.accounts.link_signed_in_user(self.provider, user, link_to)
        elif accounts is not None:
            site_user = accounts.site_user_for(self.provider, user)
        previous = self.record()
        if previous is not None and previous["user"].get("user_id") != user.user_id:
            self._household.person_changed(self.provider)
        self.save(user, token)
        extra: dict[str, Any] = {}
        if accounts is not None and site_user is not None:
            accounts.sign_in(site_user[0], site_user[1], self.provider)
            extra["site_user"] = site_user[0]
        log.info("%s sign-in succeeded for %s", self.provider, user.user_id)
        self._signals.signed_in.send(_app(), user=user, token=token, **extra)

    def clear(self) -> None:
        """Forget this identity's record only (other identities, and what belongs to this one, stay)."""
        self.storage.delete(self.key)

    def sign_out(self) -> None:
        """Forget this identity and everything that belongs to it; other sign-ins in the session stay.

        A site user (``@line.link_user``, Flask-Login) is signed out too.
        """
        self.clear()  # also when the household does not know this identity (one shop's channel of many)
        self._household.sign_out(self.provider)
        if self.accounts.enabled:
            self.accounts.sign_out()

    def unlink(self) -> None:
        """Unlink the signed-in site user's account of this provider; its identity leaves the session too."""
        if not self.accounts.enabled:
            raise NotConfigured("Account linking is not set up: register a @line.link_user function.")
        link = self.accounts.unlink_signed_in_user(self.provider)
        record = self.record()
        if link is not None and record is not None and record["user"].get("user_id") == link.subject:
            self.clear()
            self._household.person_changed(self.provider)


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]


class SignIn(Generic[UserT]):
    """A verified sign-in a flow hands to its identity: who, and their token."""

    def __init__(self, user: UserT, token: LineToken) -> None:
        self.user = user
        self.token = token
