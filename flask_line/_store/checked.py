"""Identifiers checked before any store sees them, so every backend answers odd ones the same clean way.

A NUL byte (PostgreSQL refuses it in text), an id longer than its column, a lone surrogate from non-UTF-8 input or
a control character never reaches a database: looking one up finds nothing (a 404 where the app asked for a bot),
and writing one is :class:`~flask_line.errors.InvalidIdentifier` (a 400), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .._log import log
from ..errors import InvalidIdentifier
from .abilities import SiteUserLinks, claim, records_link_origin
from .links import AccountLink, AccountLinkStore

if TYPE_CHECKING:  # module attachments load with the module channel
    from .attachments import AttachmentStore, ModuleAttachment

#: Longest bot id, account-link subject and site user id, and provider name the stores keep (their columns).
BOT_ID_LIMIT, SUBJECT_LIMIT, USER_ID_LIMIT, PROVIDER_LIMIT = 64, 255, 255, 16


def is_identifier(value: object, limit: int) -> bool:
    """Whether ``value`` is text a store can keep: 1 to ``limit`` characters, UTF-8, no control character."""
    if not isinstance(value, str) or not 0 < len(value) <= limit or not value.isprintable():
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: bytes that were not UTF-8
        return False
    return True


def is_usable_bot_id(value: object) -> bool:
    """Whether ``value`` can name a bot in a request to LINE (the ``X-Line-Bot-Id`` header takes ASCII only)."""
    return is_identifier(value, BOT_ID_LIMIT) and str(value).isascii()


def require_identifier(value: object, limit: int, what: str) -> str:
    """``value``, or :class:`InvalidIdentifier` naming ``what`` is wrong with it."""
    if not is_identifier(value, limit):
        raise InvalidIdentifier(f"The {what} is not a valid identifier (1-{limit} printable UTF-8 characters).")
    return str(value)


class CheckedAttachments:
    """An :class:`AttachmentStore` whose bot ids are checked first; anything else is the wrapped store's."""

    def __init__(self, inner: AttachmentStore) -> None:
        #: The store whose ids are checked.
        self.inner = inner

    def save(self, attachment: ModuleAttachment) -> None:
        require_identifier(attachment.bot_id, BOT_ID_LIMIT, "bot id")
        self.inner.save(attachment)

    def claim(self, attachment: ModuleAttachment) -> ModuleAttachment:
        """Save ``attachment`` unless another admin owns its bot; what is stored (see :func:`.abilities.claim`)."""
        require_identifier(attachment.bot_id, BOT_ID_LIMIT, "bot id")
        return claim(self.inner, attachment)

    def get(self, bot_id: str) -> ModuleAttachment | None:
        return self.inner.get(bot_id) if is_usable_bot_id(bot_id) else None

    def delete(self, bot_id: str) -> bool:
        return self.inner.delete(bot_id) if is_identifier(bot_id, BOT_ID_LIMIT) else False

    def list(self) -> list[ModuleAttachment]:
        """The stored attachments, without any whose bot id no request could carry (stored by an older version)."""
        usable = []
        for attachment in self.inner.list():
            if is_usable_bot_id(attachment.bot_id):
                usable.append(attachment)
            else:
                log.warning(
                    "Skipped the stored attachment of bot %r: its id cannot be used; delete it", attachment.bot_id
                )
        return usable


class CheckedLinks:
    """An :class:`AccountLinkStore` whose providers, subjects and user ids are checked first."""

    def __init__(self, inner: AccountLinkStore) -> None:
        #: The store whose ids are checked.
        self.inner = inner
        #: Whether the store's ``link`` records ``channel_id`` and ``scope`` (asked once, here).
        self.records_origin = records_link_origin(inner)

    def find(self, provider: str, subject: str) -> AccountLink | None:
        if not (is_identifier(provider, PROVIDER_LIMIT) and is_identifier(subject, SUBJECT_LIMIT)):
            return None
        return self.inner.find(provider, subject)

    def for_user(self, provider: str, user_id: str) -> AccountLink | None:
        if not (is_identifier(provider, PROVIDER_LIMIT) and is_identifier(user_id, USER_ID_LIMIT)):
            return None
        return self.inner.for_user(provider, user_id)

    def link(
        self,
        provider: str,
        subject: str,
        user_id: str,
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> AccountLink:
        self._require(provider, subject)
        user_id = require_identifier(user_id, USER_ID_LIMIT, "site user id")
        if not self.records_origin:
            return self.inner.link(provider, subject, user_id)
        return self.inner.link(provider, subject, user_id, channel_id=channel_id, scope=scope)

    def unlink(self, provider: str, user_id: str) -> AccountLink | None:
        if not (is_identifier(provider, PROVIDER_LIMIT) and is_identifier(user_id, USER_ID_LIMIT)):
            return None
        return self.inner.unlink(provider, user_id)

    def _require(self, provider: str, subject: str) -> None:
        require_identifier(provider, PROVIDER_LIMIT, "provider")
        require_identifier(subject, SUBJECT_LIMIT, "account id")


class CheckedSiteUserLinks(CheckedLinks):
    """:class:`CheckedLinks` of a :class:`~.abilities.SiteUserLinks` store (the site's user and link together)."""

    def __init__(self, inner: SiteUserLinks) -> None:
        super().__init__(cast(AccountLinkStore, inner))
        self._site_user_links = inner

    def link_new_user(
        self,
        provider: str,
        subject: str,
        make_user: Callable[[], Any],
        id_of: Callable[[Any], str],
        *,
        channel_id: str | None = None,
        scope: str | None = None,
    ) -> tuple[Any, AccountLink]:
        """Write the user ``make_user`` adds and its link together, the ids checked first."""
        self._require(provider, subject)

        def checked_id(user: Any) -> str:
            return require_identifier(id_of(user), USER_ID_LIMIT, "site user id")

        return self._site_user_links.link_new_user(
            provider, subject, make_user, checked_id, channel_id=channel_id, scope=scope
        )


def checked_links(inner: AccountLinkStore) -> CheckedLinks:
    """``inner`` with its ids checked, keeping its ability to write a site's user with its link."""
    return CheckedSiteUserLinks(inner) if isinstance(inner, SiteUserLinks) else CheckedLinks(inner)
