"""Pending authorization flows: the ``state`` of each login or attach a browser has started.

Each flow gets its own random state, so several tabs can log in at once. A state is bound to the browser's
session, can be used once, expires after ``LINE_FLOW_TTL`` seconds, and is tied to the kind of flow that
created it (a module-attach state is refused at the login callback: no mix-up).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from authlib.common.security import generate_token
from flask import session

from .errors import StateError

SESSION_KEY = "_line_flows"
#: Older pending flows are dropped beyond this many, so a session cannot grow without bound.
MAX_PENDING = 8
STATE_LENGTH = 43


@dataclass(frozen=True)
class PendingFlow:
    """What we remembered about a flow between its start and its callback."""

    kind: str
    state: str
    redirect_uri: str
    next_url: str
    created_at: float
    nonce: str | None = None
    code_verifier: str | None = None
    #: Flow-specific values echoed to the token call (module attach: region, scope...).
    extra: dict[str, Any] = field(default_factory=dict)


class PendingFlows:
    """Create and consume pending flows in the Flask session.

    :param ttl: seconds a flow may take from start to callback.
    """

    def __init__(self, ttl: int) -> None:
        self.ttl = ttl

    def begin(
        self,
        kind: str,
        redirect_uri: str,
        next_url: str,
        *,
        nonce: bool,
        pkce: bool,
        extra: dict[str, Any] | None = None,
    ) -> PendingFlow:
        """Start a flow: a fresh state (and nonce and PKCE verifier when asked), saved in the session."""
        flow = PendingFlow(
            kind=kind,
            state=generate_token(STATE_LENGTH),
            redirect_uri=redirect_uri,
            next_url=next_url,
            created_at=time.time(),
            nonce=generate_token(32) if nonce else None,
            # RFC 7636: 43-128 characters; generate_token uses only unreserved ones.
            code_verifier=generate_token(64) if pkce else None,
            extra=dict(extra or {}),
        )
        flows = self._live_flows()
        flows[flow.state] = _to_record(flow)
        while len(flows) > MAX_PENDING:
            oldest = min(flows, key=lambda state: flows[state]["created_at"])
            del flows[oldest]
        session[SESSION_KEY] = flows
        return flow

    def finish(self, kind: str, state: object) -> PendingFlow:
        """Consume the flow that ``state`` names, or raise :class:`StateError` (leaving the session unchanged)."""
        if not isinstance(state, str) or not state:
            raise StateError("The callback has no state parameter.")
        flows = session.get(SESSION_KEY) or {}
        record = flows.get(state) if len(state) == STATE_LENGTH else None
        if record is None:
            raise StateError("The state is unknown to this browser session (replayed, foreign, or forged).")
        if record["kind"] != kind:
            raise StateError(f"The state belongs to a {record['kind']} flow, not to {kind}.")
        remaining = {key: value for key, value in flows.items() if key != state}
        session[SESSION_KEY] = remaining
        flow = _from_record(state, record)
        if time.time() - flow.created_at > self.ttl:
            raise StateError("The sign-in took too long and expired; please start again.")
        return flow

    def _live_flows(self) -> dict[str, dict[str, Any]]:
        now = time.time()
        flows = session.get(SESSION_KEY) or {}
        return {state: record for state, record in flows.items() if now - record["created_at"] <= self.ttl}


def _to_record(flow: PendingFlow) -> dict[str, Any]:
    return {
        "kind": flow.kind,
        "redirect_uri": flow.redirect_uri,
        "next_url": flow.next_url,
        "created_at": flow.created_at,
        "nonce": flow.nonce,
        "code_verifier": flow.code_verifier,
        "extra": flow.extra,
    }


def _from_record(state: str, record: dict[str, Any]) -> PendingFlow:
    return PendingFlow(state=state, **record)
