"""Pending authorizations: what a browser's started login or attach needs when LINE sends it back.

Each authorization gets its own random ``state``, so several tabs can sign in at once. A state is bound to the
browser's session, can be used once, expires after ``LINE_PENDING_TTL`` seconds, and is tied to the kind of flow
that created it (a module-attach state is refused at the login callback: no mix-up).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import g, session

from .._sessions.keys import FINISHED_KEY, PENDING_KEY
from ..errors import StateError
from .origin import Origin

#: Older pending authorizations are dropped beyond this many, so a session cannot grow without bound.
MAX_PENDING = 8
#: Completed authorizations remembered, so a refreshed callback page goes on to ``next`` instead of failing.
MAX_FINISHED = 4
STATE_LENGTH = 43
#: Where a request keeps the authorization it peeked at (a callback peeks to find its shop, then finishes it).
_PEEKED = "_line_peeked_authorization"


@dataclass(frozen=True)
class PendingAuthorization:
    """What we remembered about one authorization between its start and LINE's redirect back."""

    kind: str
    state: str
    redirect_uri: str
    next_url: str
    created_at: float
    nonce: str | None = field(default=None, repr=False)
    code_verifier: str | None = field(default=None, repr=False)
    #: Flow-specific values sent again with the token call (module attach: region, scope...).
    extra: dict[str, Any] = field(default_factory=dict)
    #: Set when a signed-in site user started linking an account: that user's id.
    link_to: str | None = None
    #: Where the browser started (its shop's URL values and LINE Login channel), restored at the callback.
    origin: Origin | None = None
    #: Who was signed in when it started (a module attach: the admin it belongs to), or None.
    started_by: str | None = None


class PendingAuthorizations:
    """Create and consume pending authorizations in the Flask session.

    :param ttl: seconds an authorization may take from start to callback.
    :param origin: where the current request starts a sign-in of a kind (recorded with it; none by default).
    """

    def __init__(self, ttl: int, origin: Callable[[str], Origin | None] = lambda kind: None) -> None:
        self.ttl = ttl
        self._origin = origin

    def begin(
        self,
        kind: str,
        redirect_uri: str,
        next_url: str,
        *,
        nonce: bool,
        pkce: bool,
        extra: dict[str, Any] | None = None,
        link_to: str | None = None,
        started_by: str | None = None,
    ) -> PendingAuthorization:
        """Start one: a fresh state (and nonce and PKCE verifier when asked), saved in the session."""
        pending = PendingAuthorization(
            kind=kind,
            # LINE documents state as alphanumeric (reference 1.2): hex, 43 characters (172 bits).
            state=secrets.token_hex(22)[:STATE_LENGTH],
            redirect_uri=redirect_uri,
            next_url=next_url,
            created_at=time.time(),
            nonce=secrets.token_urlsafe(24) if nonce else None,
            # RFC 7636: 43-128 unreserved characters; URL-safe base64 uses only those.
            code_verifier=secrets.token_urlsafe(48) if pkce else None,
            extra=dict(extra or {}),
            link_to=link_to,
            origin=self._origin(kind),
            started_by=started_by,
        )
        records = self._live_records()
        records[pending.state] = _to_record(pending)
        while len(records) > MAX_PENDING:
            oldest = min(records, key=lambda state: records[state]["created_at"])
            del records[oldest]
        session[PENDING_KEY] = records
        return pending

    def finish(self, kind: str, state: object) -> PendingAuthorization:
        """Consume the authorization ``state`` names, or raise :class:`StateError` (the session is unchanged)."""
        if not isinstance(state, str) or not state:
            raise StateError("The callback has no state parameter.")
        records = session.get(PENDING_KEY) or {}
        record = records.get(state) if len(state) == STATE_LENGTH else None
        if record is None:
            raise StateError("The state is unknown to this browser session (replayed, foreign, or forged).")
        if record["kind"] != kind:
            raise StateError(f"The state belongs to a {record['kind']} flow, not to {kind}.")
        session[PENDING_KEY] = {key: value for key, value in records.items() if key != state}
        peeked = g.get(_PEEKED)
        pending = peeked[1] if peeked is not None and peeked[0] is record else _from_record(state, record)
        if time.time() - pending.created_at > self.ttl:
            raise StateError("The sign-in took too long and expired; please start again.")
        return pending

    def peek(self, state: object) -> PendingAuthorization | None:
        """The live authorization ``state`` names, without consuming it (a callback finds its shop first)."""
        if not isinstance(state, str):
            return None
        record = self._live_records().get(state)
        if record is None:
            return None
        pending = _from_record(state, record)
        setattr(g, _PEEKED, (record, pending))  # the same record, if finished in this request, is not read again
        return pending

    def latest(self, kind: str) -> PendingAuthorization | None:
        """This browser's newest live authorization of ``kind`` or of its family (``"login"`` finds
        ``"login:1650000000"``), without consuming it: what a failed answer with a state it never issued can still
        tell (where the sign-in started, and its ``next``)."""
        records = {
            state: record
            for state, record in self._live_records().items()
            if record["kind"] == kind or record["kind"].split(":", 1)[0] == kind
        }
        if not records:
            return None
        newest = max(records, key=lambda state: records[state]["created_at"])
        return _from_record(newest, records[newest])

    def remember_finished(self, pending: PendingAuthorization) -> None:
        """Note that ``pending`` completed, so a refresh of its callback page can be sent on (see ``finished``)."""
        done = {
            state: entry
            for state, entry in (session.get(FINISHED_KEY) or {}).items()
            if time.time() - entry[2] <= self.ttl
        }
        done[pending.state] = [pending.kind, pending.next_url, time.time()]
        while len(done) > MAX_FINISHED:
            del done[min(done, key=lambda state: done[state][2])]
        session[FINISHED_KEY] = done

    def finished(self, kind: str, state: object) -> str | None:
        """The ``next`` of a ``kind`` authorization this browser completed lately with ``state``, or None."""
        entry = (session.get(FINISHED_KEY) or {}).get(state) if isinstance(state, str) else None
        if entry is None or entry[0] != kind or time.time() - entry[2] > self.ttl:
            return None
        return str(entry[1])

    def drop(self, kinds: Iterable[str]) -> None:
        """Forget every pending authorization of these kinds (a sign-out ends what its identity started).

        A kind names its family too: ``"login"`` drops ``"login:1650000000"``, a channel's sign-ins.
        """
        families = set(kinds)
        records = session.get(PENDING_KEY) or {}
        kept = {
            state: record
            for state, record in records.items()
            if record["kind"] not in families and record["kind"].split(":", 1)[0] not in families
        }
        if len(kept) != len(records):
            session[PENDING_KEY] = kept

    def _live_records(self) -> dict[str, dict[str, Any]]:
        now = time.time()
        records = session.get(PENDING_KEY) or {}
        return {state: record for state, record in records.items() if now - record["created_at"] <= self.ttl}


def _to_record(pending: PendingAuthorization) -> dict[str, Any]:
    return {
        "kind": pending.kind,
        "redirect_uri": pending.redirect_uri,
        "next_url": pending.next_url,
        "created_at": pending.created_at,
        "nonce": pending.nonce,
        "code_verifier": pending.code_verifier,
        "extra": pending.extra,
        "link_to": pending.link_to,
        "origin": pending.origin.to_record() if pending.origin is not None else None,
        "started_by": pending.started_by,
    }


def _from_record(state: str, record: dict[str, Any]) -> PendingAuthorization:
    return PendingAuthorization(state=state, **{**record, "origin": Origin.from_record(record.get("origin"))})
