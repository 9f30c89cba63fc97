"""The emulated LINE Login endpoints (v2.1 and v2.0), at LINE's own paths, in LINE's wire formats."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify, request

from .consent import JWT_MODES, ConsentScreen
from .data import Grant, PlatformData
from .endpoints import Endpoints, bearer_token, issuer, oauth_error
from .faults import Fault

#: LINE Login v2.1's scopes (seed 004).
LOGIN_SCOPES = frozenset({"profile", "openid", "email"})


class LoginEndpoints(Endpoints):
    """LINE Login: authorize, token, verify, revoke, profile, friendship, keys and discovery."""

    routes = (
        ("GET", "/oauth2/v2.1/authorize", "authorize_v21"),
        ("GET", "/dialog/oauth/weblogin", "authorize_v20"),
        ("POST", "/oauth2/v2.1/token", "token_v21"),
        ("POST", "/v2/oauth/accessToken", "token_v20"),
        ("GET", "/oauth2/v2.1/verify", "verify_v21"),
        ("POST", "/oauth2/v2.1/verify", "verify_v21"),
        ("POST", "/v2/oauth/verify", "verify_v21"),
        ("POST", "/oauth2/v2.1/revoke", "revoke_v21"),
        ("POST", "/v2/oauth/revoke", "revoke_v20"),
        ("GET", "/v2/profile", "profile"),
        ("GET", "/friendship/v1/status", "friendship"),
        ("GET", "/oauth2/v2.1/certs", "certs"),
        ("GET", "/.well-known/openid-configuration", "discovery"),
    )

    def __init__(self, data: PlatformData, consent: ConsentScreen) -> None:
        super().__init__(data)
        self.consent = consent

    # Authorization ----------------------------------------------------------------------------------------------

    def authorize_v21(self) -> Any:
        args = request.args
        params = {
            "scopes": tuple(args.get("scope", "").split()),
            "nonce": args.get("nonce"),
            "code_challenge": args.get("code_challenge"),
            "bot_prompt": args.get("bot_prompt"),
            "max_age": args.get("max_age"),
        }
        pending = self.consent.authorization("v2.1", params)
        error = _v21_request_error(args)
        if error:
            return self.consent.respond(pending, {"error": error[0], "error_description": error[1]})
        if args.get("prompt") == "none":
            return self.consent.silently(pending)
        return self.consent.begin("v2.1", params)

    def authorize_v20(self) -> Any:
        return self.consent.begin("v2.0", {"scopes": ("profile",)})

    # Tokens -------------------------------------------------------------------------------------------------------

    def token_v21(self) -> Any:
        form = request.form
        if not self._client_ok(form):
            return oauth_error("invalid_client", "invalid client_id or client_secret")
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        if form.get("grant_type") != "authorization_code":
            return oauth_error("unsupported_grant_type", "unsupported grant_type")
        grant = self.consent.redeem(form, "v2.1")
        if not isinstance(grant, Grant):
            return oauth_error("invalid_grant", grant)
        return jsonify(self._token_answer(grant, with_id_token="openid" in grant.scopes))

    def token_v20(self) -> Any:
        form = request.form
        if not self._client_ok(form):
            return oauth_error("invalid_client", "invalid client_id or client_secret")
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        grant = self.consent.redeem(form, "v2.0")
        if not isinstance(grant, Grant):
            return oauth_error("invalid_grant", grant)
        body = self._token_answer(grant, with_id_token=False)
        body["scope"] = "P"  # v2.0 reports the profile permission as "P"
        return jsonify(body)

    def _client_ok(self, form: Mapping[str, str]) -> bool:
        channel = self.data.channels.get(form.get("client_id", ""))
        return channel is not None and secrets.compare_digest(channel.secret, form.get("client_secret", ""))

    def _token_answer(self, grant: Grant, with_id_token: bool, refresh: bool = True) -> dict[str, Any]:
        data = self.data
        access = data.issue(data.access_tokens, grant.copy(), data.token_ttl)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": int(data.token_ttl),
            "scope": " ".join(scope for scope in grant.scopes if scope != "email"),
            "token_type": "Bearer",
        }
        if refresh:
            body["refresh_token"] = data.issue(data.refresh_tokens, grant.copy(), 90 * 24 * 3600)
        if with_id_token:
            body["id_token"] = self.id_token(grant, request.environ.get("emulator.fault"))
        return body

    def _refresh(self, form: Mapping[str, str]) -> Any:
        with self.data.lock:
            grant = self.data.refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None or grant.expires_at < time.time() or grant.client_id != form.get("client_id"):
            return oauth_error("invalid_grant", "invalid refresh token")
        body = self._token_answer(grant, with_id_token=False, refresh=False)
        body["refresh_token"] = form["refresh_token"]  # LINE returns the same refresh token
        return jsonify(body)

    def id_token(self, grant: Grant, fault: Fault | None) -> str:
        """An ID token as LINE signs it, altered by ``fault`` when a test asked for a forged one."""
        channel = self.data.channels[grant.client_id]
        user = self.data.users[grant.user_id]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer(),
            "sub": user.user_id,
            "aud": grant.client_id,
            "exp": now + 3600,
            "iat": now,
            "amr": ["pwd"],
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "profile" in grant.scopes:
            claims["name"] = user.display_name
            if user.picture_url:
                claims["picture"] = user.picture_url
        if "email" in grant.scopes and user.email:
            claims["email"] = user.email
        if "auth_time" in grant.extra:  # only when the login sent max_age (seed 004)
            claims["auth_time"] = grant.extra["auth_time"]
        changes = (fault.id_token if fault else None) or {}
        claims.update(changes.get("claims", {}))
        header, key = self.data.keys.header_and_key(channel.id_token_alg, channel.secret)
        header.update(changes.get("header", {}))
        return self.data.keys.sign(header, claims, key, changes.get("key"))

    # Token checks and revocation ---------------------------------------------------------------------------------

    def verify_v21(self) -> Any:
        grant = self.data.live_access_token(request.values.get("access_token", ""))
        if grant is None:
            return oauth_error("invalid_request", "access token expired")
        return jsonify(
            scope=" ".join(grant.scopes),
            client_id=grant.client_id,
            expires_in=int(grant.expires_at - time.time()),
        )

    def revoke_v21(self) -> Any:
        with self.data.lock:
            self.data.access_tokens.pop(request.form.get("access_token", ""), None)
        return Response(status=200)

    def revoke_v20(self) -> Any:
        data = self.data
        with data.lock:
            grant = data.refresh_tokens.pop(request.form.get("refresh_token", ""), None)
            if grant is not None:
                for token, issued in list(data.access_tokens.items()):
                    if issued.user_id == grant.user_id and issued.client_id == grant.client_id:
                        del data.access_tokens[token]
        return Response(status=200)

    # User data ---------------------------------------------------------------------------------------------------

    def profile(self) -> Any:
        grant = self.data.live_access_token(bearer_token())
        if grant is None:
            return jsonify(message="Authentication failed"), 401
        user = self.data.users[grant.user_id]
        body = {"userId": user.user_id, "displayName": user.display_name}
        if user.picture_url:
            body["pictureUrl"] = user.picture_url
        if user.status_message:
            body["statusMessage"] = user.status_message
        return jsonify(body)

    def friendship(self) -> Any:
        grant = self.data.live_access_token(bearer_token())
        if grant is None:
            return jsonify(message="Authentication failed"), 401
        return jsonify(friendFlag=self.data.users[grant.user_id].friend)

    def certs(self) -> Any:
        return jsonify(self.data.keys.jwks())

    def discovery(self) -> Any:
        base = issuer()
        return jsonify(
            issuer=base,
            authorization_endpoint=f"{base}/oauth2/v2.1/authorize",
            token_endpoint=f"{base}/oauth2/v2.1/token",
            revocation_endpoint=f"{base}/oauth2/v2.1/revoke",
            userinfo_endpoint=f"{base}/oauth2/v2.1/userinfo",
            jwks_uri=f"{base}/oauth2/v2.1/certs",
            scopes_supported=["openid", "profile", "email"],
            response_types_supported=["code"],
            subject_types_supported=["pairwise"],
            id_token_signing_alg_values_supported=["ES256"],
            code_challenge_methods_supported=["S256"],
        )


#: Seed 004's enumerated authorize parameters and the values LINE accepts.
ENUMERATED = {
    "prompt": ("consent", "none", "login"),
    "bot_prompt": ("normal", "aggressive"),
    "initial_amr_display": ("lineqr",),
    "switch_amr": ("true", "false"),
    "disable_auto_login": ("true", "false"),
    "disable_ios_auto_login": ("true", "false"),
    "response_mode": ("query", "form_post", *sorted(JWT_MODES)),
    "code_challenge_method": ("S256",),
}


def _v21_request_error(args: Mapping[str, str]) -> tuple[str, str] | None:
    for name, allowed in ENUMERATED.items():
        if name in args and args[name] not in allowed:
            return ("INVALID_REQUEST", f"{name} must be one of {', '.join(allowed)}")
    if "max_age" in args and not args["max_age"].isdigit():
        return ("INVALID_REQUEST", "max_age must be a number of seconds")
    if args.get("response_type") != "code":
        return ("UNSUPPORTED_RESPONSE_TYPE", "response_type must be code")
    scopes = set(args.get("scope", "").split())
    if not scopes or scopes - LOGIN_SCOPES or not scopes & {"profile", "openid"}:
        return ("INVALID_SCOPE", "profile or openid is required")
    if "email" in scopes and "openid" not in scopes:
        return ("INVALID_SCOPE", "email requires openid")
    if not args.get("state"):
        return ("INVALID_REQUEST", "state is required")
    if args.get("code_challenge") and args.get("code_challenge_method") != "S256":
        return ("INVALID_REQUEST", "code_challenge_method must be S256")
    return None
