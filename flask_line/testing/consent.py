"""The consent screen every authorize endpoint shows, and the codes it issues when the person allows."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Response, abort, redirect, render_template, request

from .data import Grant
from .endpoints import Endpoints, with_query


class ConsentScreen(Endpoints):
    """``/_emulator/consent``: pick an account, Allow or Cancel."""

    routes = (("POST", "/_emulator/consent", "decide"),)

    def clients(self, protocol: str) -> Mapping[str, object]:
        """The clients ``protocol`` accepts."""
        if protocol == "module":
            return self.data.module_channels
        if protocol == "works":
            return self.data.works_clients
        return self.data.channels

    def accounts(self, protocol: str) -> list[tuple[str, str]]:
        """The accounts the screen offers: LINE users, Official Accounts (module attach) or WORKS members."""
        data = self.data
        if protocol == "module":
            return [(bot.bot_id, f"{bot.display_name} ({bot.basic_id})") for bot in data.bots.values()]
        if protocol == "works":
            return [(member.user_id, member.display_name) for member in data.works_members.values()]
        return [(user.user_id, user.display_name) for user in data.users.values()]

    def begin(self, protocol: str, params: dict[str, Any]) -> Any:
        """Show the consent screen for the current authorize request."""
        client_id = request.args.get("client_id", "")
        redirect_uri = request.args.get("redirect_uri", "")
        if client_id not in self.clients(protocol) or not redirect_uri.startswith(("http://", "https://")):
            # LINE shows an error page, never a redirect, for an unknown client or callback.
            abort(400, "400 Bad request with invalid client_id or redirect_uri value.")
        request_id = secrets.token_urlsafe(16)
        with self.data.lock:
            self.data.consents[request_id] = {
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
            accounts=self.accounts(protocol),
            scopes=params.get("scopes", ()),
            protocol=protocol,
        )
        return Response(page, headers={"X-Emulator-Request-Id": request_id})

    def decide(self) -> Any:
        """The person's answer: a code (or a denial) sent back to the app's callback."""
        with self.data.lock:
            pending = self.data.consents.pop(request.form.get("request_id", ""), None)
        if pending is None:
            abort(400, "This consent screen has expired.")
        if request.form.get("decision") != "allow":
            return self._deny(pending)
        accounts = dict(self.accounts(pending["protocol"]))
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
        code = self.data.issue(self.data.codes, grant, self.data.code_ttl)
        params = {"code": code, "state": pending["state"]}
        if pending.get("bot_prompt"):
            params["friendship_status_changed"] = "true" if request.form.get("add_friend") else "false"
        if pending["response_mode"] == "form_post":
            return render_template("form_post.html", action=pending["redirect_uri"], params=params)
        return redirect(with_query(pending["redirect_uri"], params))

    def _deny(self, pending: dict[str, Any]) -> Any:
        if pending["protocol"] == "v2.0":
            error = {
                "error": "access_denied",
                "error_description": "The user has denied the approval",
                "errorCode": "417",
                "errorMessage": "DISALLOWED",
            }
        else:
            error = {"error": "ACCESS_DENIED", "error_description": "The resource owner denied the request."}
        return redirect_error(pending["redirect_uri"], pending["state"], **error)

    def redeem(self, form: Mapping[str, str], protocol: str, client_id: str | None = None) -> Grant | str:
        """The grant of an authorization code, used up; or the reason it is refused (``invalid_grant``)."""
        with self.data.lock:
            grant = self.data.codes.get(form.get("code", ""))
            if grant is None or grant.used or grant.protocol != protocol:
                return "authorization code is invalid or already used"
            grant.used = True  # single use, even when a later check fails
        if grant.expires_at < time.time():
            return "authorization code expired"
        if grant.client_id != (client_id or form.get("client_id")):
            return "code was issued to another client"
        if grant.redirect_uri != form.get("redirect_uri"):
            return "redirect_uri does not match"
        if grant.code_challenge:
            verifier = form.get("code_verifier", "")
            if not verifier or create_s256_code_challenge(verifier) != grant.code_challenge:
                return "code_verifier does not match"
        return grant


def redirect_error(redirect_uri: str, state: str | None, **error: str) -> Any:
    """Send the browser back to the app's callback with an error."""
    return redirect(with_query(redirect_uri, {**error, **({"state": state} if state else {})}))
