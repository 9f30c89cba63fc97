"""What a user sign-in flow (LINE Login, LINE WORKS) leaves in the session: the user and a refreshable token."""

from __future__ import annotations

import logging
import time
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from blinker import NamedSignal
from flask import current_app, g, session
from werkzeug.wrappers import Response

from .._wire.oauth import OAuthClient
from .._wire.tokens import LineToken
from ..errors import NotAuthenticated, NotConfigured, TokenRequestError
from .accounts import AccountLinking
from .anonymous import AnonymousUser
from .authorization import AuthorizationFlow
from .pending import PendingAuthorization, PendingAuthorizations
from .redirects import safe_next
from .session import SignedInSlot

log = logging.getLogger("flask_line")

#: Refresh an access token this many seconds before it expires.
REFRESH_LEEWAY = 60


class SignedInUser(Protocol):
    """What every signed-in user object offers."""

    @property
    def user_id(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


UserT = TypeVar("UserT", bound=SignedInUser)


class SignIn(Generic[UserT]):
    """A verified sign-in: who, and their token."""

    def __init__(self, user: UserT, token: LineToken) -> None:
        self.user = user
        self.token = token


class SignInFlow(AuthorizationFlow[SignIn[UserT]]):
    """An authorization flow whose result is a signed-in user kept in one session slot.

    :param token_url: the token endpoint, for refreshing the user's token.
    """

    #: Session key of the signed-in record.
    slot_key: ClassVar[str]
    #: The ``provider`` of this identity in account links (``"line"``, ``"works"``).
    provider: ClassVar[str]
    #: Sent after a transparent refresh (None: no signal).
    refreshed_signal: ClassVar[NamedSignal | None] = None

    def __init__(
        self,
        pending: PendingAuthorizations,
        client: OAuthClient,
        *,
        authorize_url: str,
        token_url: str,
        callback_url: str | None,
        default_next: str,
    ) -> None:
        super().__init__(
            pending, client, authorize_url=authorize_url, callback_url=callback_url, default_next=default_next
        )
        self.token_url = token_url
        self.slot = SignedInSlot(self.slot_key)
        #: Other session keys that belong to this identity and go with it (the selected module attachment).
        self.linked_session_keys: list[str] = []
        #: Kinds of pending authorization this identity's sign-out drops besides its own.
        self.linked_pending_kinds: set[str] = set()
        #: Account linking (set by the runtime; it acts only once the app registers ``@line.link_user``).
        self.accounts: AccountLinking | None = None

    @abstractmethod
    def user_from_dict(self, data: dict[str, Any]) -> UserT:
        """Rebuild the user saved in the session."""

    def commit(self, result: SignIn[UserT], pending: PendingAuthorization) -> None:
        self.sign_in_as(result.user, result.token, link_to=pending.link_to)

    def start_linking(self, args: Mapping[str, str]) -> Response:
        """Start a sign-in whose identity will be linked to the signed-in site user (not sign them in anew)."""
        user_id = self._linking().require_signed_in_user_id()
        return self._send_to_line(safe_next(args.get("next"), self.default_next), self.options_from(args), user_id)

    def unlink(self) -> None:
        """Unlink the signed-in site user's account of this provider; its identity leaves the session too."""
        link = self._linking().unlink_signed_in_user(self.provider)
        record = self.slot.load()
        if link is not None and record is not None and record["user"].get("user_id") == link.subject:
            self.slot.clear()
            self._drop_linked()

    def _linking(self) -> AccountLinking:
        if self.accounts is None:
            raise NotConfigured("Account linking is not set up: register a @line.link_user function.")
        return self.accounts

    def sign_in_as(self, user: UserT, token: LineToken | None, *, link_to: str | None = None) -> None:
        """Sign ``user`` in to this session (after a login, or a LIFF app's verified ID token: then no token).

        With a ``@line.link_user`` hook, the site user it returns is signed in too; ``link_to`` (a site user id)
        instead links ``user`` to that already signed-in site user. The hook and the link store run before the
        session is touched, so a refusal leaves it as it was. The session id is rotated; if another person was
        signed in on this browser, nothing of theirs stays.
        """
        site_user: tuple[Any, str] | None = None
        accounts = self.accounts if self.accounts is not None and self.accounts.enabled else None
        if link_to is not None:
            self._linking().link_signed_in_user(self.provider, user, link_to)
        elif accounts is not None:
            site_user = accounts.site_user_for(self.provider, user)
        previous = self.slot.load()
        if previous is not None and previous["user"].get("user_id") != user.user_id:
            self._drop_linked()
        self.slot.save({"user": user.to_dict(), "token": token.to_dict() if token else None}, new_login=True)
        extra: dict[str, Any] = {}
        if accounts is not None and site_user is not None:
            accounts.sign_in(site_user[0], site_user[1], self.provider)
            extra["site_user"] = site_user[0]
        log.info("%s succeeded for %s", self.kind, user.user_id)
        self.signals.succeeded.send(_app(), user=user, token=token, **extra)

    def sign_out(self) -> None:
        """Forget this identity and everything that belongs to it; other sign-ins in the session stay.

        A site user (``@line.link_user``, Flask-Login) is signed out too.
        """
        self.slot.clear()
        self._drop_linked()
        self.pending.drop({self.kind, *self.linked_pending_kinds})
        if self.accounts is not None and self.accounts.enabled:
            self.accounts.sign_out()

    def _drop_linked(self) -> None:
        for key in self.linked_session_keys:
            session.pop(key, None)
            g.pop(key, None)

    def current_user(self) -> UserT | AnonymousUser:
        """The signed-in user, or an :class:`AnonymousUser`."""
        record = self.slot.load()
        return self.user_from_dict(record["user"]) if record else AnonymousUser()

    def current_token(self) -> LineToken | None:
        """The signed-in user's token as stored (possibly expired), or None."""
        record = self.slot.load()
        return LineToken.from_dict(record["token"]) if record and record.get("token") else None

    def fresh_token(self) -> LineToken:
        """The user's token, refreshed first when it has expired; raise :class:`NotAuthenticated` if impossible."""
        token = self.current_token()
        if token is None:
            raise NotAuthenticated("Nobody is signed in.")
        if not token.is_expired(REFRESH_LEEWAY, time.time()):
            return token
        if not token.refresh_token:
            self.slot.clear()
            raise NotAuthenticated("The access token expired and cannot be refreshed.")
        try:
            token = self.client.refresh(self.token_url, token)
        except TokenRequestError as error:
            # The refresh token was refused (expired or revoked): the user must sign in again.
            log.info("%s: refresh token refused (%s); signing the user out", self.kind, error.error)
            self.slot.clear()
            raise NotAuthenticated("The session expired; please sign in again.") from None
        record = self.slot.load() or {}
        self.slot.save({**record, "token": token.to_dict()}, new_login=False)
        if self.refreshed_signal is not None:
            self.refreshed_signal.send(_app(), token=token)
        return token


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]
