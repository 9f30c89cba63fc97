"""The OAuth 2.0 requests every LINE flow sends: the authorize URL, and each grant at a token endpoint.

One place builds each request body, so LINE Login, module attach and LINE WORKS cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from .http import JsonObject, LineHttp
from .tokens import LineToken

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def authorization_url(
    endpoint: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    *,
    nonce: str | None = None,
    code_verifier: str | None = None,
    params: Mapping[str, str | None] | None = None,
) -> str:
    """``endpoint`` with the authorization-code parameters, the nonce, the PKCE S256 challenge and ``params``.

    Spaces are sent as ``%20`` (LINE's docs ask for it in ``scope`` and ``brand_type``), never as ``+``.
    """
    query: dict[str, str] = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    query.update({key: value for key, value in (params or {}).items() if value is not None})
    if nonce:
        query["nonce"] = nonce
    if code_verifier:
        from authlib.oauth2.rfc7636 import create_s256_code_challenge

        query["code_challenge"] = create_s256_code_challenge(code_verifier)
        query["code_challenge_method"] = "S256"
    encoded = urlencode(query, quote_via=quote)
    if "?" not in endpoint and "#" not in endpoint:  # LINE's endpoints: nothing to merge with
        return f"{endpoint}?{encoded}"
    parts = urlsplit(endpoint)
    return urlunsplit(parts._replace(query="&".join(filter(None, [parts.query, encoded]))))


class OAuthClient:
    """One client (id and secret) of one LINE authorization server.

    :param basic_auth: authenticate with HTTP Basic (module attach) instead of ``client_id``/``client_secret``
        in the form body (LINE Login, LINE WORKS, channel access tokens).
    """

    def __init__(self, http: LineHttp, client_id: str, client_secret: str, *, basic_auth: bool = False) -> None:
        self.http = http
        self.client_id = client_id
        self._client_secret = client_secret
        self._basic_auth = basic_auth

    def __repr__(self) -> str:
        return f"<OAuthClient {self.client_id}>"

    def exchange_code(
        self, url: str, code: str, redirect_uri: str, code_verifier: str | None = None, **extra: str
    ) -> JsonObject:
        """Trade an authorization code; the answer as LINE sent it (attach answers are not tokens)."""
        body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, **extra}
        if code_verifier:
            body["code_verifier"] = code_verifier
        return self.http.json("POST", url, **self._authenticated(body))

    def refresh(self, url: str, token: LineToken) -> LineToken:
        """A new access token from ``token``'s refresh token (what the answer leaves out is kept)."""
        body = {"grant_type": "refresh_token", "refresh_token": token.refresh_token or ""}
        return LineToken.from_response(self.http.json("POST", url, **self._authenticated(body)), previous=token)

    def client_credentials(self, url: str, **extra: str) -> LineToken:
        """A token for the client itself (module channel access token)."""
        body = {"grant_type": "client_credentials", **extra}
        return LineToken.from_response(self.http.json("POST", url, **self._authenticated(body)))

    def jwt_bearer(self, url: str, assertion: str, **extra: str) -> LineToken:
        """A token for a signed JWT assertion (RFC 7523; LINE WORKS service accounts)."""
        body = {"grant_type": JWT_BEARER, "assertion": assertion, **extra}
        return LineToken.from_response(self.http.json("POST", url, **self._authenticated(body)))

    def revoke(self, url: str, *, authenticate: bool = True, **params: str) -> None:
        """Invalidate a token at ``url`` (``authenticate=False`` for LINE Login v2.0, which takes no client)."""
        self.http.send("POST", url, **(self._authenticated(params) if authenticate else {"data": params}))

    def _authenticated(self, body: dict[str, str]) -> dict[str, Any]:
        """The request's keyword arguments: ``body`` with our credentials, in the body or as HTTP Basic."""
        if self._basic_auth:
            return {"data": body, "auth": (self.client_id, self._client_secret)}
        return {"data": {**body, "client_id": self.client_id, "client_secret": self._client_secret}}


def jwt_assertion(client_id: str, subject: str, private_key_pem: str, lifetime: int) -> str:
    """An RS256 JWT assertion: ``iss`` the client, ``sub`` the account, valid for ``lifetime`` seconds."""
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    now = int(time.time())
    claims = {"iss": client_id, "sub": subject, "iat": now, "exp": now + lifetime}
    return jwt.encode({"alg": "RS256"}, claims, RSAKey.import_key(private_key_pem), algorithms=["RS256"])
