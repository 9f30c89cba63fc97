"""View decorators and the ``current_line_user`` proxy."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from flask import Blueprint, current_app, g, redirect, request, url_for
from werkzeug.local import LocalProxy

from ._bodies import bound_request_body, credential_body
from ._identity.anonymous import AnonymousUser
from ._login.user import LineUser
from ._responses import (
    current_path,
    is_page_navigation,
    login_required,
    refused_credential,
)
from ._runtime import runtime
from ._translatable import N_, Text
from .errors import (
    ChannelNotFound,
    CompanyNotFound,
    LineError,
    MissingModuleScope,
    ModuleScopeNotGranted,
    ModuleSuspended,
    StateError,
    TokenAuthError,
)

if TYPE_CHECKING:  # LINE WORKS' code loads when the app uses it (OptionalProducts), module attachments too
    from ._login.bearer import Credential
    from ._store.attachments import ModuleAttachment
    from ._works.user import WorksUser

F = TypeVar("F", bound=Callable[..., Any])


#: Where a request's verified credential is kept (``@line_token_required``); the session is not touched.
CREDENTIAL_KEY = "_line_credential"


def _current_line_user() -> LineUser | AnonymousUser:
    try:
        login = runtime().login
    except ChannelNotFound:  # a page of a site without LINE Login: nobody is signed in with it here
        return AnonymousUser()
    if login is None:
        return AnonymousUser()
    credential: Credential | None = g.get(CREDENTIAL_KEY)
    if credential is not None and login.bearer is not None:
        if credential.user is None:  # an access token: its profile, read once per request at most
            credential = replace(credential, user=login.bearer.user(credential, login.profiles.profile))
            setattr(g, CREDENTIAL_KEY, credential)
        assert credential.user is not None
        return credential.user
    return login.identity.current_user()


#: The user signed in with LINE Login in this session: a :class:`~flask_line.LineUser`, or an anonymous user
#: whose ``is_authenticated`` is False.
current_line_user: LineUser | AnonymousUser = cast(Any, LocalProxy(_current_line_user))


class SignInRequired:
    """A view decorator that lets signed-in users through and sends others to sign in.

    Usable bare (``@line_login_required``) or called (``@line_login_required()``,
    ``@line_login_required(api=True)``), on plain and ``async def`` views alike (run through
    ``current_app.ensure_sync``, as Flask-Login's ``login_required`` does). An anonymous request raises
    :class:`~flask_line.errors.LoginRequired`, which the default handler answers: a person's browser loading a
    page is redirected to the sign-in endpoint with ``next`` set to the requested path and query; any other
    request (``fetch()``, ``curl``, an XHR, a JSON client) gets a 401 JSON body with a ``WWW-Authenticate``
    header. ``api=True`` always answers 401 (for JSON routes); :meth:`protect` applies the rule to a whole
    blueprint. A site's own ``@app.errorhandler(LineError)`` sees these refusals too.
    """

    def __init__(self, current_user: Callable[[], Any], endpoint: str, message: Text, *, api: bool = False) -> None:
        self._current_user = current_user
        self._endpoint = endpoint
        self._message = message
        self._api = api

    @overload
    def __call__(self, view: F) -> F: ...
    @overload
    def __call__(self, view: None = None, *, api: bool = ...) -> Callable[[F], F]: ...
    def __call__(self, view: F | None = None, *, api: bool | None = None) -> F | Callable[[F], F]:
        if view is None:
            if api is None:
                return self
            return SignInRequired(self._current_user, self._endpoint, self._message, api=api)

        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.check()
            return current_app.ensure_sync(view)(*args, **kwargs)

        return cast(F, wrapper)

    def check(self) -> None:
        """Return when someone is signed in; else raise :class:`~flask_line.errors.LoginRequired`."""
        if not self._current_user().is_authenticated:
            raise login_required(self._endpoint, self._message, api=self._api)

    def protect(self, blueprint: Blueprint, *, api: bool = False) -> None:
        """Require sign-in for every view of ``blueprint`` (``api=True``: always a 401, never a redirect)."""
        rule = SignInRequired(self._current_user, self._endpoint, self._message, api=api)
        blueprint.before_request(rule.check)


#: Require a LINE Login user (see :class:`SignInRequired`).
line_login_required = SignInRequired(_current_line_user, "line.login", N_("Sign in with LINE to continue."))


def line_token_required(
    view: F | None = None,
    *,
    scopes: Collection[str] = (),
    amr: Collection[str] = (),
    nonce: Callable[[], str | None] | None = None,
) -> Any:
    """Require LINE credentials on the request itself, as LIFF apps and native clients send them.

    * ``Authorization: Bearer <access token>``: verified at LINE's verify endpoint (the channel must be the app's
      LINE Login channel or one of ``LINE_TOKEN_CHANNEL_IDS``, and unexpired), cached for
      ``LINE_TOKEN_CACHE_TTL`` seconds at most;
    * an ID token in the ``X-Line-Id-Token`` header or the ``id_token`` field of a JSON body: verified locally
      (ES256 from LINE's keys; HS256 with the channel secret for the login channel), with ``nonce()`` when given.

    The verified user is :data:`current_line_user` for this request (the profile is fetched only if the view
    reads it from an access token); no session is created or read. A missing, invalid, expired or foreign
    credential is a 401 JSON body (403 for missing ``scopes`` or ``amr``) saying which, and ``login_failed`` fires;
    the refusal is raised (a :class:`~flask_line.errors.LineError` marked ``answer_json``), so a site's own
    handler sees it. The request's body is read to ``LINE_MAX_BODY_SIZE`` at most, by flask-line and by the view
    (a 413 past it). ``async def`` views work too.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                bound_request_body(runtime().settings.common.max_body_size)
                setattr(g, CREDENTIAL_KEY, _authenticate(scopes, amr, nonce))
            except LineError as error:
                raise refused_credential(error, _request_channel_id()) from None
            return current_app.ensure_sync(view)(*args, **kwargs)

        return cast(F, wrapper)

    return decorate(view) if view is not None else decorate


def _request_channel_id() -> str | None:
    """The channel of this request, for the signals of a refusal (None: it has none)."""
    try:
        login = runtime().login
    except ChannelNotFound:
        return None
    return login.settings.channel_id if login is not None else None


def _authenticate(scopes: Collection[str], amr: Collection[str], nonce: Callable[[], str | None] | None) -> Credential:
    """The request's verified LINE credential: ``X-Line-Id-Token`` (or a JSON body's ``id_token``) and/or a bearer
    access token."""
    login = runtime().require_login()
    bearer = login.bearer
    if bearer is None:
        raise TokenAuthError("invalid_token", "LINE Login v2.0 issues no credentials a client could send.")
    body = credential_body(runtime().settings.common.max_body_size)
    id_token = request.headers.get("X-Line-Id-Token") or (body.get("id_token") if isinstance(body, dict) else None)
    authorization = request.headers.get("Authorization", "")
    access_token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
    # A nonce demand whose expected value is missing (a fresh session) refuses: it never turns itself off.
    expected_nonce = nonce() if nonce is not None else None
    return bearer.authenticate(
        id_token,
        access_token,
        scopes=scopes,
        amr=amr,
        nonce=expected_nonce,
        nonce_required=nonce is not None,
        profile_of=login.profiles.profile,
    )


def _current_attachment() -> ModuleAttachment | None:
    module = runtime().module
    return module.current() if module is not None else None


#: The session's selected module attachment (:class:`~flask_line.ModuleAttachment`), or None.
current_attachment: ModuleAttachment | None = cast(Any, LocalProxy(_current_attachment))


def requires_module_scope(*scopes: str) -> Callable[[F], F]:
    """Require the session's current attachment to hold every one of ``scopes``.

    A browser without a usable attachment is sent where it can get one, never round in a circle: to LINE Login
    when it must sign in first (the default owner rule), to the chooser (``line.accounts``) when the admin has
    several Official Accounts attached, else to ``line.attach`` asking for the held and the missing scopes
    together, with ``next`` back to the view. A scope the admin declined in this browser's last attach gets a
    page that says so and offers to attach again. A JSON client gets a 403 naming the missing scopes (raised as
    :class:`~flask_line.errors.MissingModuleScope`, so a site's own handler sees it). ``async def`` views work too.
    """
    needed = frozenset(scopes)

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            attachment = _current_attachment()
            if attachment is not None and not attachment.active:
                raise ModuleSuspended(
                    f"LINE suspended the Official Account {attachment.bot_id}: the module cannot act for it until "
                    "LINE resumes it."
                )
            held = attachment.scopes if attachment is not None else frozenset()
            missing = needed - held
            if not missing:
                return current_app.ensure_sync(view)(*args, **kwargs)
            if not is_page_navigation():
                raise MissingModuleScope(missing)
            return _where_to_get(needed, attachment)

        return cast(F, wrapper)

    return decorate


def _where_to_get(needed: frozenset[str], attachment: ModuleAttachment | None) -> Any:
    module = runtime().require_module()
    if attachment is None:
        if module.needs_sign_in():
            return redirect(url_for("line.login", next=current_path()))
        if module.attachments():  # several of the admin's own (one would have been selected): let them choose
            return redirect(url_for("line.accounts", next=current_path()))
        return redirect(url_for("line.attach", scope=" ".join(sorted(needed)), next=current_path()))
    attach_again = url_for("line.attach", scope=" ".join(sorted(attachment.scopes | needed)), next=current_path())
    if (needed - attachment.scopes) & module.selection.declined(attachment):
        # This browser's last attach asked for it and the admin did not allow it: asking again at once would loop.
        refusal = ModuleScopeNotGranted(needed - attachment.scopes, attachment.bot_id)
        refusal.retry_url = attach_again
        raise refusal
    return redirect(attach_again)


def _current_works_user() -> WorksUser | AnonymousUser:
    try:
        works = runtime().works
    except (CompanyNotFound, StateError):  # a page outside every company: nobody is signed in with LINE WORKS here
        return AnonymousUser()
    sign_in = works.sign_in if works is not None else None
    return sign_in.identity.current_user() if sign_in is not None else AnonymousUser()


#: The member signed in with LINE WORKS in this session: a :class:`~flask_line.WorksUser` or an anonymous user.
current_works_user: WorksUser | AnonymousUser = cast(Any, LocalProxy(_current_works_user))


#: Require a LINE WORKS member (see :class:`SignInRequired`).
works_login_required = SignInRequired(
    _current_works_user, "line.works_login", N_("Sign in with LINE WORKS to continue.")
)
