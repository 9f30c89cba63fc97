"""The ``line`` blueprint: thin views that hand each request to its flow."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, make_response, redirect, request, url_for
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ._bodies import bound_request_body, credential_body, read_body
from ._flow.authorization import fail_before_the_flow, resume_at_origin
from ._flow.origin import restore, url_values
from ._flow.redirects import safe_next
from ._flows import ATTACH_SIGNALS, LOGIN_KIND, LOGIN_SIGNALS, WORKS_SIGN_IN_SIGNALS
from ._i18n.languages import render_page, translate
from ._identity.signed_in import SignedInIdentity
from ._responses import login_required, refused_credential, wants_json
from ._runtime import runtime
from ._translatable import N_
from ._wire.tokens import LineToken
from .errors import (
    ChannelNotFound,
    CompanyNotFound,
    CrossSiteRequest,
    LineError,
    NotConfigured,
    StateError,
    TokenAuthError,
)

if TYPE_CHECKING:  # the bearer verifier loads at its first use
    from ._login.bearer import Credential

#: The endpoints whose URLs LINE is given (registered in the Console): they carry no visitor's values.
ADDRESSED_TO_LINE = frozenset(
    {
        "line.callback",
        "line.attach_callback",
        "line.works_callback",
        "line.module_webhook",
        "line.messaging_webhook",
        "line.messaging_channel_webhook",
    }
)


def create_blueprint() -> Blueprint:
    """A fresh ``line`` blueprint (one per app, so each app can use its own URL prefix)."""
    blueprint = Blueprint("line", __name__, template_folder="templates")
    blueprint.url_defaults(keep_url_values)
    blueprint.before_request(bound_body)
    blueprint.add_url_rule("/login", "login", login, methods=["GET"])
    blueprint.add_url_rule("/callback", "callback", callback, methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", "logout", logout, methods=["POST"])
    blueprint.add_url_rule("/logout", "logout_page", logout_page, methods=["GET"])
    blueprint.add_url_rule("/session", "session", session_exchange, methods=["POST"])
    blueprint.add_url_rule("/link", "link", link, methods=["GET"])
    blueprint.add_url_rule("/unlink", "unlink", unlink, methods=["POST"])
    blueprint.add_url_rule("/attach", "attach", attach, methods=["GET"])
    blueprint.add_url_rule("/attach/callback", "attach_callback", attach_callback, methods=["GET"])
    blueprint.add_url_rule("/accounts", "accounts", accounts, methods=["GET", "POST"])
    blueprint.add_url_rule("/accounts/detach", "accounts_detach", accounts_detach, methods=["POST"])
    blueprint.add_url_rule("/module/webhook", "module_webhook", module_webhook, methods=["POST"])
    blueprint.add_url_rule("/messaging/webhook", "messaging_webhook", messaging_webhook, methods=["POST"])
    blueprint.add_url_rule(
        "/messaging/<messaging_channel>/webhook", "messaging_channel_webhook", messaging_webhook, methods=["POST"]
    )
    blueprint.add_url_rule("/bot-link", "bot_link", bot_link, methods=["GET"])
    blueprint.add_url_rule("/bot-link/<messaging_channel>", "bot_link", bot_link, methods=["GET"])
    blueprint.add_url_rule("/works/login", "works_login", works_login, methods=["GET"])
    blueprint.add_url_rule("/works/callback", "works_callback", works_callback, methods=["GET"])
    blueprint.add_url_rule("/works/logout", "works_logout", works_logout, methods=["POST"])
    blueprint.add_url_rule("/works/logout", "works_logout_page", logout_page, methods=["GET"])
    blueprint.add_url_rule("/works/link", "works_link", works_link, methods=["GET"])
    blueprint.add_url_rule("/works/unlink", "works_unlink", works_unlink, methods=["POST"])
    return blueprint


def keep_url_values(endpoint: str, values: dict[str, Any]) -> None:
    """Every ``line.*`` URL built for a visitor keeps the request's ``LINE_URL_VALUES`` (its shop), so the sign-in
    redirect, retry links, the sign-out form and ``url_for("line.login")`` in the site's templates reach the same
    channel. Values the caller gives win."""
    if endpoint in ADDRESSED_TO_LINE:
        return
    for name, value in url_values(runtime().settings.common.url_values).items():
        values.setdefault(name, value)


def bound_body() -> None:
    """Every body sent to the blueprint is read to ``LINE_MAX_BODY_SIZE`` bytes at most (a 413 past it)."""
    bound_request_body(runtime().settings.common.max_body_size)


def login() -> Response:
    """Start a LINE Login; ``next`` says where to land afterwards, other query parameters are LINE options."""
    return runtime().require_login().flow.start(_query())


def _query() -> dict[str, str]:
    """The query string as a plain dict (each name's first value, as ``request.args.get`` gives): flows look up names
    the query may lack, and a werkzeug ``MultiDict`` raises and catches an exception for every missing one."""
    return request.args.to_dict()


def callback() -> Response:
    """LINE's redirect back (GET), or its form post (``LINE_LOGIN_RESPONSE_MODE='form_post'``).

    It completes at the channel that started the sign-in (the callback URL carries no shop).
    """
    params = request.form.to_dict() if request.method == "POST" else _query()
    state = runtime()
    started = resume_at_origin(state.pending, params, LOGIN_SIGNALS)
    if started is None:
        # A state this browser never issued, as after a failed auto login: the failure is answered at the shop of
        # this browser's latest sign-in (if any), so its retry link goes back there.
        latest = state.pending.latest(LOGIN_KIND)
        restore(latest.origin if latest is not None else None)
    try:
        login = state.require_login()
    except StateError as error:  # the start's channel changed, or cannot be found again
        fail_before_the_flow(error, LOGIN_SIGNALS)
    except ChannelNotFound:
        if started is not None:
            raise
        # A state this browser never issued (another browser, or an expired sign-in) names no shop: a 400.
        fail_before_the_flow(StateError("The state is unknown to this browser session."), LOGIN_SIGNALS)
    return login.flow.finish(params)


def logout() -> Response:
    """Sign out (POST only, same-site only: a link, an image or another site's form must not log anyone out)."""
    refuse_cross_site()
    login = runtime().require_login()
    login.logout()
    return redirect(safe_next(_next_target(), login.settings.logout_redirect))


def logout_page() -> str:
    """A GET of a sign-out URL (a link, a bookmark): signing out is a POST, so a page asks with a button."""
    action = url_for("line.works_logout" if request.endpoint == "line.works_logout_page" else "line.logout")
    return render_page("flask_line/logout.html", action=action, next=safe_next(request.args.get("next"), "/"))


def link() -> Response:
    """Link a LINE account to the signed-in site user: a LINE Login whose callback records the link."""
    return runtime().require_login().flow.start(_never_silent_unless_same_site(), link_to=_site_user_to_link())


def unlink() -> Response:
    """Unlink the signed-in site user's LINE account (POST only, same-site only)."""
    login = runtime().require_login()
    return _unlink(login.identity, login.settings.default_next)


def session_exchange() -> Response | tuple[Response, int]:
    """A LIFF page trades its ID token for a server-side session (JSON body only, same-site only).

    With the LIFF app's ``access_token`` beside it (same channel, same user), the session keeps that token, so
    signing out revokes it: at LINE, and for every worker sharing the cache (the LIFF app is signed out too).
    """
    refuse_cross_site()
    if not request.is_json:
        return jsonify(
            error="unsupported_media_type", message=translate(N_("Send a JSON body with the id_token."))
        ), 415
    state = runtime()
    login = state.require_login()
    if login.bearer is None:
        raise NotConfigured("LINE Login v2.0 issues no ID tokens.")
    try:
        body = credential_body(state.settings.common.max_body_size)
        token = body.get("id_token") if isinstance(body, dict) else None
        access_token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise TokenAuthError("missing_token", "Send the LIFF app's ID token as id_token.")
        if access_token is not None and (not isinstance(access_token, str) or not access_token):
            raise TokenAuthError("invalid_token", "The access token is not valid.")
        credential = login.bearer.authenticate(token, access_token, profile_of=login.profiles.profile)
        kept = _kept_token(login.bearer.access_token(access_token)) if access_token else None
    except LineError as error:
        raise refused_credential(error, login.settings.channel_id) from None
    assert credential.user is not None
    login.identity.sign_in(credential.user, kept)
    return jsonify(user_id=credential.user.user_id, display_name=credential.user.display_name)


def _kept_token(verified: Credential) -> LineToken:
    """The LIFF app's verified access token as the session keeps it (to revoke it at sign-out)."""
    assert verified.access_token is not None
    return LineToken(
        access_token=verified.access_token, expires_at=verified.expires_at, scopes=tuple(sorted(verified.scopes))
    )


def attach() -> Response:
    """Start attaching the module to an Official Account; ``scope``, ``region``... override the settings.

    Under the default rule (an attachment belongs to the LINE user who attached it) an admin signs in with LINE
    first and comes back here, so no attachment is made that nobody owns.
    """
    module = runtime().require_module()
    if module.needs_sign_in():
        return _sign_in_first()
    return module.flow.start(_query())


def accounts() -> Response | str:
    """The signed-in admin's Official Accounts: choose the one to work with (POST ``bot_id``), attach, detach."""
    module = runtime().require_module()
    if module.needs_sign_in():
        return _sign_in_first()
    if request.method == "POST":
        refuse_cross_site()
        try:
            module.select(str(request.form.get("bot_id", "")))
        except LookupError:
            raise NotFound("No such Official Account is attached for you.") from None
        return redirect(safe_next(_next_target(), module.settings.default_next))
    next_url = safe_next(request.args.get("next"), module.settings.default_next)
    listed = module.choices()
    if wants_json():
        return jsonify(accounts=[account.to_json() for account in listed])
    attach_url = url_for("line.attach", next=url_for("line.accounts", next=next_url))
    return render_page("flask_line/accounts.html", accounts=listed, next=next_url, attach_url=attach_url)


def accounts_detach() -> Response:
    """Detach the module from one of the signed-in admin's Official Accounts (POST, same-site only).

    A page's form asks for confirmation first (``confirmed=1`` answers it); a JSON client's POST detaches at once.
    Either way the chooser's ``next`` is kept.
    """
    refuse_cross_site()
    module = runtime().require_module()
    if module.needs_sign_in():
        return _sign_in_first()
    bot_id = str(request.form.get("bot_id", ""))
    next_url = safe_next(request.form.get("next"), module.settings.default_next)
    if not wants_json() and request.form.get("confirmed") != "1":
        # A person's click asks first, naming the account: detaching cannot be undone from here.
        account = module.choice(bot_id)
        if account is None:
            raise NotFound("No such Official Account is attached for you.")
        page = render_page("flask_line/detach.html", account=account, next=next_url)
        return make_response(page)
    try:
        module.detach(bot_id)
    except LookupError:
        raise NotFound("No such Official Account is attached for you.") from None
    return redirect(url_for("line.accounts", next=next_url))


def _sign_in_first() -> NoReturn:
    """Send a page to LINE Login and back here; an API client gets a 401 (and a LINE Login must exist)."""
    if runtime().login is None:
        raise NotConfigured(
            "Attaching needs LINE Login (each attachment belongs to the admin who signed in): set "
            "LINE_LOGIN_CHANNEL_ID and LINE_LOGIN_CHANNEL_SECRET, or register @line.module_access_rule."
        )
    raise login_required("line.login", N_("Sign in with LINE to manage your Official Accounts."))


def attach_callback() -> Response:
    """LINE Official Account Manager's redirect back (at the shop, and as the admin, that started the attach)."""
    state = runtime()
    params = _query()
    resume_at_origin(state.pending, params, ATTACH_SIGNALS)
    return state.require_module().flow.finish(params)


def module_webhook() -> tuple[str, int]:
    """LINE's module webhook: a ``detached`` event removes the attachment record."""
    state = runtime()
    service = state.require_module()
    body = read_body(state.settings.common.max_body_size)
    service.handle_webhook(body, request.headers.get("X-Line-Signature"))
    return "", 200


def messaging_webhook(messaging_channel: str | None = None) -> tuple[str, int]:
    """LINE's webhook of a Messaging API channel: signals for follow, unfollow, message, postback and
    ``accountLink`` (which writes the bot's account link). ``/line/messaging/<name>/webhook`` is the listed
    channel ``name``'s; ``/line/messaging/webhook`` the request's shop's (the loader's) or the ``"default"``."""
    runtime().messaging_channel(messaging_channel).webhook.handle_request()
    return "", 200


def bot_link(messaging_channel: str | None = None) -> Response:
    """The bot's account link: a member signed in to this site arrives with LINE's ``linkToken`` (from a link the bot
    sent) and goes on to LINE's account-link dialog with a single-use nonce. Anyone else signs in first.
    ``/line/bot-link/<name>`` is the listed channel ``name``'s."""
    state = runtime()
    messaging = state.messaging_channel(messaging_channel)
    link_token = messaging.account_link.link_token(request.args)
    site_user_id = state.accounts.signed_in_user_id()
    if site_user_id is None:
        # The site's own sign-in (Flask-Login's login_view, else LINE Login), back here afterwards.
        login_view = getattr(getattr(current_app, "login_manager", None), "login_view", None) or "line.login"
        raise login_required(login_view, N_("Please sign in to continue."))
    return redirect(messaging.account_link.dialog(link_token, site_user_id))


def works_login() -> Response:
    """Start a LINE WORKS sign-in; ``next`` says where to land afterwards."""
    return runtime().require_works_sign_in().start(_query())


def works_callback() -> Response:
    """LINE WORKS' redirect back: it completes at the company that started the sign-in (the callback URL carries
    no company), and a request of another company (its host, say) refuses it."""
    state, params = runtime(), _query()
    started = resume_at_origin(state.pending, params, WORKS_SIGN_IN_SIGNALS)
    try:
        flow = state.require_works_sign_in()
    except StateError as error:
        fail_before_the_flow(error, WORKS_SIGN_IN_SIGNALS)
    except CompanyNotFound:
        if started is not None:
            raise
        # A state this browser never issued names no company: a 400, like any unknown state.
        fail_before_the_flow(StateError("The state is unknown to this browser session."), WORKS_SIGN_IN_SIGNALS)
    return flow.finish(params)


def works_logout() -> Response:
    """Forget the LINE WORKS member (POST only, same-site only); a LINE Login in the same session stays."""
    refuse_cross_site()
    works = runtime().require_works()
    target = safe_next(_next_target(), works.settings.default_next)
    return redirect(works.sign_out(target, local_origin=request.host_url))


def works_link() -> Response:
    """Link a LINE WORKS account to the signed-in site user."""
    return runtime().require_works_sign_in().start(_never_silent_unless_same_site(), link_to=_site_user_to_link())


def works_unlink() -> Response:
    """Unlink the signed-in site user's LINE WORKS account (POST only, same-site only)."""
    flow = runtime().require_works_sign_in()
    return _unlink(flow.identity, flow.default_next)


def _never_silent_unless_same_site() -> Mapping[str, str]:
    """The link request's options; ``prompt=none`` only for a navigation the browser says came from this site.

    A silent link started by another site (or by a browser that sends no ``Sec-Fetch-Site``) could attach the
    visitor's LINE account to whoever is signed in here without a screen: it shows LINE's screen instead.
    """
    query = _query()
    if query.get("prompt") != "none" or request.headers.get("Sec-Fetch-Site") in ("same-origin", "same-site"):
        return query
    return {key: value for key, value in query.items() if key != "prompt"}


def _site_user_to_link() -> str:
    """The signed-in site user who asked to link an account (401 when nobody is signed in)."""
    return runtime().accounts.require_signed_in_user_id()


def _unlink(identity: SignedInIdentity[Any], default_next: str) -> Response:
    refuse_cross_site()
    identity.unlink()
    return redirect(safe_next(_next_target(), default_next))


def refuse_cross_site() -> None:
    """Raise :class:`CrossSiteRequest` unless the browser's own headers say the request comes from this site.

    ``Sec-Fetch-Site: cross-site`` is refused; so is an ``Origin`` of another host, and ``Origin: null`` (a
    sandboxed iframe or a privacy redirect: nothing proves it is ours). A request without either header (an
    older browser, a server-side client) carries no cross-site proof either way and passes.
    """
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise CrossSiteRequest("This request came from another site.")
    origin = request.headers.get("Origin")
    if origin is not None and not _is_own_origin(origin):
        raise CrossSiteRequest("This request came from another site.")


def _is_own_origin(origin: str) -> bool:
    # Behind a TLS-terminating proxy without ProxyFix Flask sees http while the browser says https: the same
    # host over https is ours. The reverse (an http page posting to our https site) is not.
    parts = urlsplit(origin)
    if parts.netloc.lower() != request.host.lower() or parts.path not in ("", "/"):
        return False
    return parts.scheme == request.scheme or (parts.scheme == "https" and request.scheme == "http")


def _next_target() -> str | None:
    return request.form.get("next") or request.args.get("next")
