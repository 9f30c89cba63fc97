"""One signed-in identity (LINE Login, LINE WORKS): its record, its token refresh, its sign-in and sign-out."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Generic, Protocol, TypeVar

from blinker import NamedSignal
from flask import current_app

from .._accounts.linking import AccountLinking, LinkScope
from .._log import log
from .._wire.oauth import OAuthClient
from .._wire.tokens import LineToken
from ..errors import NotAuthenticated, NotConfigured, TokenRequestError
from .anonymous import AnonymousUser
from .household import Identities
from .records import ChannelRecords
from .storage import Record

#: Refresh an access token this many seconds before it expires.
REFRESH_LEEWAY = 60


class SignedInUser(Protocol):
    """What every signed-in user object offers."""

    @property
    def user_id(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


UserT = TypeVar("UserT", bound=SignedInUser)


class IdentitySignals:
    """What an identity announces: a sign-in, and a transparent refresh (None: not announced).

    :param details: what its sign-in signal says besides the user and token (LINE WORKS: ``company_id``).
    """

    def __init__(
        self, signed_in: NamedSignal, refreshed: NamedSignal | None = None, details: Mapping[str, str] | None = None
    ) -> None:
        self.signed_in = signed_in
        self.refreshed = refreshed
        self.details: Mapping[str, str] = details or {}


class SignedInIdentity(Generic[UserT]):
    """Who is signed in with one provider through one channel, and their token.

    The record is ``{"channel", "user", "token"}``, kept with the provider's other channels' records
    (:class:`~.records.ChannelRecords`): one person per browser, signed in at one or several channels.

    :param provider: the identity's provider (``"line"``, ``"works"``); also whose sign-out ends what belongs to it.
    :param records: the provider's records in this browser, shared by every channel's identity.
    :param channel: the channel (client id) whose sign-ins this identity holds.
    :param link_scope: which account links this channel's sign-ins may use (LINE user ids are per provider).
    :param user_from_dict: rebuilds the stored user.
    :param client: the OAuth client that refreshes the token at ``token_url``.
    :param accounts: account linking (acts once the app registers ``@line.link_user``).
    :param household: the app's identities, asked at sign-out and when another person signs in.
    :param pending_kind: the kind of the pending authorizations this channel's sign-ins start.
    """

    def __init__(
        self,
        *,
        provider: str,
        records: ChannelRecords,
        channel: str,
        link_scope: LinkScope,
        user_from_dict: Callable[[dict[str, Any]], UserT],
        client: OAuthClient,
        token_url: str,
        accounts: AccountLinking,
        household: Identities,
        signals: IdentitySignals,
        pending_kind: str,
    ) -> None:
        self.provider = provider
        self.records = records
        self.channel = channel
        self.link_scope = link_scope
        self.pending_kind = pending_kind
        self._user_from_dict = user_from_dict
        self._client = client
        self._token_url = token_url
        self.accounts = accounts
        self._household = household
        self._signals = signals

    def __repr__(self) -> str:
        return f"<SignedInIdentity {self.provider} channel {self.channel}>"

    # Reading ------------------------------------------------------------------------------------------------

    def record(self, session: MutableMapping[str, Any] | None = None) -> Record | None:
        """The stored record of this channel, or None.

        :param session: read this mapping (a test client's ``session_transaction()``), not the request's session.
        """
        return self.records.get(self.channel, session)

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
            self.records.drop(self.channel)
            raise NotAuthenticated("The access token expired and cannot be refreshed.")
        try:
            token = self._client.refresh(self._token_url, token)
        except TokenRequestError as error:
            # The refresh token was refused (expired or revoked): the user must sign in again.
            log.info("%s: refresh token refused (%s); signing the user out", self.provider, error.error)
            self.records.drop(self.channel)
            raise NotAuthenticated("The session expired; please sign in again.") from None
        record = {**(self.record() or {}), "token": token.to_dict()}
        self.records.put(self.channel, record, new_login=False)
        if self._signals.refreshed is not None:
            self._signals.refreshed.send(_app(), token=token, channel_id=self.channel)
        return token

    # Writing ------------------------------------------------------------------------------------------------

    def save(
        self, user: UserT | str, token: LineToken | None, *, session: MutableMapping[str, Any] | None = None
    ) -> None:
        """Store ``user`` (or a bare user id) and ``token`` as this identity's record, with no hook and no signal.

        Another person's records at other channels are dropped (one person per browser).

        :param session: write into this mapping (a test client's ``session_transaction()``) instead of the
            request's session; see :class:`flask_line.testing.LineTestClient`.
        """
        if isinstance(user, str):
            user = self._user_from_dict({"user_id": user})
        record = {"channel": self.channel, "user": user.to_dict(), "token": token.to_dict() if token else None}
        self.records.put(self.channel, record, new_login=session is None, session=session)

    def sign_in(self, user: UserT, token: LineToken | None, *, link_to: str | None = None) -> None:
        """Sign ``user`` in (after a login, or a LIFF app's verified ID token: then no token).

        With a ``@line.link_user`` hook, the site user it returns is signed in too; ``link_to`` (a site user id)
        instead links ``user`` to that already signed-in site user. The hook and the link store run before the
        session is touched, so a refusal leaves it as it was. The session id is rotated.

        One person per browser: if another person was signed in on this browser (at this channel or any other of
        the provider, or as another site user), nothing of theirs stays. The same person signed in at several
        channels keeps their records and their site user.
        """
        site_user: tuple[Any, str] | None = None
        accounts = self.accounts if self.accounts.enabled else None
        if link_to is not None:
            self.accounts.link_signed_in_user(self.provider, user, link_to, self.link_scope)
        elif accounts is not None:
            site_user = accounts.site_user_for(self.provider, user, self.link_scope)
        if self._person_changed(user, site_user):
            self.records.clear()
            self._household.person_changed(self.provider)
        self.save(user, token)
        extra: dict[str, Any] = dict(self._signals.details)
        if accounts is not None and site_user is not None:
            accounts.sign_in(site_user[0], site_user[1], self.provider)
            extra["site_user"] = site_user[0]
        log.info("%s sign-in succeeded for %s", self.provider, user.user_id)
        self._signals.signed_in.send(_app(), user=user, token=token, **extra)

    def _person_changed(self, user: UserT, site_user: tuple[Any, str] | None) -> bool:
        """Whether ``user`` (and the site user they bring) is another person than this browser's."""
        if any(record["user"].get("user_id") != user.user_id for record in self.records.all().values()):
            return True
        previous_site_user = self.accounts.session_site_user_id()
        return site_user is not None and previous_site_user not in (None, site_user[1])

    def clear(self) -> None:
        """Forget this channel's record only (other channels' records, and what belongs to the person, stay)."""
        self.records.drop(self.channel)

    def sign_out(self) -> None:
        """Sign out of this channel; other sign-ins in the session stay.

        The person's belongings and site user (``@line.link_user``, Flask-Login) go with their last channel: a
        person signed in at two shops who signs out of one stays signed in at the other, as the same site user.
        """
        if self.records.drop(self.channel):
            self._household.pending.drop({self.pending_kind})
            return
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
            self.records.clear()
            self._household.person_changed(self.provider)


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]


class SignIn(Generic[UserT]):
    """A verified sign-in a flow hands to its identity: who, and their token."""

    def __init__(self, user: UserT, token: LineToken) -> None:
        self.user = user
        self.token = token
