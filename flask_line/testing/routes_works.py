"""The emulator's LINE WORKS endpoints: sign-in, the token endpoint (code, refresh, JWT bearer) and the API."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from authlib.oidc.core.util import create_half_hash
from flask import jsonify, request
from joserfc import jwt
from joserfc.errors import JoseError

from .platform import Grant

if TYPE_CHECKING:
    from .platform import LinePlatform

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
WORKS_TOKEN_TTL = 86400


def register_works_routes(
    line: LinePlatform,
    begin_consent: Callable[[str, dict[str, Any]], Any],
    redeem_code: Callable[..., Any],
    oauth_error: Callable[..., Any],
) -> None:
    """Add the LINE WORKS endpoints to ``line.app``."""
    app = line.app

    def client_ok(form: Any) -> bool:
        secret = line.works_clients.get(form.get("client_id", ""))
        return secret is not None and secrets.compare_digest(secret, form.get("client_secret", ""))

    def token_body(grant: Grant, *, with_id_token: bool, refresh: str | None = None) -> dict[str, Any]:
        access = line.issue(line.access_tokens, Grant(**{**grant.__dict__}), WORKS_TOKEN_TTL)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": str(WORKS_TOKEN_TTL),  # LINE WORKS sends a string
            "scope": " ".join(grant.scopes),
        }
        if refresh is not None or grant.protocol != "works-service":
            body["refresh_token"] = refresh or line.issue(line.refresh_tokens, Grant(**grant.__dict__), 90 * 86400)
        if with_id_token:
            hashed = create_half_hash(access, "RS256").decode()
            works_grant = Grant(**{**grant.__dict__, "extra": {**grant.extra, "at_hash": hashed}})
            body["id_token"] = line.signed_works_id_token(request.url_root.rstrip("/"), works_grant, request)
        return body

    @app.get("/oauth2/v2.0/authorize")
    def works_authorize() -> Any:
        return begin_consent(
            "works",
            {
                "scopes": tuple(request.args.get("scope", "").split()),
                "nonce": request.args.get("nonce"),
                "code_challenge": request.args.get("code_challenge"),
            },
        )

    @app.post("/oauth2/v2.0/token")
    def works_token() -> Any:
        form = request.form
        if not client_ok(form):
            return oauth_error("invalid_client", "invalid client_id or client_secret", 401)
        grant_type = form.get("grant_type")
        if grant_type == JWT_BEARER:
            return service_grant(form)
        if grant_type == "refresh_token":
            with line.lock:
                grant = line.refresh_tokens.get(form.get("refresh_token", ""))
            if grant is None or grant.client_id != form["client_id"]:
                return oauth_error("invalid_grant", "invalid refresh token")
            return jsonify(token_body(grant, with_id_token=False, refresh=form["refresh_token"]))
        grant = redeem_code(form, "works")
        if not isinstance(grant, Grant):
            return grant
        return jsonify(token_body(grant, with_id_token="openid" in grant.scopes))

    def service_grant(form: Any) -> Any:
        client_id = form["client_id"]
        account = line.works_service_accounts.get(client_id)
        if account is None:
            return oauth_error("invalid_grant", "no service account for this client")
        account_id, public_key = account
        try:
            token = jwt.decode(form.get("assertion", ""), public_key, algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": client_id},
                sub={"essential": True, "value": account_id},
                exp={"essential": True},
                iat={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError):
            return oauth_error("invalid_grant", "assertion is invalid")
        grant = Grant(
            client_id=client_id,
            user_id=account_id,
            scopes=tuple(form.get("scope", "").replace(",", " ").split()),
            expires_at=0,
            protocol="works-service",
        )
        return jsonify(token_body(grant, with_id_token=False))

    @app.get("/oauth2/v2.0/certs")
    def works_certs() -> Any:
        return jsonify({"keys": [line.rsa_key.as_dict(private=False)]})

    def bearer() -> Grant | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with line.lock:
            grant = line.access_tokens.get(token)
        return grant if grant is not None and grant.expires_at > time.time() else None

    @app.get("/v1.0/users/me")
    def works_me() -> Any:
        grant = bearer()
        if grant is None or grant.protocol != "works":
            return jsonify(code="UNAUTHORIZED", description="Authentication failed"), 401
        member = line.works_members[grant.user_id]
        return jsonify(
            userId=member.user_id,
            email=member.email,
            domainId=member.domain_id,
            userName={"lastName": member.last_name, "firstName": member.first_name},
        )

    @app.route("/v1.0/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
    def works_api(rest: str) -> Any:
        grant = bearer()
        if grant is None:
            return jsonify(code="UNAUTHORIZED", description="Authentication failed"), 401
        with line.lock:
            line.works_calls.append((request.method, f"/v1.0/{rest}", request.get_json(silent=True)))
        return jsonify({}), 201 if request.method == "POST" else 200
