"""What every product of one app is built from (each product's ``assembly`` module takes it)."""

from __future__ import annotations

from typing import Any

from ._accounts.linking import AccountLinking
from ._config import CommonSettings
from ._flow.pending import PendingAuthorizations
from ._flows import LOGIN_KIND, WORKS_SIGN_IN_KIND
from ._identity.household import Identities
from ._identity.records import ChannelRecords
from ._sessions.keys import LOGIN_IDENTITY_KEY, WORKS_IDENTITY_KEY
from ._store.links import LINE, WORKS
from ._wire.http import LineHttp
from ._wire.jwks import JwksCache
from ._wire.shared_cache import SharedCache


class SharedParts:
    """One app's shared parts: its settings in common, the HTTP client every call to LINE goes through, the pending
    authorizations, the household of signed-in identities, account linking, the fleet's cache, and LINE's key sets.

    Every object gets what it needs when it is built; nothing is pushed into it afterwards.
    """

    def __init__(
        self,
        common: CommonSettings,
        http: LineHttp,
        pending: PendingAuthorizations,
        identities: Identities,
        accounts: AccountLinking,
        shared: SharedCache,
    ) -> None:
        self.common = common
        self.http = http
        self.pending = pending
        self.identities = identities
        self.accounts = accounts
        self.shared = shared
        self._key_sets: dict[Any, JwksCache] = {}
        # Each provider's records in a browser (one per channel, of one person) belong to the app's identities,
        # LINE WORKS' too when the app has no LINE WORKS: a sign-out still clears what an earlier config left.
        self.line_records = identities.register(ChannelRecords(LINE, LOGIN_IDENTITY_KEY, LOGIN_KIND))
        self.works_records = identities.register(ChannelRecords(WORKS, WORKS_IDENTITY_KEY, WORKS_SIGN_IN_KIND))

    def jwks(self, url: Any) -> JwksCache:
        """LINE's key set at ``url``: one cache per URL, shared by every channel (LINE's keys are not per channel)."""
        found = self._key_sets.get(url)
        if found is None:
            common = self.common
            found = self._key_sets[url] = JwksCache(
                self.http, url, common.jwks_cache_ttl, common.jwks_min_refetch_interval
            )
        return found
