"""The emulated LINE Login endpoints (v2.1 and v2.0), at LINE's own paths, in LINE's wire formats."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from flask import Response, jsonify, request

from .accounts import DEVELOPING_REFUSAL
from .consent import JWT_MODES, ConsentScreen
from .data import Grant, PlatformData
from .endpoints import LOGIN_ISSUER, Endpoints, base_url, bearer_token, oauth_error, picture_url
from .faults import Fault

#: LINE Login v2.1's scopes (LINE's "Integrating LINE Login with your web app").
LOGIN_SCOPES = frozenset({"profile", "openid", "email"})


class LoginEndpoints(Endpoints):
    """LINE Login: authorize, token, verify, revoke, profile, friendship, keys and discovery."""

    routes = (
        ("GET", "/oauth2/v2.1/authorize", "authorize_v21"),
        ("GET", "/dialog/oauth/weblogin", "authorize_v20"),
        ("POST", "/oauth2/v2.1/token", "token_v21"),
        ("POST", "/v2/oauth/accessToken", "token_v20"),
        ("GET", "/oauth2/v2.1/verify", "verify_v21"),
        ("POST", "/oauth2/v2.1/verify", "verify_id_token"),
        ("POST", "/v2/oauth/verify", "verify_v20"),
        ("GET", "/oauth2/v2.1/userinfo", "userinfo"),
        ("POST", "/oauth2/v2.1/userinfo", "userinfo"),
        ("POST", "/user/v1/deauthorize", "deauthorize"),
        ("POST", "/oauth2/v2.1/revoke", "revoke_v21"),
        ("POST", "/v2/oauth/revoke", "revoke_v20"),
        ("GET", "/v2/profile", "profile"),
        ("GET", "/friendship/v1/status", "friendship"),
        ("GET", "/oauth2/v2.1/certs", "certs"),
        ("GET", "/.well-known/openid-configuration", "discovery"),
        ("POST", "/_emulator/liff/token", "liff_token"),
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
        if _allows_auto_login(args) and self.data.take_auto_login_failure():
            # LINE's "How to handle auto login failure": an unusable code, and a state the app never issued.
            failed = {**pending, "state": secrets.token_hex(16)}
            return self.consent.respond(failed, {"code": secrets.token_urlsafe(24)})
        if args.get("prompt") == "none":
            return self.consent.silently(pending)
        return self.consent.begin("v2.1", params)

    def authorize_v20(self) -> Any:
        params = {"scopes": ("profile",)}
        pending = self.consent.authorization("v2.0", params)
        args = request.args
        if args.get("response_type") != "code" or not args.get("state"):
            # v2.0's own error shape: errorCode and errorMessage beside RFC 6749's error.
            missing = "response_type must be code" if args.get("response_type") != "code" else "state is required"
            error = {"error": "invalid_request", "error_description": missing, "errorCode": "400"}
            return self.consent.respond(pending, {**error, "errorMessage": "INVALID_REQUEST"})
        return self.consent.begin("v2.0", params)

    # Tokens -------------------------------------------------------------------------------------------------------

    def token_v21(self) -> Any:
        return self._token("v2.1")

    def token_v20(self) -> Any:
        return self._token("v2.0")

    def _token(self, protocol: str) -> Any:
        """The token endpoint of one LINE Login version: authorization code or refresh token."""
        form = request.form
        if protocol == "v2.0" and form.get("grant_type") == "client_credentials":
            return self._short_lived_channel_token(form)
        if not self._client_ok(form):
            return oauth_error("invalid_client", "invalid client_id or client_secret")
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form, protocol)
        if form.get("grant_type") != "authorization_code":
            return oauth_error("unsupported_grant_type", "unsupported grant_type")
        grant = self.consent.redeem(form, protocol)
        if not isinstance(grant, Grant):
            return oauth_error("invalid_grant", grant)
        body = self._token_answer(grant, with_id_token=protocol == "v2.1" and "openid" in grant.scopes)
        if protocol == "v2.0":
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
            "scope": _listed_scopes(grant.scopes),
            "token_type": "Bearer",
        }
        if refresh:
            body["refresh_token"] = data.issue(data.refresh_tokens, grant.copy(), 90 * 24 * 3600)
        if with_id_token:
            body["id_token"] = self.id_token(grant, request.environ.get("emulator.fault"))
        return body

    def _short_lived_channel_token(self, form: Mapping[str, str]) -> Any:
        """Reference 3.4: a short-lived channel access token (30 days) for a module channel; at most 30 are valid
        per channel, the oldest revoked beyond that. (Module channels get no long-lived tokens.)"""
        data = self.data
        client_id = form.get("client_id", "")
        secret = data.module_channels.get(client_id)
        if secret is None:
            return oauth_error("invalid_client", "invalid client_id")
        if not secrets.compare_digest(secret, form.get("client_secret", "")):
            return oauth_error("invalid_client", "invalid client_secret")
        token = secrets.token_urlsafe(32)
        with data.lock:
            data.channel_tokens[token] = (client_id, time.time() + SHORT_LIVED_SECONDS)
            issued = [key for key, (owner, _) in data.channel_tokens.items() if owner == client_id]
            for oldest in issued[: max(0, len(issued) - SHORT_LIVED_PER_CHANNEL)]:
                del data.channel_tokens[oldest]
        return jsonify(access_token=token, expires_in=SHORT_LIVED_SECONDS, token_type="Bearer")

    def _refresh(self, form: Mapping[str, str], protocol: str) -> Any:
        with self.data.lock:
            grant = self.data.refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None or grant.expires_at < time.time() or grant.client_id != form.get("client_id"):
            # v2.0 reference: {"error":"invalid_grant","error_description":"invalid refresh_token"}
            return oauth_error(
                "invalid_grant", "invalid refresh_token" if protocol == "v2.0" else "invalid refresh token"
            )
        body = self._token_answer(grant, with_id_token=False, refresh=False)
        body["refresh_token"] = form["refresh_token"]  # LINE returns the same refresh token
        if protocol == "v2.0":
            body["scope"] = "P"  # v2.0 reports the profile permission as "P", on refresh too
        return jsonify(body)

    def claims(self, grant: Grant, amr: str) -> dict[str, Any]:
        """The claims LINE puts in an ID token for ``grant`` (the payload LINE's web-app integration page lists)."""
        user = self.data.users[grant.user_id]
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": LOGIN_ISSUER,
            "sub": self.data.user_id_at(grant.client_id, user.user_id),  # one id per provider
            "aud": grant.client_id,
            "exp": now + 3600,
            "iat": now,
            "amr": [amr],
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        if "profile" in grant.scopes:
            claims["name"] = user.display_name
            if user.has_picture:
                claims["picture"] = self.picture_url(user)
        channel = self.data.channels[grant.client_id]
        if "email" in grant.scopes and user.email and channel.email_permission:
            claims["email"] = user.email  # only for a channel whose email permission was applied (Console)
        if (
            "auth_time" in grant.extra
        ):  # only when the login sent max_age (LINE's "Integrating LINE Login with your web app")
            claims["auth_time"] = grant.extra["auth_time"]
        return claims

    def id_token(self, grant: Grant, fault: Fault | None) -> str:
        """An ID token as LINE signs it, altered by ``fault`` when a test asked for a forged one."""
        channel = self.data.channels[grant.client_id]
        claims = self.claims(grant, "pwd")
        changes = (fault.id_token if fault else None) or {}
        claims.update(changes.get("claims", {}))
        header, key = self.data.keys.header_and_key(channel.id_token_alg, channel.secret)
        header.update(changes.get("header", {}))
        return self.data.keys.sign(header, claims, key, changes.get("key"))

    # Token checks and revocation ---------------------------------------------------------------------------------

    def verify_v21(self) -> Any:
        """Reference §1.6: LINE's three descriptions for a token it will not vouch for."""
        token = request.values.get("access_token", "")
        with self.data.lock:
            grant = self.data.access_tokens.get(token)
            channel_token = self.data.channel_tokens.get(token)
        if channel_token is not None and channel_token[1] > time.time():
            # Channel access tokens are verified here too (channel access token reference): no scope.
            return jsonify(client_id=channel_token[0], expires_in=int(channel_token[1] - time.time()))
        if token in self.data.revoked_tokens:
            return oauth_error("invalid_request", "The access token revoked")
        if grant is None:
            return oauth_error("invalid_request", "The access token not JWS")
        if grant.expires_at <= time.time():
            return oauth_error("invalid_request", "The access token expired")
        return jsonify(
            scope=_listed_scopes(grant.scopes),
            client_id=grant.client_id,
            expires_in=int(grant.expires_at - time.time()),
        )

    def verify_v20(self) -> Any:
        """v2.0's verify (reference 2, and the channel access token reference: it also checks short-lived channel
        access tokens): ``scope``, ``client_id``, ``expires_in``; v2.0's own error for anything else."""
        token = request.values.get("access_token", "")
        now = time.time()
        with self.data.lock:
            channel_token = self.data.channel_tokens.get(token)
            grant = self.data.access_tokens.get(token)
        if channel_token is not None and channel_token[1] > now:
            return jsonify(client_id=channel_token[0], expires_in=int(channel_token[1] - now))
        if grant is None or grant.expires_at <= now or token in self.data.revoked_tokens:
            return oauth_error("invalid_request", "access_token invalid")
        scope = "P" if grant.protocol == "v2.0" else _listed_scopes(grant.scopes)  # as its token answer said
        return jsonify(scope=scope, client_id=grant.client_id, expires_in=int(grant.expires_at - now))

    def revoke_v21(self) -> Any:
        # Reference §1.10: client_id is required; client_secret too for web-app channels (the emulator's).
        if not self._client_ok(request.form):
            return oauth_error("invalid_client", "client_id and client_secret are required")
        with self.data.lock:
            token = request.form.get("access_token", "")
            if self.data.access_tokens.pop(token, None) is not None:
                self.data.revoked_tokens.add(token)
        return Response(status=200)

    def revoke_v20(self) -> Any:
        """v2.0's revoke takes the refresh token (reference 2); the same path revokes a short-lived channel
        access token sent as ``access_token`` (channel access token reference), which stops working at once."""
        data = self.data
        with data.lock:
            data.channel_tokens.pop(request.form.get("access_token", ""), None)
            grant = data.refresh_tokens.pop(request.form.get("refresh_token", ""), None)
            if grant is not None:
                for token, issued in list(data.access_tokens.items()):
                    if issued.user_id == grant.user_id and issued.client_id == grant.client_id:
                        del data.access_tokens[token]
        return Response(status=200)

    # User data ---------------------------------------------------------------------------------------------------

    def _user_grant(self, scope: str) -> Grant | tuple[Any, int]:
        grant = self.data.live_access_token(bearer_token())
        if grant is None or grant.protocol not in ("v2.1", "v2.0"):
            return jsonify(message="Authentication failed"), 401
        if scope not in grant.scopes:
            return jsonify(message=f"The access token does not have the {scope} scope."), 403
        return grant

    def profile(self) -> Any:
        grant = self._user_grant("profile")
        if not isinstance(grant, Grant):
            return grant
        user = self.data.users[grant.user_id]
        body = {"userId": self.data.user_id_at(grant.client_id, user.user_id), "displayName": user.display_name}
        if user.has_picture:  # reference 1.12: omitted when the user has none
            body["pictureUrl"] = self.picture_url(user)
        if user.status_message:
            body["statusMessage"] = user.status_message
        return jsonify(body)

    def friendship(self) -> Any:
        grant = self._user_grant("profile")
        if not isinstance(grant, Grant):
            return grant
        # A friend of an Official Account linked to the channel (added at a consent screen or in the chat).
        channel = self.data.channels.get(grant.client_id)
        linked_bot = channel.linked_bot if channel is not None else None
        # The linked Messaging API channel shares the login channel's provider, so it knows the user by that id.
        user_id = self.data.user_id_at(grant.client_id, grant.user_id)
        through_messaging = self.data.messaging.is_friend_through_login(grant.client_id, user_id)
        return jsonify(friendFlag=self.data.is_friend(grant.user_id, linked_bot) or bool(through_messaging))

    def userinfo(self) -> Any:
        """Reference §1.13: needs ``openid``; ``sub``, and ``name``/``picture`` with ``profile``."""
        grant = self._user_grant("openid")
        if not isinstance(grant, Grant):
            return grant
        user = self.data.users[grant.user_id]
        body: dict[str, Any] = {"sub": self.data.user_id_at(grant.client_id, user.user_id)}
        if "profile" in grant.scopes:
            body["name"] = user.display_name
            if user.has_picture:
                body["picture"] = self.picture_url(user)
        return jsonify(body)

    def verify_id_token(self) -> Any:
        """Reference §1.7: verify an ID token as LINE does, with its error descriptions."""
        form = request.form
        if "id_token" not in form:
            return self.verify_v21()  # the access-token verification also answers POST
        channel = self.data.channels.get(form.get("client_id", ""))
        if channel is None:
            return oauth_error("invalid_request", "Invalid client_id.")
        try:
            claims = self.data.keys.verify(form["id_token"], channel.secret)
        except ValueError:
            return oauth_error("invalid_request", "Invalid IdToken.")
        checks = (
            (claims.get("iss") == LOGIN_ISSUER, "Invalid IdToken Issuer."),
            (isinstance(claims.get("exp"), int) and claims["exp"] > time.time(), "IdToken expired."),
            (claims.get("aud") == channel.channel_id, "Invalid IdToken Audience."),
            ("nonce" not in form or claims.get("nonce") == form["nonce"], "Invalid IdToken Nonce."),
            ("user_id" not in form or claims.get("sub") == form["user_id"], "Invalid IdToken Subject Identifier."),
        )
        for passed, description in checks:
            if not passed:
                return oauth_error("invalid_request", description)
        return jsonify(claims)

    def deauthorize(self) -> Any:
        """Reference §1.11: a LINE Login channel's access token removes the user's consent and tokens."""
        data = self.data
        with data.lock:
            issued = data.channel_tokens.get(bearer_token())
        if issued is None or issued[1] < time.time() or issued[0] not in data.channels:
            return jsonify(message="Authentication failed"), 401
        user_token = (request.get_json(silent=True) or {}).get("userAccessToken", "")
        grant = data.live_access_token(str(user_token))
        if grant is None or grant.client_id != issued[0]:
            return jsonify(message="invalid token"), 400
        with data.lock:
            for store in (data.access_tokens, data.refresh_tokens):
                for token, other in list(store.items()):
                    if other.user_id == grant.user_id and other.client_id == grant.client_id:
                        del store[token]
            for session in data.browser_sessions.values():
                if session["user_id"] == grant.user_id:
                    session["consents"].pop(grant.client_id, None)
        return Response(status=204)

    def picture_url(self, user: Any) -> str:
        """The user's picture: their own (HTTPS) URL, or one the emulator draws and serves, standing in for LINE's
        picture host."""
        return picture_url(user.user_id, user.picture_url)

    def liff_token(self) -> Any:
        """What ``liff.getAccessToken()`` / ``liff.getIDToken()`` (or a native SDK) would hold, with no redirect.

        Form or JSON: ``user`` (id or name; default the first user), ``channel_id`` (default the demo channel),
        ``scope`` (default ``profile openid``), ``nonce``. The ID token is ES256, as LIFF's are.
        """
        given = request.get_json(silent=True) if request.is_json else request.form
        values: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
        channel_id = str(values.get("channel_id") or next(iter(self.data.channels)))
        if channel_id not in self.data.channels:
            return oauth_error("invalid_request", "unknown channel_id")
        wanted = str(values.get("user") or "")
        user = next(
            (user for user in self.data.users.values() if wanted in ("", user.user_id, user.display_name)), None
        )
        if user is None:
            return oauth_error("invalid_request", "unknown user")
        if not self.data.channels[channel_id].admits(user.user_id):
            return oauth_error("invalid_request", DEVELOPING_REFUSAL)
        scopes = tuple(str(values.get("scope") or "profile openid").split())
        grant = Grant(channel_id, user.user_id, scopes, 0, nonce=values.get("nonce") or None)
        access = self.data.issue(self.data.access_tokens, grant.copy(), self.data.token_ttl)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": int(self.data.token_ttl),
            "scope": _listed_scopes(scopes),
        }
        if "openid" in scopes:
            body["id_token"] = self._es256_id_token(grant)
        response = jsonify(body)
        response.headers["Access-Control-Allow-Origin"] = "*"  # the LIFF SDK runs in the app's page
        return response

    def _es256_id_token(self, grant: Grant) -> str:
        """The ID token a LIFF app or native SDK holds: ES256 with the published keys."""
        header, key = self.data.keys.header_and_key("ES256", "")
        return self.data.keys.sign(header, self.claims(grant, "linesso"), key)

    def certs(self) -> Any:
        return jsonify(self.data.keys.jwks())

    def discovery(self) -> Any:
        base = base_url()
        return jsonify(
            issuer=LOGIN_ISSUER,
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


#: Short-lived channel access tokens: 30 days, at most 30 valid per channel (reference 3.4).
SHORT_LIVED_SECONDS = 2_592_000
SHORT_LIVED_PER_CHANNEL = 30


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


def _allows_auto_login(args: Mapping[str, str]) -> bool:
    """Whether LINE would try auto login: not turned off (``disable_auto_login``), not a forced screen
    (``prompt=login`` disables auto login, seed 004)."""
    return args.get("disable_auto_login") != "true" and args.get("prompt") != "login"


def _listed_scopes(scopes: tuple[str, ...]) -> str:
    """The ``scope`` LINE lists for an access token: never ``email`` (seed 004's token answer), in the token answer
    and in ``verify`` alike; only the ID token's ``email`` claim says the email was granted."""
    return " ".join(scope for scope in scopes if scope != "email")
