"""LINE WORKS built from the app's shared parts: imported by the runtime only for an app that uses LINE WORKS."""

from __future__ import annotations

from collections.abc import Callable

from .._accounts.linking import LinkScope
from .._identity.signed_in import IdentitySignals, SignedInIdentity
from .._parts import SharedParts
from .._store.links import WORKS
from .._wire.discovery import DiscoveryDocument
from .._wire.idtoken import IdTokenVerifier
from .._wire.oauth import OAuthClient
from ..signals import works_login_succeeded
from .companies import CompanyLoader, WorksCompanies
from .flow import WorksSignInFlow
from .service import WorksService
from .settings import WorksSettings
from .user import WorksUser


def works_companies(
    parts: SharedParts, default: WorksSettings, loader: Callable[[], CompanyLoader | None]
) -> WorksCompanies:
    """Every LINE WORKS company of the app (``default``: its own settings) and the company of each request."""
    discoveries: dict[tuple[str, str], DiscoveryDocument] = {}

    def discovery(works: WorksSettings) -> DiscoveryDocument:
        """LINE WORKS' discovery document at ``works.discovery_url``: one per URL, shared by every company that
        reads the same one (LINE WORKS publishes one issuer and key set for all companies)."""
        key = (works.discovery_url, works.discovery_issuer)
        found = discoveries.get(key)
        if found is None:
            found = discoveries[key] = DiscoveryDocument(parts.http, works.discovery_url, works.discovery_issuer)
        return found

    def service(works: WorksSettings) -> WorksService:
        """One company's service: its own flow, pending kind, record, link scope and service token."""
        kind = f"{WorksSignInFlow.kind}:{works.client_id}"
        client = OAuthClient(parts.http, works.client_id, works.client_secret)
        found = discovery(works)
        verifier = IdTokenVerifier(
            issuer=works.issuer or found.issuer,
            client_id=works.client_id,
            algorithms=("RS256",),
            leeway=parts.common.id_token_leeway,
            jwks=parts.jwks(works.jwks_url or found.jwks_uri),
        )
        identity: SignedInIdentity[WorksUser] = SignedInIdentity(
            provider=WORKS,
            records=parts.works_records,
            channel=works.client_id,
            link_scope=LinkScope.of_company(
                works.client_id, default_company=default.enabled and works.client_id == default.client_id
            ),
            user_from_dict=WorksUser.from_dict,
            client=client,
            token_url=works.token_url,
            accounts=parts.accounts,
            household=parts.identities,
            signals=IdentitySignals(works_login_succeeded, details={"company_id": works.client_id}),
            pending_kind=kind,
        )
        flow = WorksSignInFlow(works, parts.pending, parts.http, client, id_tokens=verifier, identity=identity)
        flow.kind = kind
        return WorksService(works, parts.http, flow, found, parts.shared)

    return WorksCompanies(default, service, loader)
