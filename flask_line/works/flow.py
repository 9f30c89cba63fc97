"""LINE WORKS user sign-in: OAuth 2.0 authorization code + OpenID Connect (RS256 ID tokens, ``at_hash``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..config import WorksSettings
from ..errors import UpstreamUnavailable
from ..flows import FlowSignals
from ..http import LineHttp
from ..idtoken import IdTokenVerifier
from ..pending import PendingFlow, PendingFlows
from ..signals import works_login_denied, works_login_failed, works_login_succeeded
from ..signin import SignIn, SignInFlow
from ..tokens import LineToken
from .user import WorksUser


class WorksLogin(SignInFlow[WorksUser]):
    """Sign-in with a LINE WORKS account, kept apart from any LINE Login in the same session."""

    kind = "works"
    signals = FlowSignals(works_login_succeeded, works_login_denied, works_login_failed)
    callback_endpoint = "line.works_callback"
    slot_key = "_line_works"

    def __init__(self, settings: WorksSettings, pending: PendingFlows, http: LineHttp, id_tokens: IdTokenVerifier):
        super().__init__(pending, callback_url=settings.callback_url, default_next=settings.default_next)
        self.settings = settings
        self.http = http
        self.id_tokens = id_tokens

    @property
    def uses_nonce(self) -> bool:
        return self.settings.uses_openid

    @property
    def uses_pkce(self) -> bool:
        return self.settings.pkce

    def authorization_url(self, flow: PendingFlow) -> str:
        params = {"scope": " ".join(self.settings.scopes), "domain": self.settings.domain}
        return self.grant_uri(self.settings.authorize_url, self.settings.client_id, flow, params)

    def complete(self, code: str, flow: PendingFlow, params: Mapping[str, str]) -> SignIn[WorksUser]:
        body = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": flow.redirect_uri,
            **self._client_credentials(),
        }
        if flow.code_verifier:
            body["code_verifier"] = flow.code_verifier
        token = LineToken.from_response(self.http.json("POST", self.settings.token_url, data=body))
        user = self._user_from_id_token(token, flow) if self.settings.uses_openid else self._user_from_api(token)
        return SignIn(user, token)

    def _user_from_id_token(self, token: LineToken, flow: PendingFlow) -> WorksUser:
        claims = self.id_tokens.verify(token.id_token, flow.nonce, access_token=token.access_token)
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

    def user_from_dict(self, data: dict[str, Any]) -> WorksUser:
        return WorksUser.from_dict(data)

    def refresh(self, token: LineToken) -> LineToken:
        body = {"grant_type": "refresh_token", "refresh_token": token.refresh_token or "", **self._client_credentials()}
        return LineToken.from_response(self.http.json("POST", self.settings.token_url, data=body), previous=token)

    def _client_credentials(self) -> dict[str, str]:
        return {"client_id": self.settings.client_id, "client_secret": self.settings.client_secret}


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and value != "" else None
