"""The emulator's HTTP endpoints, at LINE's own paths, answering in LINE's wire formats."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Response, abort, jsonify, redirect, render_template, request

from .platform import Grant
from .routes_module import register_module_routes
from .routes_works import register_works_routes

if TYPE_CHECKING:
    from .platform import LinePlatform

LOGIN_SCOPES = {"profile", "openid", "email"}


def register_routes(line: LinePlatform) -> None:
    """Add every endpoint to ``line.app``."""
    app = line.app

    def issuer() -> str:
        return request.url_root.rstrip("/")

    def oauth_error(error: str, description: str, status: int = 400) -> tuple[Response, int]:
        return jsonify(error=error, error_description=description), status

    # Authorization (consent screen) ----------------------------------------------------------------------------

    def begin_consent(protocol: str, params: dict[str, Any]) -> Any:
        client_id = request.args.get("client_id", "")
        redirect_uri = request.args.get("redirect_uri", "")
        known = {"module": line.module_channels, "works": line.works_clients}.get(protocol, line.channels)
        if client_id not in known or not redirect_uri.startswith(("http://", "https://")):
            # LINE shows an error page, never a redirect, for an unknown client or callback.
            abort(400, "400 Bad request with invalid client_id or redirect_uri value.")
        request_id = secrets.token_urlsafe(16)
        with line.lock:
            line.consents[request_id] = {
                "protocol": protocol,
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "state": request.args.get("state"),
                "response_mode": request.args.get("response_mode", "query"),
                **params,
            }
        page = render_template(
            "consent.html",
            request_id=request_id,
            accounts=consent_accounts(line, protocol),
            scopes=params.get("scopes", ()),
            protocol=protocol,
        )
        return Response(page, headers={"X-Emulator-Request-Id": request_id})

    def callback_error(redirect_uri: str, state: str | None, **error: str) -> Any:
        return redirect(_with_query(redirect_uri, {**error, **({"state": state} if state else {})}))

    @app.get("/oauth2/v2.1/authorize")
    def authorize_v21() -> Any:
        args = request.args
        if args.get("client_id") in line.channels and args.get("redirect_uri"):
            error = _v21_request_error(args)
            if error:
                return callback_error(
                    args["redirect_uri"], args.get("state"), error=error[0], error_description=error[1]
                )
        scopes = tuple(args.get("scope", "").split())
        return begin_consent(
            "v2.1",
            {
                "scopes": scopes,
                "nonce": args.get("nonce"),
                "code_challenge": args.get("code_challenge"),
                "bot_prompt": args.get("bot_prompt"),
            },
        )

    @app.get("/dialog/oauth/weblogin")
    def authorize_v20() -> Any:
        return begin_consent("v2.0", {"scopes": ("profile",)})

    @app.post("/_emulator/consent")
    def emulator_consent() -> Any:
        with line.lock:
            pending = line.consents.pop(request.form.get("request_id", ""), None)
        if pending is None:
            abort(400, "This consent screen has expired.")
        state = pending["state"]
        if request.form.get("decision") != "allow":
            return _deny(pending)
        accounts: Mapping[str, object] = line.users
        if pending["protocol"] == "module":
            accounts = line.bots
        elif pending["protocol"] == "works":
            accounts = line.works_members
        user_id = request.form.get("user_id") or next(iter(accounts))
        if user_id not in accounts:
            abort(400, "Unknown account.")
        scopes = tuple(pending["scopes"])
        if request.form.get("scope_choice") == "custom":
            scopes = tuple(scope for scope in scopes if scope in request.form.getlist("granted_scope"))
        grant = Grant(
            client_id=pending["client_id"],
            user_id=user_id,
            scopes=scopes,
            expires_at=0,
            redirect_uri=pending["redirect_uri"],
            nonce=pending.get("nonce"),
            code_challenge=pending.get("code_challenge"),
            protocol=pending["protocol"],
            extra=pending.get("extra", {}),
        )
        code = line.issue(line.codes, grant, line.code_ttl)
        params = {"code": code, "state": state}
        if pending.get("bot_prompt"):
            params["friendship_status_changed"] = "true" if request.form.get("add_friend") else "false"
        if pending["response_mode"] == "form_post":
            return render_template("form_post.html", action=pending["redirect_uri"], params=params)
        return redirect(_with_query(pending["redirect_uri"], params))

    def _deny(pending: dict[str, Any]) -> Any:
        if pending["protocol"] == "v2.0":
            error = {
                "error": "access_denied",
                "error_description": "The user has denied the approval",
                "errorCode": "417",
                "errorMessage": "DISALLOWED",
            }
        else:
            error = {"error": "ACCESS_DENIED", "error_description": "The resource owner denied the request."}
        return callback_error(pending["redirect_uri"], pending["state"], **error)

    # Tokens -------------------------------------------------------------------------------------------------------

    def client_ok(form: Any) -> bool:
        channel = line.channels.get(form.get("client_id", ""))
        return channel is not None and secrets.compare_digest(channel.secret, form.get("client_secret", ""))

    def redeem_code(form: Any, protocol: str, client_id: str | None = None) -> Grant | tuple[Response, int]:
        with line.lock:
            grant = line.codes.get(form.get("code", ""))
            if grant is None or grant.used or grant.protocol != protocol:
                return oauth_error("invalid_grant", "authorization code is invalid or already used")
            grant.used = True  # single use, even when a later check fails
        if grant.expires_at < time.time():
            return oauth_error("invalid_grant", "authorization code expired")
        if grant.client_id != (client_id or form.get("client_id")):
            return oauth_error("invalid_grant", "code was issued to another client")
        if grant.redirect_uri != form.get("redirect_uri"):
            return oauth_error("invalid_grant", "redirect_uri does not match")
        if grant.code_challenge:
            verifier = form.get("code_verifier", "")
            if not verifier or create_s256_code_challenge(verifier) != grant.code_challenge:
                return oauth_error("invalid_grant", "code_verifier does not match")
        return grant

    def token_answer(grant: Grant, with_id_token: bool, refresh: bool = True) -> dict[str, Any]:
        access = line.issue(line.access_tokens, _copy(grant), line.token_ttl)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": int(line.token_ttl),
            "scope": " ".join(scope for scope in grant.scopes if scope != "email"),
            "token_type": "Bearer",
        }
        if refresh:
            body["refresh_token"] = line.issue(line.refresh_tokens, _copy(grant), 90 * 24 * 3600)
        if with_id_token:
            fault = request.environ.get("emulator.fault")
            body["id_token"] = line.signed_id_token(issuer(), grant, access, fault)
        return body

    def refresh_answer(form: Any) -> Any:
        with line.lock:
            grant = line.refresh_tokens.get(form.get("refresh_token", ""))
        if grant is None or grant.expires_at < time.time() or grant.client_id != form.get("client_id"):
            return oauth_error("invalid_grant", "invalid refresh token")
        body = token_answer(grant, with_id_token=False, refresh=False)
        body["refresh_token"] = form["refresh_token"]  # LINE returns the same refresh token
        return jsonify(body)

    @app.post("/oauth2/v2.1/token")
    def token_v21() -> Any:
        form = request.form
        if not client_ok(form):
            return oauth_error("invalid_client", "invalid client_id or client_secret")
        if form.get("grant_type") == "refresh_token":
            return refresh_answer(form)
        if form.get("grant_type") != "authorization_code":
            return oauth_error("unsupported_grant_type", "unsupported grant_type")
        grant = redeem_code(form, "v2.1")
        if not isinstance(grant, Grant):
            return grant
        return jsonify(token_answer(grant, with_id_token="openid" in grant.scopes))

    @app.post("/v2/oauth/accessToken")
    def token_v20() -> Any:
        form = request.form
        if not client_ok(form):
            return oauth_error("invalid_client", "invalid client_id or client_secret")
        if form.get("grant_type") == "refresh_token":
            return refresh_answer(form)
        grant = redeem_code(form, "v2.0")
        if not isinstance(grant, Grant):
            return grant
        body = token_answer(grant, with_id_token=False)
        body["scope"] = "P"  # v2.0 reports the profile permission as "P"
        return jsonify(body)

    # Token checks and revocation ---------------------------------------------------------------------------------

    def bearer_grant() -> Grant | None:
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        with line.lock:
            grant = line.access_tokens.get(token)
        return grant if grant is not None and grant.expires_at > time.time() else None

    @app.route("/oauth2/v2.1/verify", methods=["GET", "POST"])
    def verify_v21() -> Any:
        token = request.values.get("access_token", "")
        with line.lock:
            grant = line.access_tokens.get(token)
        if grant is None or grant.expires_at < time.time():
            return oauth_error("invalid_request", "access token expired")
        return jsonify(
            scope=" ".join(grant.scopes),
            client_id=grant.client_id,
            expires_in=int(grant.expires_at - time.time()),
        )

    @app.post("/v2/oauth/verify")
    def verify_v20() -> Any:
        return verify_v21()

    @app.post("/oauth2/v2.1/revoke")
    def revoke_v21() -> Any:
        with line.lock:
            line.access_tokens.pop(request.form.get("access_token", ""), None)
        return Response(status=200)

    @app.post("/v2/oauth/revoke")
    def revoke_v20() -> Any:
        with line.lock:
            grant = line.refresh_tokens.pop(request.form.get("refresh_token", ""), None)
            if grant is not None:
                for token, issued in list(line.access_tokens.items()):
                    if issued.user_id == grant.user_id and issued.client_id == grant.client_id:
                        del line.access_tokens[token]
        return Response(status=200)

    # User data ---------------------------------------------------------------------------------------------------

    @app.get("/v2/profile")
    def profile() -> Any:
        grant = bearer_grant()
        if grant is None:
            return jsonify(message="Authentication failed"), 401
        user = line.users[grant.user_id]
        body = {"userId": user.user_id, "displayName": user.display_name}
        if user.picture_url:
            body["pictureUrl"] = user.picture_url
        if user.status_message:
            body["statusMessage"] = user.status_message
        return jsonify(body)

    @app.get("/friendship/v1/status")
    def friendship() -> Any:
        grant = bearer_grant()
        if grant is None:
            return jsonify(message="Authentication failed"), 401
        return jsonify(friendFlag=line.users[grant.user_id].friend)

    @app.get("/oauth2/v2.1/certs")
    def certs() -> Any:
        return jsonify(line.jwks())

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
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

    @app.get("/")
    def home() -> Any:
        return render_template("home.html", line=line)

    register_module_routes(line, begin_consent, redeem_code, oauth_error)
    register_works_routes(line, begin_consent, redeem_code, oauth_error)


def consent_accounts(line: LinePlatform, protocol: str) -> list[tuple[str, str]]:
    """The accounts a consent screen offers: LINE users, Official Accounts (module attach) or WORKS members."""
    if protocol == "module":
        return [(bot.bot_id, f"{bot.display_name} ({bot.basic_id})") for bot in line.bots.values()]
    if protocol == "works":
        return [(member.user_id, member.display_name) for member in line.works_members.values()]
    return [(user.user_id, user.display_name) for user in line.users.values()]


def _v21_request_error(args: Any) -> tuple[str, str] | None:
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


def _with_query(url: str, params: dict[str, Any]) -> str:
    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


def _copy(grant: Grant) -> Grant:
    return Grant(**{**grant.__dict__, "used": False})
