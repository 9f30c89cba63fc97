"""The emulated LINE WORKS endpoints: sign-in, the token endpoint (code, refresh, JWT bearer) and the API."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from authlib.oidc.core.util import create_half_hash
from flask import jsonify, redirect, request
from joserfc import jwt
from joserfc.errors import JoseError

from .consent import ConsentScreen, error_page
from .data import Grant, PlatformData
from .endpoints import WORKS_ISSUER, Endpoints, base_url, bearer_token, oauth_error, with_query
from .language import N_, render_screen, screen_language

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
WORKS_TOKEN_TTL = 86400
#: The longest a service-account assertion may live: LINE WORKS' samples and docs use iat + 60 minutes.
MAX_ASSERTION_LIFETIME = 3600
#: LINE WORKS' response types ("Access Token": ``code``, or ``id_token`` / ``token id_token``, the OIDC implicit
#: flow), as sets: the order of a multi-valued response type does not matter (OAuth 2.0 Multiple Response Types).
CODE = frozenset({"code"})
IMPLICIT = (frozenset({"id_token"}), frozenset({"token", "id_token"}))


class WorksEndpoints(Endpoints):
    """LINE WORKS API 2.0: authorize, token, keys, ``users/me`` and the rest of the API."""

    routes = (
        ("GET", "/oauth2/v2.0/authorize", "authorize"),
        ("POST", "/oauth2/v2.0/token", "token"),
        ("GET", "/oauth2/v2.0/certs", "certs"),
        ("GET", "/works/.well-known/openid-configuration", "discovery"),
        ("GET", "/oauth2/v2.0/logout", "logout"),
        ("POST", "/oauth2/v2.0/logout", "logout"),
        ("GET", "/v1.0/users/me", "users_me"),
        ("GET", "/v1.0/<path:rest>", "api"),
        ("POST", "/v1.0/<path:rest>", "api"),
        ("PUT", "/v1.0/<path:rest>", "api"),
        ("DELETE", "/v1.0/<path:rest>", "api"),
    )

    def __init__(self, data: PlatformData, consent: ConsentScreen) -> None:
        super().__init__(data)
        self.consent = consent
        consent.implicit_answers["works"] = self.implicit_answer

    def authorize(self) -> Any:
        args = request.args
        response_type = frozenset(args.get("response_type", "").split())
        params: dict[str, Any] = {
            "scopes": tuple(args.get("scope", "").split()),
            "nonce": args.get("nonce"),
            "code_challenge": args.get("code_challenge"),
            "response_type": " ".join(sorted(response_type)),
        }
        if response_type in IMPLICIT:
            # OIDC Core 3.2.2.5: the implicit flow's answer (and its errors) travel in the URL fragment.
            params["response_mode"] = "fragment"
        pending = self.consent.authorization("works", params)
        error = _authorize_error(args)
        if error is not None:
            return self.consent.respond(pending, {"error": error[0], "error_description": error[1]})
        return self.consent.begin("works", params)

    def token(self) -> Any:
        form = request.form
        if not self._client_ok(form):
            return oauth_error("invalid_client", "invalid client_id or client_secret", 401)
        grant_type = form.get("grant_type")
        if grant_type == JWT_BEARER:
            return self._service_grant(form)
        if grant_type == "refresh_token":
            with self.data.lock:
                grant = self.data.refresh_tokens.get(form.get("refresh_token", ""))
            # LINE WORKS: a refresh token lasts 90 days from its issue, then the member signs in again.
            if grant is None or grant.client_id != form["client_id"] or grant.expires_at <= time.time():
                return oauth_error("invalid_grant", "invalid refresh token")
            return jsonify(self._token_body(grant, with_id_token=False, refresh=form["refresh_token"]))
        redeemed = self.consent.redeem(form, "works")
        if not isinstance(redeemed, Grant):
            return oauth_error("invalid_grant", redeemed)
        return jsonify(self._token_body(redeemed, with_id_token="openid" in redeemed.scopes))

    def _client_ok(self, form: Mapping[str, str]) -> bool:
        secret = self.data.works_clients.get(form.get("client_id", ""))
        return secret is not None and secrets.compare_digest(secret, form.get("client_secret", ""))

    def _token_body(self, grant: Grant, *, with_id_token: bool, refresh: str | None = None) -> dict[str, Any]:
        data = self.data
        access = data.issue(data.access_tokens, grant.copy(), WORKS_TOKEN_TTL)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": str(WORKS_TOKEN_TTL),  # LINE WORKS sends a string
            "scope": " ".join(grant.scopes),
        }
        # Every grant answers with a refresh token, the JWT bearer one too (reference §4.3).
        body["refresh_token"] = refresh or data.issue(data.refresh_tokens, grant.copy(), 90 * 86400)
        if with_id_token:
            body["id_token"] = self.id_token(grant, create_half_hash(access, "RS256").decode())
        return body

    def implicit_answer(self, pending: Mapping[str, Any], member_id: str, scopes: tuple[str, ...]) -> dict[str, str]:
        """The implicit flow's answer (OIDC Core 3.2.2.5): an ID token carrying the request's ``nonce``, and for
        ``token id_token`` an access token with its type and lifetime, and ``at_hash`` in the ID token. No code,
        no refresh token."""
        data = self.data
        grant = Grant(
            client_id=pending["client_id"],
            user_id=member_id,
            scopes=scopes,
            expires_at=0,
            redirect_uri=pending["redirect_uri"],
            nonce=pending.get("nonce"),
            protocol="works",
        )
        answer: dict[str, str] = {}
        at_hash = None
        if "token" in pending["response_type"].split():
            access = data.issue(data.access_tokens, grant.copy(), WORKS_TOKEN_TTL)
            answer.update(access_token=access, token_type="Bearer", expires_in=str(WORKS_TOKEN_TTL))
            at_hash = create_half_hash(access, "RS256").decode()
        answer["id_token"] = self.id_token(grant, at_hash)
        return answer

    def id_token(self, grant: Grant, at_hash: str | None) -> str:
        """A LINE WORKS ID token (RS256; ``at_hash`` when an access token comes with it), altered by a queued fault
        when a test asked for one."""
        member = self.data.works_members[grant.user_id]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": WORKS_ISSUER,
            "sub": member.user_id,
            "aud": grant.client_id,
            "exp": now + 3600,
            "iat": now,
            "domain_id": member.domain_id,
        }
        if at_hash is not None:
            claims["at_hash"] = at_hash
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "profile" in grant.scopes:
            claims["name"] = member.display_name
            claims["locale"] = "ja_JP"
        if "email" in grant.scopes:
            claims["email"] = member.email
        fault = request.environ.get("emulator.fault")
        changes = (fault.id_token if fault else None) or {}
        claims.update(changes.get("claims", {}))
        keys = self.data.keys
        header = {"alg": "RS256", "kid": keys.rsa_key.kid, **changes.get("header", {})}
        return keys.sign(header, claims, keys.rsa_key, changes.get("key"))

    def _service_grant(self, form: Mapping[str, str]) -> Any:
        client_id = form["client_id"]
        account = self.data.works_service_accounts.get(client_id)
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
        if token.claims["exp"] - token.claims["iat"] > MAX_ASSERTION_LIFETIME:
            return oauth_error("invalid_grant", "assertion exp is more than 60 minutes after iat")
        grant = Grant(
            client_id=client_id,
            user_id=account_id,
            scopes=tuple(form.get("scope", "").replace(",", " ").split()),
            expires_at=0,
            protocol="works-service",
        )
        return jsonify(self._token_body(grant, with_id_token=False))

    def certs(self) -> Any:
        return jsonify({"keys": [self.data.keys.rsa_key.as_dict(private=False)]})

    def discovery(self) -> Any:
        """LINE WORKS' OpenID discovery document (served here at /works/...: one host, two discovery paths)."""
        base = base_url()
        return jsonify(
            issuer=WORKS_ISSUER,
            authorization_endpoint=f"{base}/oauth2/v2.0/authorize",
            token_endpoint=f"{base}/oauth2/v2.0/token",
            jwks_uri=f"{base}/oauth2/v2.0/certs",
            end_session_endpoint=f"{base}/oauth2/v2.0/logout",
            response_types_supported=["code", "id_token", "token id_token"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            scopes_supported=["openid", "email", "profile"],
        )

    def logout(self) -> Any:
        """OpenID Connect RP-Initiated Logout 1.0 (LINE WORKS' logout is "based on the RP Initiated Logout of OIDC";
        its path is not published: the emulator's own). ``id_token_hint`` must be an ID token it issued (expired is
        fine); ``post_logout_redirect_uri`` must be an HTTPS URL registered for the app (the Developer Console's
        "OIDC Logout Redirection - Redirect URL", ``register_logout_url``), else an error page, never a redirect."""
        values = request.values
        try:
            hint = jwt.decode(values.get("id_token_hint", ""), self.data.keys.rsa_key, algorithms=["RS256"])
        except (JoseError, ValueError):
            error_page(400, "400 Bad request: id_token_hint is not an ID token LINE WORKS issued.")
        client_id = str(hint.claims.get("aud", ""))
        if values.get("client_id") not in (None, client_id):
            error_page(400, "400 Bad request: client_id is not the ID token's audience.")
        back = values.get("post_logout_redirect_uri")
        if back is not None:
            parts = urlsplit(back)
            if parts.scheme != "https" and parts.hostname not in ("localhost", "127.0.0.1"):
                error_page(400, "400 Bad request: post_logout_redirect_uri must be an HTTPS URL.")
            if back not in self.data.logout_urls.get(client_id, set()):
                error_page(400, f"400 Bad request: {back} is not a registered logout redirect URL of {client_id}.")
        with self.data.lock:
            self.data.works_logouts.append((client_id, str(hint.claims.get("sub", ""))))
        if back is None:
            language = screen_language(None)
            return render_screen("error.html", language, title=N_("Signed out"), message=N_("You are signed out."))
        state = values.get("state")
        return redirect(with_query(back, {"state": state}) if state else back)

    def users_me(self) -> Any:
        grant = self.data.live_access_token(bearer_token())
        if grant is None or grant.protocol != "works":
            return jsonify(code="UNAUTHORIZED", description="Authentication failed"), 401
        member = self.data.works_members[grant.user_id]
        return jsonify(
            userId=member.user_id,
            email=member.email,
            domainId=member.domain_id,
            userName={"lastName": member.last_name, "firstName": member.first_name},
        )

    def api(self, rest: str) -> Any:
        grant = self.data.live_access_token(bearer_token())
        if grant is None:
            return jsonify(code="UNAUTHORIZED", description="Authentication failed"), 401
        call = (request.method, f"/v1.0/{rest}", request.get_json(silent=True))
        with self.data.lock:
            self.data.works_calls.append(call)
            self.data.works_calls_of.setdefault(grant.client_id, []).append(call)
        return jsonify({}), 201 if request.method == "POST" else 200


def _authorize_error(args: Any) -> tuple[str, str] | None:
    """LINE WORKS' authorize parameters marked required (scope, response_type) and state, as RFC 6749 errors; the
    implicit flow needs ``openid`` and a ``nonce`` (OIDC Core 3.2.2.1: REQUIRED there)."""
    response_type = frozenset(args.get("response_type", "").split())
    if response_type != CODE and response_type not in IMPLICIT:
        return ("unsupported_response_type", "response_type must be code, id_token or token id_token")
    scopes = args.get("scope", "").split()
    if not scopes:
        return ("invalid_scope", "scope is required")
    if not args.get("state"):
        return ("invalid_request", "state is required")
    if response_type in IMPLICIT and "openid" not in scopes:
        return ("invalid_scope", "response_type id_token needs the openid scope")
    if response_type in IMPLICIT and not args.get("nonce"):
        return ("invalid_request", "nonce is required for response_type id_token")
    return None
