"""The emulator's module channel endpoints: attach, channel access tokens, detach, and the Messaging API."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import jsonify, request

from ..module.scopes import required_scope
from .platform import Grant

if TYPE_CHECKING:
    from .platform import LinePlatform

MODULE_TOKEN_TTL = 900  # stateless channel access tokens live 15 minutes


def register_module_routes(
    line: LinePlatform,
    begin_consent: Callable[[str, dict[str, Any]], Any],
    redeem_code: Callable[..., Any],
    oauth_error: Callable[..., Any],
) -> None:
    """Add the module endpoints to ``line.app``."""
    app = line.app

    def module_client() -> str | None:
        """The module channel authenticated by HTTP Basic or by client_id/client_secret in the body."""
        auth = request.authorization
        client_id = auth.username if auth else request.form.get("client_id", "")
        secret = auth.password if auth else request.form.get("client_secret", "")
        known = line.module_channels.get(client_id or "")
        return client_id if known is not None and secrets.compare_digest(known, secret or "") else None

    def channel_of_bearer() -> str | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ")
        with line.lock:
            issued = line.channel_tokens.get(token)
        return issued[0] if issued and issued[1] > time.time() else None

    @app.get("/module/auth/v1/authorize")
    def module_authorize() -> Any:
        return begin_consent(
            "module",
            {
                "scopes": tuple(request.args.get("scope", "").split()),
                "code_challenge": request.args.get("code_challenge"),
                "extra": {
                    key: request.args[key] for key in ("region", "basic_search_id", "brand_type") if key in request.args
                },
            },
        )

    @app.post("/module/auth/v1/token")
    def module_token() -> Any:
        client_id = module_client()
        if client_id is None:
            return oauth_error("invalid_client", "invalid client", 401)
        grant = redeem_code(request.form, "module", client_id)
        if not isinstance(grant, Grant):
            return grant
        for key, value in grant.extra.items():
            if request.form.get(key) != value:
                return oauth_error("invalid_request", f"{key} differs from the authorization request")
        with line.lock:
            line.attachments[(client_id, grant.user_id)] = frozenset(grant.scopes)
        return jsonify(bot_id=grant.user_id, scopes=list(grant.scopes))

    @app.post("/oauth2/v3/token")
    def channel_token_v3() -> Any:
        client_id = module_client()
        if client_id is None or request.form.get("grant_type") != "client_credentials":
            return oauth_error("invalid_client", "invalid client_id or client_secret")
        token = secrets.token_urlsafe(24)
        with line.lock:
            line.channel_tokens[token] = (client_id, time.time() + MODULE_TOKEN_TTL)
        return jsonify(token_type="Bearer", access_token=token, expires_in=MODULE_TOKEN_TTL)

    @app.post("/v2/bot/channel/detach")
    def detach() -> Any:
        channel = channel_of_bearer()
        if channel is None:
            return jsonify(message="Authentication failed"), 401
        bot_id = str((request.get_json(silent=True) or {}).get("botId"))
        with line.lock:
            if line.attachments.pop((channel, bot_id), None) is None:
                return jsonify(message="user/group/room Id is not available."), 400
        return jsonify({})

    @app.route("/v2/bot/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
    def messaging_api(rest: str) -> Any:
        channel = channel_of_bearer()
        if channel is None:
            return jsonify(message="Authentication failed. Confirm that the access token is valid."), 401
        bot_id = request.headers.get("X-Line-Bot-Id", "")
        granted = line.attachments.get((channel, bot_id))
        if granted is None:
            return jsonify(message="The module is not attached to this bot."), 403
        path = f"/v2/bot/{rest}"
        scope = required_scope(path)
        if scope is not None and scope not in granted:
            return jsonify(message=f"This call needs the {scope} scope."), 403
        body = request.get_json(silent=True)
        with line.lock:
            line.messages.append((bot_id, path, body))
        if path == "/v2/bot/message/push":
            return jsonify(sentMessages=[{"id": secrets.token_hex(8)} for _ in (body or {}).get("messages", [])])
        return jsonify({})
