"""``line.login``: the LINE Login identity, its profile and friendship, logout, and credentials clients send."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app

from .._identity.anonymous import AnonymousUser
from .._identity.signed_in import SignedInIdentity
from .._log import log
from .._wire.http import oauth_error
from .._wire.oauth import OAuthClient
from .._wire.shared_cache import NOT_SHARED, SharedCache
from .._wire.shared_token import SharedToken
from .._wire.tokens import LineToken
from ..errors import LineError
from ..signals import logged_out
from .flow import LoginFlow
from .profile import ProfileClient
from .settings import LoginSettings
from .user import LineUser
from .versions import LoginVersion

if TYPE_CHECKING:  # built at its first use (see ``bearer``)
    from .._store.lazy import OnFirstUse
    from .bearer import BearerVerifier


class LoginService:
    """LINE Login for one channel: the flow, the signed-in identity, and what is done with the user's token.

    :param bearer: builds what verifies credentials sent instead of a session, at its first use (None: this
        version has no ID tokens).
    """

    def __init__(
        self,
        settings: LoginSettings,
        version: LoginVersion,
        client: OAuthClient,
        *,
        flow: LoginFlow,
        identity: SignedInIdentity[LineUser],
        profiles: ProfileClient,
        bearer: OnFirstUse[BearerVerifier] | None,
        shared: SharedCache = NOT_SHARED,
    ) -> None:
        self.settings = settings
        self.version = version
        self.client = client
        self.flow = flow
        self.identity = identity
        self.profiles = profiles
        self._bearer = bearer
        #: The channel's own access token (deauthorizing needs it), shared by every thread.
        self._channel_token = SharedToken(
            lambda: client.client_credentials(settings.endpoints.channel_token),
            shared=shared,
            name=f"login-channel:{settings.channel_id}",
        )

    @property
    def bearer(self) -> BearerVerifier | None:
        """What verifies an ID token or access token sent instead of a session (``@line_token_required``,
        ``POST /line/session``), and forgets a revoked one; None when this version has no ID tokens."""
        return self._bearer.get() if self._bearer is not None else None

    def __repr__(self) -> str:
        return f"<LoginService channel {self.settings.channel_id} v{self.version.number}>"

    def is_friend(self) -> bool:
        """Ask LINE whether the signed-in user is a friend of the channel's linked Official Account."""
        return self.profiles.is_friend(self.identity.fresh_token())

    def revoke(self, token: LineToken) -> None:
        """Invalidate ``token`` at LINE, the way this version does."""
        authenticate, form = self.version.revoke_form(token)
        self.client.revoke(self.settings.endpoints.revoke, authenticate=authenticate, **form)

    def deauthorize(self, access_token: str | None = None) -> None:
        """Remove the user's consent to this channel at LINE (reference 1.11); their tokens stop working.

        LINE's development guidelines ask for this when a user deletes their account on your site. Without
        ``access_token``, the signed-in user's token is used. A token LINE already forgot counts as done.

        :raises ~flask_line.errors.NotAuthenticated: no token was given and nobody is signed in.
        """
        token = access_token or self.identity.fresh_token().access_token
        headers = {"Authorization": f"Bearer {self._channel_token.get().access_token}"}
        response = self.client.http.request(
            "POST", self.settings.endpoints.deauthorize, json={"userAccessToken": token}, headers=headers
        )
        if response.status_code == 400:
            log.info("LINE had already deauthorized the user (HTTP 400)")
        elif response.status_code >= 400:
            raise oauth_error(response)
        if self.bearer is not None:
            self.bearer.forget(token)

    def logout(self) -> LineUser | AnonymousUser:
        """Revoke the token at LINE (best effort) and forget the user; return who was signed in."""
        user = self.identity.current_user()
        token = self.identity.current_token()
        if token is not None:
            if self.bearer is not None:  # a client sending this token as a bearer is refused from now on
                self.bearer.forget(token.access_token)
            try:
                self.revoke(token)
            except LineError as error:
                # The local logout must still happen; the token expires at LINE on its own.
                log.warning("Could not revoke the LINE token at logout (%s)", error.code)
        self.identity.sign_out()
        if user.is_authenticated:
            app: Any = current_app._get_current_object()  # type: ignore[attr-defined]
            logged_out.send(app, user=user, channel_id=self.settings.channel_id)
        return user
