"""LINE WORKS user sign-in: OAuth 2.0 authorization code + OpenID Connect (RS256 ID tokens, ``at_hash``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._flow.authorization import AuthorizationFlow
from .._flow.pending import PendingAuthorization, PendingAuthorizations
from .._flows import WORKS_SIGN_IN_KIND, WORKS_SIGN_IN_SIGNALS
from .._identity.signed_in import SignedInIdentity, SignIn
from .._wire.http import LineHttp
from .._wire.idtoken import IdTokenVerifier
from .._wire.oauth import OAuthClient
from .._wire.tokens import LineToken
from ..errors import UpstreamUnavailable
from .settings import WorksSettings
from .user import WorksUser


class WorksSignInFlow(AuthorizationFlow[SignIn[WorksUser]]):
    """Sign-in with a LINE WORKS account, kept apart from any LINE Login in the same session."""

    kind = WORKS_SIGN_IN_KIND
    signals = WORKS_SIGN_IN_SIGNALS
    callback_endpoint = "line.works_callback"
    start_endpoint = "line.works_login"
    credential_settings = "LINE_WORKS_CLIENT_ID and LINE_WORKS_CLIENT_SECRET"
    settings_to_check = "LINE_WORKS_SCOPES, LINE_WORKS_CLIENT_ID and LINE_WORKS_CALLBACK_URL"

    def __init__(
        self,
        settings: WorksSettings,
        pending: PendingAuthorizations,
        http: LineHttp,
        client: OAuthClient,
        *,
        id_tokens: IdTokenVerifier,
        identity: SignedInIdentity[WorksUser],
    ) -> None:
        super().__init__(
            pending,
            client,
            authorize_url=settings.authorize_url,
            callback_url=settings.callback_url,
            default_next=settings.default_next,
        )
        self.settings = settings
        self.http = http
        self.id_tokens = id_tokens
        self.identity = identity

    @property
    def uses_nonce(self) -> bool:
        return self.settings.uses_openid

    @property
    def uses_pkce(self) -> bool:
        return self.settings.pkce

    def signal_details(self) -> dict[str, Any]:
        return {"company_id": self.settings.client_id}

    def authorization_params(self, pending: PendingAuthorization) -> Mapping[str, str | None]:
        return {"scope": " ".join(self.settings.scopes), "domain": self.settings.domain}

    def complete(self, code: str, pending: PendingAuthorization, params: Mapping[str, str]) -> SignIn[WorksUser]:
        answer = self.client.exchange_code(self.settings.token_url, code, pending.redirect_uri, pending.code_verifier)
        token = LineToken.from_response(answer)
        user = self._user_from_id_token(token, pending) if self.settings.uses_openid else self._user_from_api(token)
        return SignIn(user, token)

    def _user_from_id_token(self, token: LineToken, pending: PendingAuthorization) -> WorksUser:
        claims = self.id_tokens.verify(
            token.id_token, pending.nonce, access_token=token.access_token, nonce_required=self.uses_nonce
        )
        return WorksUser(
            user_id=claims["sub"],
            name=claims.get("name"),
            email=claims.get("email"),
            domain_id=_text(claims.get("domain_id")),
            locale=claims.get("locale"),
            scopes=token.scopes or self.settings.scopes,
        )

    def _user_from_api(self, token: LineToken) -> WorksUser:
        headers = {"Authorization": f"Bearer {token.access_token}"}
        body = self.http.json("GET", self.settings.api_url.rstrip("/") + "/users/me", headers=headers)
        user_id = body.get("userId")
        if not isinstance(user_id, str) or not user_id:
            raise UpstreamUnavailable("LINE WORKS' users/me response has no userId")
        name = body.get("userName")
        if not isinstance(name, dict):
            name = {}
        full_name = " ".join(part for part in (name.get("lastName"), name.get("firstName")) if part) or None
        return WorksUser(
            user_id=user_id,
            name=full_name,
            email=_text(body.get("email")),
            domain_id=_text(body.get("domainId")),
            scopes=token.scopes or self.settings.scopes,
        )

    def signed_in(self) -> bool:
        return bool(self.identity.current_user().is_authenticated)

    def commit(self, result: SignIn[WorksUser], pending: PendingAuthorization) -> None:
        self.identity.sign_in(result.user, result.token, link_to=pending.link_to)


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and value != "" else None
