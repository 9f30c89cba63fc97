"""The consent screen every authorize endpoint shows, the emulator's own sign-in session, and the answer.

Allowing on the screen signs the browser in to the emulator (a cookie), as LINE keeps its users signed in:
a later ``prompt=none`` request is then answered without a screen, or with ``LOGIN_REQUIRED`` /
``INTERACTION_REQUIRED`` when it cannot be.
"""

from __future__ import annotations

import html
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Response, abort, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from .accounts import DEVELOPING_REFUSAL
from .data import Grant, PlatformData
from .endpoints import LOGIN_ISSUER, PICTURE_SIZES, Endpoints, with_fragment, with_query
from .language import N_, render_screen, screen_language

#: The emulator's sign-in cookie (on the emulator's host, never the app's).
SESSION_COOKIE = "line_emulator_session"
JWT_MODES = frozenset({"query.jwt", "form_post.jwt", "jwt"})
#: What the attach screen says each module scope allows (LINE's "Attach module channel"'s table, in a few words).
SCOPE_DESCRIPTIONS = {
    "message:send": N_("Send messages to your friends (push, reply, multicast, broadcast, narrowcast)"),
    "message:receive": N_("Receive messages and events, and take control of chats"),
    "account:manage": N_("Manage the default rich menu and read statistics"),
    "message:mark_as_read": N_("Mark users' messages as read"),
    "message:templated_pnp": N_("Send LINE notification messages"),
    "profile:read": N_("Read the profiles of friends and group members"),
    "coupon:manage": N_("Create and manage coupons"),
    "crm:manage": N_("Chat Plugin"),
}
#: The name each product's screen carries.
PRODUCTS = {
    "v2.1": N_("LINE Login"),
    "v2.0": N_("LINE Login"),
    "module": N_("LINE Official Account Manager"),
    "works": N_("LINE WORKS"),
}

#: What an implicit request's consent answers instead of a code: ``(pending request, account id, granted scopes)``
#: to the parameters sent back (``id_token``, and ``access_token`` with its type and lifetime).
ImplicitAnswer = Callable[[Mapping[str, Any], str, tuple[str, ...]], dict[str, str]]


class ConsentScreen(Endpoints):
    """``/_emulator/consent``: pick an account, Allow or Cancel."""

    routes = (
        ("POST", "/_emulator/consent", "decide"),
        ("GET", "/_emulator/picture/<user_id>", "picture"),
        ("GET", "/_emulator/picture/<user_id>/<size>", "picture"),
    )

    def __init__(self, data: PlatformData) -> None:
        super().__init__(data)
        #: By protocol, how a product answers a request whose ``response_type`` is not ``code`` (LINE WORKS' OIDC
        #: implicit flow); a product that has none answers every request with a code.
        self.implicit_answers: dict[str, ImplicitAnswer] = {}

    def picture(self, user_id: str, size: str = "") -> Response:
        """A generated profile picture (LINE serves real ones from its CDN), in LINE's sizes."""
        if size not in PICTURE_SIZES:
            abort(404)
        pixels = PICTURE_SIZES[size]
        account = self.data.users.get(user_id) or self.data.works_members.get(user_id) or self.data.bots.get(user_id)
        initial = (account.display_name[:1] if account else "?").upper()
        hue = sum(map(ord, user_id)) % 360
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" viewBox="0 0 200 200">'
            f'<rect width="200" height="200" fill="hsl({hue},55%,55%)"/>'
            '<text x="100" y="128" font-size="96" text-anchor="middle" fill="#fff" font-family="sans-serif">'
            f"{html.escape(initial)}</text></svg>"
        )
        return Response(svg, mimetype="image/svg+xml")

    def clients(self, protocol: str) -> Mapping[str, object]:
        """The clients ``protocol`` accepts."""
        if protocol == "module":
            return self.data.module_channels
        if protocol == "works":
            return self.data.works_clients
        return self.data.channels

    def accounts(self, protocol: str, pending: Mapping[str, Any] | None = None) -> list[tuple[str, str]]:
        """The accounts the screen offers: LINE users, Official Accounts (module attach) or WORKS members.

        An attach offers only the Official Accounts its ``region``, ``basic_search_id`` and ``brand_type`` allow.
        """
        data = self.data
        if protocol == "module":
            wanted = (pending or {}).get("extra", {})
            brand_types = set(wanted.get("brand_type", "").split())
            return [
                (bot.bot_id, f"{bot.display_name} ({bot.basic_id})")
                for bot in data.bots.values()
                if wanted.get("region") in (None, bot.region)
                and wanted.get("basic_search_id") in (None, bot.basic_id)
                and (not brand_types or bot.brand_type in brand_types)
            ]
        if protocol == "works":  # a company's app offers that company's members only
            client_id = str((pending or {}).get("client_id", ""))
            return [(member.user_id, member.display_name) for member in data.works_members_of(client_id)]
        return [(user.user_id, user.display_name) for user in data.users.values()]

    def authorization(self, protocol: str, params: dict[str, Any]) -> dict[str, Any]:
        """The current authorize request as the emulator keeps it (400 for an unknown client or callback)."""
        client_id = request.args.get("client_id", "")
        redirect_uri = request.args.get("redirect_uri", "")
        if client_id not in self.clients(protocol):
            # LINE shows an error page, never a redirect, for an unknown client or callback.
            error_page(400, "400 Bad request with invalid client_id value.")
        refusal = self._callback_refusal(protocol, client_id, redirect_uri)
        if refusal:
            error_page(400, f"400 Bad request with invalid redirect_uri value. {refusal}")
        return {
            "protocol": protocol,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": request.args.get("state"),
            "response_mode": request.args.get("response_mode", "query"),
            **params,
        }

    def _callback_refusal(self, protocol: str, client_id: str, redirect_uri: str) -> str | None:
        """Why LINE would refuse ``redirect_uri`` for ``client_id`` (None: it is registered)."""
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return "It is not an absolute URL."
        if protocol == "works" and parts.scheme != "https" and parts.hostname not in ("localhost", "127.0.0.1"):
            return "LINE WORKS redirect URLs must be HTTPS."
        without_query = urlunsplit(parts._replace(query="", fragment=""))
        if without_query not in self.data.callback_urls.get(client_id, set()):
            return f"{without_query} is not registered for {client_id}: {self.data.registration_hint}."
        return None

    def begin(self, protocol: str, params: dict[str, Any]) -> Any:
        """Show the consent screen for the current authorize request."""
        pending = self.authorization(protocol, params)
        request_id = secrets.token_urlsafe(16)
        with self.data.lock:
            self.data.consents[request_id] = pending
        page = render_screen(
            "consent.html",
            screen_language(request.args.get("ui_locales")),
            request_id=request_id,
            accounts=self.accounts(protocol, pending),
            scopes=params.get("scopes", ()),
            protocol=protocol,
            add_friend_option=self._offers_friendship(pending),
            product=PRODUCTS[protocol],
            scope_descriptions=SCOPE_DESCRIPTIONS,
        )
        return Response(page, headers={"X-Emulator-Request-Id": request_id})

    def silently(self, pending: dict[str, Any]) -> Any:
        """Answer a ``prompt=none`` request: a code when the browser's session has consented, else an error."""
        session = self.data.browser_sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if session is None:
            return self.respond(pending, {"error": "LOGIN_REQUIRED", "error_description": "user is not logged in"})
        consented = session["consents"].get(pending["client_id"], set())
        if not set(pending["scopes"]) <= consented:
            error = {"error": "INTERACTION_REQUIRED", "error_description": "consent is required"}
            return self.respond(pending, error)
        self._refuse_without_role(pending, session["user_id"])
        return self.respond(pending, self._code(pending, session["user_id"], tuple(pending["scopes"]), session))

    def decide(self) -> Any:
        """The person's answer: a code (or a denial) sent back to the app's callback."""
        with self.data.lock:
            pending = self.data.consents.pop(request.form.get("request_id", ""), None)
        if pending is None:
            error_page(
                400,
                N_("This screen was already answered, or has expired. Go back to the site and start again."),
                title=N_("This page has expired"),
            )
        if request.form.get("decision") != "allow":
            self._record(pending, request.form.get("user_id", ""), "cancelled", ())
            return self.respond(pending, self._denial(pending))
        accounts = dict(self.accounts(pending["protocol"], pending))
        user_id = request.form.get("user_id") or next(iter(accounts), "")
        if user_id not in accounts:
            error_page(400, N_("That account cannot be chosen here."), title=N_("Unknown account"))
        self._refuse_without_role(pending, user_id)
        scopes = tuple(pending["scopes"])
        if request.form.get("scope_choice") == "custom":
            scopes = tuple(scope for scope in scopes if scope in request.form.getlist("granted_scope"))
        self._record(pending, user_id, "allowed", scopes)
        session_id, session = self._sign_in(user_id, pending["client_id"], scopes)
        implicit = self.implicit_answers.get(pending["protocol"])
        if pending.get("response_type", "code") != "code" and implicit is not None:
            params = implicit(pending, user_id, scopes)
        else:
            params = self._code(pending, user_id, scopes, session)
        linked_bot = self._linked_bot(pending)
        provider_id = self.data.user_id_at(pending["client_id"], user_id)  # as the linked account knows the user
        messaging_friend = self.data.messaging.is_friend_through_login(pending["client_id"], provider_id)
        if self._offers_friendship(pending):
            # LINE's "Add friend option": true only when the friendship changed (a friend already stays false).
            asked = bool(request.form.get("add_friend"))
            added = asked and linked_bot is not None and self.data.add_friend(user_id, linked_bot)
            if asked and messaging_friend is False:
                self.data.messaging.befriend_through_login(pending["client_id"], provider_id)
                added = True
            params["friendship_status_changed"] = "true" if added else "false"
        response = self.respond(pending, params)
        if pending["protocol"] == "v2.1":
            response.set_cookie(SESSION_COOKIE, session_id, httponly=True, samesite="Lax")
        return response

    def _refuse_without_role(self, pending: dict[str, Any], user_id: str) -> None:
        """Stop with LINE's own page when ``user_id`` has no role on a LINE Login channel in "Developing" status:
        LINE shows it after the person logs in and never calls the app back."""
        if pending["protocol"] not in ("v2.1", "v2.0"):
            return
        channel = self.data.channels.get(pending["client_id"])
        if channel is not None and not channel.admits(user_id):
            self._record(pending, user_id, "refused", ())
            error_page(400, DEVELOPING_REFUSAL)

    def _linked_bot(self, pending: dict[str, Any]) -> str | None:
        """The Official Account a ``bot_prompt`` request offers to add: the channel's linked one, if any."""
        if pending["protocol"] != "v2.1" or not pending.get("bot_prompt"):
            return None
        channel = self.data.channels.get(pending["client_id"])
        return channel.linked_bot if channel is not None else None

    def _offers_friendship(self, pending: dict[str, Any]) -> bool:
        """Whether the screen offers "add friend": a ``bot_prompt`` request at a channel with a linked Official
        Account (a module-attached one, or a Messaging API channel's)."""
        if pending["protocol"] != "v2.1" or not pending.get("bot_prompt"):
            return False
        messaging_linked = self.data.messaging.is_friend_through_login(pending["client_id"], "") is not None
        return self._linked_bot(pending) is not None or messaging_linked

    def _record(self, pending: dict[str, Any], account: str, decision: str, scopes: tuple[str, ...]) -> None:
        """Keep the answer for the console (the newest 100)."""
        entry = (time.time(), PRODUCTS[pending["protocol"]], pending["client_id"], account, decision, scopes)
        with self.data.lock:
            self.data.authorizations = [*self.data.authorizations[-99:], entry]

    def _sign_in(self, user_id: str, client_id: str, scopes: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        """The browser's emulator session, now signed in as ``user_id`` and consenting to ``scopes``."""
        session_id = request.cookies.get(SESSION_COOKIE, "")
        with self.data.lock:
            session = self.data.browser_sessions.get(session_id)
            if session is None or session["user_id"] != user_id:
                session_id = secrets.token_urlsafe(16)
                session = {"user_id": user_id, "auth_time": int(time.time()), "consents": {}}
                self.data.browser_sessions[session_id] = session
            session["consents"].setdefault(client_id, set()).update(scopes)
        return session_id, session

    def _code(
        self, pending: dict[str, Any], user_id: str, scopes: tuple[str, ...], session: dict[str, Any]
    ) -> dict[str, str]:
        extra = dict(pending.get("extra", {}))
        if pending.get("max_age") is not None:
            extra["auth_time"] = session["auth_time"]
        grant = Grant(
            client_id=pending["client_id"],
            user_id=user_id,
            scopes=scopes,
            expires_at=0,
            redirect_uri=pending["redirect_uri"],
            nonce=pending.get("nonce"),
            code_challenge=pending.get("code_challenge"),
            protocol=pending["protocol"],
            extra=extra,
        )
        return {"code": self.data.issue(self.data.codes, grant, self.data.code_ttl), "state": pending["state"]}

    def _denial(self, pending: dict[str, Any]) -> dict[str, str]:
        if pending["protocol"] == "v2.0":
            return {
                "error": "access_denied",
                "error_description": "The user has denied the approval",
                "errorCode": "417",
                "errorMessage": "DISALLOWED",
            }
        return {"error": "ACCESS_DENIED", "error_description": "The resource owner denied the request."}

    def respond(self, pending: Mapping[str, Any], params: dict[str, str]) -> BaseResponse:
        """Send ``params`` back to the app's callback in the request's response mode."""
        params = {**params, "state": pending["state"]} if pending.get("state") else dict(params)
        params = {key: value for key, value in params.items() if value is not None}
        mode = pending.get("response_mode", "query")
        if mode in JWT_MODES:
            params = {"response": self._response_jwt(pending["client_id"], params)}
        if mode in ("form_post", "form_post.jwt"):
            language = screen_language(pending.get("ui_locales"))
            return Response(render_screen("form_post.html", language, action=pending["redirect_uri"], params=params))
        if mode == "fragment":
            return redirect(with_fragment(pending["redirect_uri"], params))
        return redirect(with_query(pending["redirect_uri"], params))

    def _response_jwt(self, client_id: str, params: dict[str, str]) -> str:
        """A JARM response: the parameters as claims, signed as the channel's ID tokens are."""
        channel = self.data.channels[client_id]
        now = int(time.time())
        claims = {"iss": LOGIN_ISSUER, "aud": client_id, "exp": now + 600, "iat": now, **params}
        header, key = self.data.keys.header_and_key(channel.id_token_alg, channel.secret)
        return self.data.keys.sign(header, claims, key)

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
            # RFC 7636 4.1: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
            if not 43 <= len(verifier) <= 128 or not set(verifier) <= _VERIFIER_CHARACTERS:
                return "code_verifier must be 43-128 unreserved characters"
            if create_s256_code_challenge(verifier) != grant.code_challenge:
                return "code_verifier does not match"
        return grant


_VERIFIER_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def error_page(status: int, message: str, title: str = N_("Bad request")) -> NoReturn:
    """Stop with the emulator's styled error page (with a way back), as LINE shows its own."""
    language = screen_language(request.args.get("ui_locales"))
    response = Response(render_screen("error.html", language, title=title, message=message), status=status)
    abort(response)
