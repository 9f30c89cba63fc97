"""The bot's account link (LINE's "User account linking"): a nonce per ``/line/bot-link`` visit, and the link
LINE's ``accountLink`` event confirms, written to the same store as LINE Login's links.

The nonce binds the event to the site user who was signed in at the visit; it is random (192 bits), kept hashed,
lives ``LINE_MESSAGING_LINK_NONCE_TTL`` seconds and is used once, in a store every worker shares, so a replayed
nonce is refused whichever worker the webhook reaches.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode

from .._log import log
from .._store.lazy import OnFirstUse
from .._store.links import LINE, AccountLink, AccountLinkStore
from .._store.sqlite import SQLiteFile
from .._wire.ids import LINE_ID
from ..errors import AccountLinkConflict, AccountLinkedElsewhere, BadRequestOption, CallbackError, LineError
from .recipients import Recipients

#: A link token as LINE issues it: an opaque URL-safe string (checked before it goes into LINE's URL).
LINK_TOKEN = re.compile(r"[A-Za-z0-9_\-.~]{1,512}")


class LinkNonces(Protocol):
    """Where the nonces of ``/line/bot-link`` wait for LINE's ``accountLink`` event (shared by every worker)."""

    def issue(self, site_user_id: str, ttl: float) -> str:
        """A new nonce for ``site_user_id``, valid ``ttl`` seconds."""

    def redeem(self, nonce: str) -> str | None:
        """The site user of an unused, unexpired ``nonce``, now used; None otherwise."""


class NoncesOnFirstUse:
    """:class:`LinkNonces` built at their first use, so ``init_app`` opens no file."""

    def __init__(self, build: Callable[[], LinkNonces]) -> None:
        self.nonces = OnFirstUse(build)

    def issue(self, site_user_id: str, ttl: float) -> str:
        return self.nonces.get().issue(site_user_id, ttl)

    def redeem(self, nonce: str) -> str | None:
        return self.nonces.get().redeem(nonce)


class SQLiteLinkNonces:
    """Nonces of one Messaging API channel in an SQLite file (the instance folder's ``flask_line.sqlite3`` by
    default): shared by the workers of one host. Only a hash of each nonce with its channel is kept, so a nonce
    issued for one shop's channel is unknown at another's ``accountLink`` event."""

    def __init__(self, path: str | Path, channel_id: str) -> None:
        self.file = SQLiteFile(path, NONCE_SCHEMA)
        self.channel_id = channel_id

    def issue(self, site_user_id: str, ttl: float) -> str:
        nonce = secrets.token_urlsafe(24)
        now = time.time()
        with self.file.write() as connection:
            connection.execute("DELETE FROM line_bot_link_nonces WHERE expires_at < ?", (now - 86_400,))
            connection.execute(
                "INSERT INTO line_bot_link_nonces (nonce_hash, user_id, expires_at, used) VALUES (?, ?, ?, 0)",
                (self._hash(nonce), site_user_id, now + ttl),
            )
        return nonce

    def redeem(self, nonce: str) -> str | None:
        with self.file.write() as connection:
            row = connection.execute(
                "UPDATE line_bot_link_nonces SET used = 1 WHERE nonce_hash = ? AND used = 0 "
                "RETURNING user_id, expires_at",
                (self._hash(nonce),),
            ).fetchone()
        if row is None or row[1] < time.time():
            return None
        return str(row[0])

    def _hash(self, nonce: str) -> str:
        return hashlib.sha256(f"{self.channel_id}:{nonce}".encode()).hexdigest()


NONCE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS line_bot_link_nonces ("
    " nonce_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at REAL NOT NULL, used INTEGER NOT NULL)",
)


class LinkRefused(CallbackError):
    """LINE's ``accountLink`` event could not make a link: LINE said ``failed``, or the nonce is unknown, expired or
    already used (nothing was written)."""

    code = "account_link_refused"


class BotAccountLink:
    """Starts the bot's account link at ``/line/bot-link`` and completes it at LINE's ``accountLink`` event.

    :param dialog_url: ``LINE_MESSAGING_ACCOUNT_LINK_URL``.
    :param nonces: where nonces wait (built on first use: ``init_app`` opens no file).
    """

    def __init__(
        self,
        dialog_url: str,
        ttl: float,
        nonces: LinkNonces,
        links: AccountLinkStore,
        recipients: Recipients,
    ) -> None:
        self.dialog_url = dialog_url
        self.ttl = ttl
        self._nonces: LinkNonces = nonces
        self._links = links
        self._recipients = recipients

    @staticmethod
    def link_token(args: Mapping[str, str]) -> str:
        """The ``linkToken`` of a ``/line/bot-link`` visit; a 400 when it is missing or not a token."""
        token = args.get("linkToken", "")
        if not LINK_TOKEN.fullmatch(token):
            raise BadRequestOption("linkToken", "is missing or is not a LINE link token")
        return token

    def dialog(self, link_token: str, site_user_id: str) -> str:
        """LINE's account-link dialog URL for ``link_token``, with a new nonce bound to ``site_user_id``."""
        nonce = self._nonces.issue(site_user_id, self.ttl)
        query = urlencode({"linkToken": link_token, "nonce": nonce}, quote_via=quote)
        return f"{self.dialog_url}?{query}"

    def complete(self, line_user_id: str | None, link: object) -> AccountLink:
        """Write the link an ``accountLink`` event reports (``link`` is its ``link`` object).

        :raises LinkRefused: LINE said ``failed``, the event names no user, or the nonce is not usable.
        :raises ~flask_line.errors.AccountLinkConflict: the LINE account is linked to another site user.
        :raises ~flask_line.errors.AccountLinkedElsewhere: ... or under another LINE provider.
        """
        result = link.get("result") if isinstance(link, dict) else None
        nonce = link.get("nonce") if isinstance(link, dict) else None
        # The nonce is used up whatever the outcome: a failed or refused link cannot be retried with it.
        site_user_id = self._nonces.redeem(nonce) if isinstance(nonce, str) and nonce else None
        if result != "ok":
            raise LinkRefused(f"LINE reported the account link as {result!r}")
        if line_user_id is None or not LINE_ID.fullmatch(line_user_id):
            # Checked like every id from LINE (``_wire/ids.py``): an id that is not a LINE id is never stored.
            raise LinkRefused("The accountLink event names no LINE user")
        if site_user_id is None:
            raise LinkRefused("The accountLink nonce is unknown, expired or already used")
        existing = self._links.find(LINE, line_user_id)
        if existing is not None and not self._recipients.holds(existing):
            raise AccountLinkedElsewhere(f"LINE account {line_user_id} is linked under another provider")
        if existing is not None and existing.user_id != site_user_id:
            raise AccountLinkConflict(f"LINE account {line_user_id} is linked to another site user")
        written = self._links.link(LINE, line_user_id, site_user_id, scope=self._recipients.scope)
        log.info(
            "Bot account link: LINE account %s linked to site user %s under %s",
            line_user_id,
            site_user_id,
            self._recipients.scope,
        )
        return written


#: What the account link refuses with (the webhook reports each through ``messaging_account_link``).
REFUSALS: tuple[type[LineError], ...] = (LinkRefused, AccountLinkConflict, AccountLinkedElsewhere)
