"""A LINE Login channel's service, built from the app's shared parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._accounts.linking import LinkScope
from .._identity.signed_in import IdentitySignals, SignedInIdentity
from .._parts import SharedParts
from .._store.lazy import OnFirstUse
from .._store.links import LINE
from .._wire.idtoken import IdTokenVerifier
from .._wire.oauth import OAuthClient
from ..signals import login_succeeded, token_refreshed
from .flow import LoginFlow
from .profile import ProfileClient
from .service import LoginService
from .settings import LoginSettings
from .user import LineUser
from .versions import VERSIONS

if TYPE_CHECKING:
    from .bearer import BearerVerifier


def login_service(parts: SharedParts, login: LoginSettings, default: LoginSettings) -> LoginService:
    """The LINE Login service of one channel (``default``: the app's own settings): its own flow, pending kind,
    record and link scope."""
    version = VERSIONS[login.version]
    client = OAuthClient(parts.http, login.channel_id, login.channel_secret)
    kind = f"{LoginFlow.kind}:{login.channel_id}"
    identity: SignedInIdentity[LineUser] = SignedInIdentity(
        provider=LINE,
        records=parts.line_records,
        channel=login.channel_id,
        link_scope=LinkScope.of_channel(
            login.channel_id,
            login.provider,
            default_channel=default.enabled and login.channel_id == default.channel_id,
        ),
        user_from_dict=LineUser.from_dict,
        client=client,
        token_url=login.endpoints.token,
        accounts=parts.accounts,
        household=parts.identities,
        signals=IdentitySignals(login_succeeded, token_refreshed),
        pending_kind=kind,
    )
    verifier = None
    if version.has_id_tokens:
        verifier = IdTokenVerifier(
            issuer=login.endpoints.issuer,
            client_id=login.channel_id,
            algorithms=login.id_token_algorithms,
            leeway=parts.common.id_token_leeway,
            client_secret=login.channel_secret,
            jwks=parts.jwks(login.endpoints.jwks),
        )
    profiles = ProfileClient(parts.http, login.endpoints, version.profile_scopes)
    flow = LoginFlow(login, version, parts.pending, client, profiles=profiles, identity=identity, id_tokens=verifier)
    flow.kind = kind
    bearer = OnFirstUse(lambda: bearer_verifier(login, parts, verifier)) if verifier is not None else None
    return LoginService(
        login, version, client, flow=flow, identity=identity, profiles=profiles, bearer=bearer, shared=parts.shared
    )


def bearer_verifier(login: LoginSettings, parts: SharedParts, verifier: IdTokenVerifier) -> BearerVerifier:
    """What verifies the channel's credentials sent instead of a session, built at its first use."""
    from .bearer import BearerVerifier  # on demand: a site that takes no bearer token never loads its code

    return BearerVerifier(login, parts.http, verifier, parts.shared)
