"""Account linking: the site's one hook turns a verified LINE identity into the site's own user.

The hook (``@line.link_user``) runs inside the callback after every check has passed and before anything is
stored in the session. It gets the identity and the id of the site user it is linked to (None the first time)
and returns the site user, creating it if it likes; flask-line records the link, remembers the site user in the
session, and with Flask-Login calls ``login_user``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, session

from .._log import log
from .._sessions.keys import SITE_USER_KEY
from .._store.abilities import SiteUserLinks
from .._store.links import AccountLink, AccountLinkStore
from ..errors import (
    AccountLinkConflict,
    AccountLinkedElsewhere,
    CallbackError,
    LineError,
    NotAuthenticated,
    NotConfigured,
    SignInRefused,
    SiteUserError,
)
from ..signals import account_linked, account_unlinked
from . import flask_login_bridge

#: ``link_user(identity, linked_user_id)`` -> the site's user, or None to refuse.
LinkUserHook = Callable[[Any, "str | None"], Any]
#: ``link_user_undo(user, identity)``: remove the user the hook just made, whose link could not be written.
LinkUndoHook = Callable[[Any, Any], None]


@dataclass(frozen=True)
class LinkScope:
    """Which account links a sign-in may use: those made under the same LINE provider.

    LINE gives a person one user id per *provider* of the LINE Developers Console, the same at every channel of
    that provider. A channel that declares its provider shares links with the provider's other channels; one
    that declares none shares them with nobody. So a token verified at one provider's channel (or minted with one
    shop's secret) never reaches a site member linked through another.

    :param name: what new links record (``"provider:<id>"``, ``"channel:<id>"``, a LINE WORKS company's
        ``"company:<client id>"``; None: unscoped).
    :param channel_id: the channel signing in (links made before scopes belong to the channel they were made at).
    :param default_channel: whether it is the app's ``LINE_LOGIN_CHANNEL_ID``, which made the links that
        recorded no channel.
    """

    name: str | None
    channel_id: str | None = None
    default_channel: bool = False

    @classmethod
    def of_channel(cls, channel_id: str, provider: str | None, *, default_channel: bool) -> LinkScope:
        """The scope of a LINE Login channel that declares ``provider`` (or None)."""
        name = f"provider:{provider}" if provider else f"channel:{channel_id}"
        return cls(name, channel_id, default_channel)

    @classmethod
    def of_company(cls, client_id: str, *, default_company: bool) -> LinkScope:
        """The scope of a LINE WORKS company's app: a member id belongs to one company, so its links are that
        company's alone (``"company:<client id>"``); links made before companies belong to ``LINE_WORKS_CLIENT_ID``.
        """
        return cls(f"company:{client_id}", client_id, default_company)

    def holds(self, link: AccountLink) -> bool:
        """Whether ``link`` was made under this scope."""
        if link.scope is not None or self.name is None:
            return link.scope == self.name
        # A link made before links recorded their scope: it belongs to the channel it was made through.
        return link.channel_id == self.channel_id if link.channel_id is not None else self.default_channel


#: The scope of identities whose links belong to no provider or company.
UNSCOPED = LinkScope(None)


class AccountLinking:
    """The hook, the link store, and the site user in the session.

    :param links: the account-link store.
    :param hook: gives the app's ``@line.link_user`` function, or None while none is registered.
    :param remember: the Flask-Login bridge's ``remember`` (``LINE_REMEMBER_USER``).
    :param undo: gives the app's ``@line.link_user_undo`` function, or None.
    """

    def __init__(
        self,
        links: AccountLinkStore,
        hook: Callable[[], LinkUserHook | None],
        *,
        remember: bool,
        undo: Callable[[], LinkUndoHook | None] = lambda: None,
    ) -> None:
        self.links = links
        self._hook = hook
        self._undo_hook = undo
        self.remember = remember

    @property
    def enabled(self) -> bool:
        """Whether the app registered a ``@line.link_user`` hook."""
        return self._hook() is not None

    def require_enabled(self) -> LinkUserHook:
        """The hook; a 404 when the app registered none."""
        hook = self._hook()
        if hook is None:
            raise NotConfigured("Account linking is not set up: register a @line.link_user function.")
        return hook

    # Sign-in ------------------------------------------------------------------------------------------------

    def site_user_for(self, provider: str, identity: Any, scope: LinkScope = UNSCOPED) -> tuple[Any, str]:
        """Ask the hook for the site user of ``identity``; record a first link. Nothing goes into the session.

        A first sign-in writes the site's new user and its link together: in one transaction when the link store
        shares the site's ORM session, else with the ``@line.link_user_undo`` hook run when the link cannot be
        written. Either way a failure leaves no user without a link.

        :raises SignInRefused: the hook returned None, or an inactive user.
        :raises AccountLinkedElsewhere: the account is linked under another LINE provider.
        :raises SiteUserError: the hook raised.
        """
        hook = self.require_enabled()
        link = self._find(provider, identity, scope)
        if link is None:
            try:
                return self._first_link(hook, provider, identity, scope)
            except AccountLinkConflict:
                # The same person's sign-in in another tab or worker linked first, and ours wrote nothing (or was
                # undone): sign in as the user it linked.
                link = self._find(provider, identity, scope)
                if link is None:
                    raise
        user, user_id = self._ask(hook, provider, identity, link.user_id)
        if link.user_id != user_id:
            # The hook chose another user than the link names; the site decides who signs in, the link stays.
            log.warning("@line.link_user returned user %s for %s linked to user %s", user_id, provider, link.user_id)
        return user, user_id

    def _find(self, provider: str, identity: Any, scope: LinkScope) -> AccountLink | None:
        """The link of ``identity``, refused when it was made under another provider's scope."""
        link = self.links.find(provider, identity.user_id)
        if link is not None and not scope.holds(link):
            log.warning(
                "%s account %s is linked under %s, not under %s: refused",
                provider,
                identity.user_id,
                link.scope or f"channel {link.channel_id}",
                scope.name,
            )
            raise AccountLinkedElsewhere(f"The {provider} account {identity.user_id} is linked under another scope.")
        return link

    def _first_link(self, hook: LinkUserHook, provider: str, identity: Any, scope: LinkScope) -> tuple[Any, str]:
        if isinstance(self.links, SiteUserLinks):
            user, link = self.links.link_new_user(
                provider,
                identity.user_id,
                lambda: self._ask_user(hook, provider, identity, None),
                id_of,
                channel_id=_channel_of(identity),
                scope=scope.name,
            )
            self._record(link, identity)
            return user, link.user_id
        user, user_id = self._ask(hook, provider, identity, None)
        try:
            self._record(
                self.links.link(
                    provider, identity.user_id, user_id, channel_id=_channel_of(identity), scope=scope.name
                ),
                identity,
            )
        except BaseException:
            self._undo(user, identity, provider)
            raise
        return user, user_id

    def _undo(self, user: Any, identity: Any, provider: str) -> None:
        """The link of a user the hook just made could not be written: let the site remove that user."""
        undo = self._undo_hook()
        if undo is None:
            log.error(
                "The link of %s user %s could not be written after @line.link_user returned a user: register "
                "@line.link_user_undo (or keep users in SQLAlchemy) so no site user is left without a link",
                provider,
                identity.user_id,
            )
            return
        try:
            current_app.ensure_sync(undo)(user, identity)
        except Exception:
            log.exception("@line.link_user_undo raised for %s user %s", provider, identity.user_id)

    def _ask(self, hook: LinkUserHook, provider: str, identity: Any, linked_user_id: str | None) -> tuple[Any, str]:
        user = self._ask_user(hook, provider, identity, linked_user_id)
        return user, id_of(user)

    def _ask_user(self, hook: LinkUserHook, provider: str, identity: Any, linked_user_id: str | None) -> Any:
        """The hook's user (not flushed yet, so maybe without an id), refused when None or inactive."""
        try:
            # An ``async def`` hook runs too, as Flask runs async views.
            user = current_app.ensure_sync(hook)(identity, linked_user_id)
        except LineError:
            raise
        except Exception as error:
            log.exception("The @line.link_user hook raised for %s %s", provider, identity.user_id)
            raise SiteUserError(f"The @line.link_user hook raised {type(error).__name__}.") from None
        if user is None:
            raise SignInRefused(f"The @line.link_user hook refused {provider} user {identity.user_id}.")
        if not getattr(user, "is_active", True):
            raise SignInRefused(f"The site user for {provider} user {identity.user_id} is not active.")
        return user

    def sign_in(self, user: Any, user_id: str, provider: str) -> None:
        """Make ``user`` the session's site user (after the LINE identity is saved and the session id rotated)."""
        session[SITE_USER_KEY] = {"id": user_id, "via": provider}
        if flask_login_bridge.has_flask_login():
            flask_login_bridge.log_in(user, remember=self.remember)

    def sign_out(self) -> None:
        """Forget the session's site user (and ``logout_user`` with Flask-Login)."""
        session.pop(SITE_USER_KEY, None)
        if flask_login_bridge.has_flask_login():
            flask_login_bridge.log_out()

    # Link and unlink ----------------------------------------------------------------------------------------

    def session_site_user_id(self) -> str | None:
        """The id of the site user a sign-in of flask-line brought into this session, or None."""
        record = session.get(SITE_USER_KEY)
        return str(record["id"]) if record else None

    def signed_in_user_id(self) -> str | None:
        """The id of the site user signed in now: Flask-Login's ``current_user``, or the one a LINE sign-in set."""
        if flask_login_bridge.has_flask_login():
            return flask_login_bridge.signed_in_user_id()
        return self.session_site_user_id()

    def require_signed_in_user_id(self) -> str:
        """The signed-in site user's id; :class:`NotAuthenticated` (401) when nobody is signed in."""
        self.require_enabled()
        user_id = self.signed_in_user_id()
        if user_id is None:
            raise NotAuthenticated("Sign in to this site first, then link your account.")
        return user_id

    def link_signed_in_user(
        self, provider: str, identity: Any, expected_user_id: str, scope: LinkScope = UNSCOPED
    ) -> AccountLink:
        """Link ``identity`` to the site user who started linking (still signed in, still the same person).

        :raises AccountLinkConflict: the identity belongs to another site user.
        :raises AccountLinkedElsewhere: the identity is linked under another LINE provider.
        """
        if self.signed_in_user_id() != expected_user_id:
            raise CallbackError("The signed-in account changed while linking; nothing was linked.")
        self._find(provider, identity, scope)
        link = self.links.link(
            provider, identity.user_id, expected_user_id, channel_id=_channel_of(identity), scope=scope.name
        )
        return self._record(link, identity)

    def unlink_signed_in_user(self, provider: str) -> AccountLink | None:
        """Remove the signed-in site user's link for ``provider``; return it (None: there was none)."""
        link = self.links.unlink(provider, self.require_signed_in_user_id())
        if link is not None:
            log.info("Unlinked %s account %s from site user %s", provider, link.subject, link.user_id)
            account_unlinked.send(_app(), link=link)
        return link

    def _record(self, link: AccountLink, identity: Any) -> AccountLink:
        log.info("Linked %s account %s to site user %s", link.provider, link.subject, link.user_id)
        account_linked.send(_app(), link=link, identity=identity)
        return link


def id_of(user: Any) -> str:
    """The site user's id as text: ``get_id()`` (Flask-Login's ``UserMixin``), else its ``id`` attribute."""
    get_id = getattr(user, "get_id", None)
    value = get_id() if callable(get_id) else getattr(user, "id", None)
    if value is None:
        log.error("The @line.link_user hook returned %r, which has neither get_id() nor id", type(user).__name__)
        raise SiteUserError("The @line.link_user hook returned a user without get_id() or id.")
    return str(value)


def _app() -> Any:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def _channel_of(identity: Any) -> str | None:
    """The LINE Login channel a verified identity signed in through (LINE WORKS members have none)."""
    channel: str | None = getattr(identity, "channel_id", None)
    return channel
