"""``line.works``: the LINE WORKS service account (bots, batch jobs) and the signed-in member's token."""

from __future__ import annotations

from urllib.parse import urlencode, urljoin, urlsplit

from .._log import log
from .._wire.api_client import ApiClient
from .._wire.discovery import DiscoveryDocument
from .._wire.http import LineHttp
from .._wire.oauth import OAuthClient, jwt_assertion
from .._wire.shared_cache import NOT_SHARED, SharedCache
from .._wire.shared_token import SharedToken
from .._wire.tokens import LineToken
from ..errors import ConfigurationError, LineError, NotAuthenticated, ServiceAccountError, TokenRequestError
from .flow import WorksSignInFlow
from .settings import LOCAL_HOSTS, WorksSettings

#: Lifetime of the JWT assertion; LINE WORKS' samples use one hour.
ASSERTION_LIFETIME = 3600


class WorksService:
    """LINE WORKS for one app; works inside or outside a request (CLI commands, jobs) with an app context."""

    def __init__(
        self,
        settings: WorksSettings,
        http: LineHttp,
        sign_in: WorksSignInFlow | None,
        discovery: DiscoveryDocument | None = None,
        shared: SharedCache = NOT_SHARED,
    ) -> None:
        self.settings = settings
        self.http = http
        #: LINE WORKS' discovery document (its ``end_session_endpoint``, when it has one).
        self.discovery = discovery
        #: The member sign-in flow (None when sign-in is off).
        self.sign_in = sign_in
        self._client = OAuthClient(http, settings.client_id, settings.client_secret)
        self._service_token = SharedToken(
            self._issue_service_token,
            shared=shared,
            name=f"works-service:{settings.client_id}:{settings.service_account}",
        )

    def __repr__(self) -> str:
        return f"<WorksService client {self.settings.client_id}>"

    def sign_out(self, next_path: str, *, local_origin: str | None = None) -> str:
        """Forget the member here and return where the browser goes next: LINE WORKS' ``end_session_endpoint``
        (OpenID Connect RP-Initiated Logout, when its discovery document advertises one), else ``next_path``.

        :param next_path: this site's path to land on (already checked to be one of ours).
        :param local_origin: the request's origin, used only when it is ``localhost``/``127.0.0.1`` and no URL is
            configured (development against the emulator, where the callback is built the same way).
        """
        if self.sign_in is None:
            return next_path
        token = self.sign_in.identity.current_token()
        self.sign_in.identity.sign_out()
        if token is None or not token.id_token or self.discovery is None:
            return next_path
        try:
            end_session = self.discovery.end_session_endpoint()
        except LineError as error:  # the member is signed out here either way
            log.warning("LINE WORKS' discovery document could not be read at logout (%s)", error.code)
            return next_path
        if end_session is None:
            return next_path
        params = {"id_token_hint": token.id_token, "client_id": self.settings.client_id}
        back = self.post_logout_redirect_uri(next_path, local_origin)
        if back is not None:
            params["post_logout_redirect_uri"] = back
        return f"{end_session}{'&' if '?' in end_session else '?'}{urlencode(params)}"

    def post_logout_redirect_uri(self, next_path: str, local_origin: str | None = None) -> str | None:
        """Where LINE WORKS sends the browser after its logout: ``LINE_WORKS_LOGOUT_REDIRECT_URL``, else
        ``next_path`` at the origin of ``LINE_WORKS_CALLBACK_URL`` (an HTTPS host the app registered), never the
        request's own host (behind a proxy that is often ``http://localhost``), except a development server's
        ``local_origin`` when nothing is configured. None: LINE WORKS shows its own page after signing out."""
        if self.settings.logout_redirect_url is not None:
            return self.settings.logout_redirect_url
        origin = self.settings.callback_url
        if origin is None and local_origin is not None and urlsplit(local_origin).hostname in LOCAL_HOSTS:
            origin = local_origin
        if origin is None:
            return None
        parts = urlsplit(origin)
        return urljoin(f"{parts.scheme}://{parts.netloc}/", next_path)

    def get_access_token(self) -> str:
        """A valid access token for the member signed in with LINE WORKS, refreshed first if it expired.

        :raises ~flask_line.errors.NotAuthenticated: no member is signed in, or the refresh token was refused.
        """
        if self.sign_in is None:
            raise NotAuthenticated("LINE WORKS sign-in is not configured.")
        return self.sign_in.identity.fresh_token().access_token

    def service_token(self) -> LineToken:
        """The service account's access token: cached across threads, reissued shortly before it expires."""
        if not self.settings.service_account or not self.settings.private_key:
            raise ConfigurationError("LINE_WORKS_SERVICE_ACCOUNT", "is not set: the service account is off")
        return self._service_token.get()

    def api(self) -> ApiClient:
        """A client for ``LINE_WORKS_API_URL`` that sends the service token and retries once on a 401."""
        self.service_token()  # fail early and clearly when the service account is not configured
        return ApiClient(self.http, self.settings.api_url, self._service_token)

    def assertion(self) -> str:
        """A fresh RS256 JWT assertion for the service account (``iss`` client id, ``sub`` account)."""
        return jwt_assertion(
            self.settings.client_id,
            self.settings.service_account or "",
            self.settings.private_key or "",
            ASSERTION_LIFETIME,
        )

    def _issue_service_token(self) -> LineToken:
        try:
            token = self._client.jwt_bearer(
                self.settings.token_url, self.assertion(), scope=" ".join(self.settings.service_scopes)
            )
        except TokenRequestError as error:
            log.error("LINE WORKS refused the service account assertion: %s", error.error)
            raise ServiceAccountError(
                f"LINE WORKS refused the service account's assertion ({error.error}): check the client id, "
                "the service account id and the private key."
            ) from None
        log.info("LINE WORKS service token issued (scopes: %s)", " ".join(token.scopes) or "-")
        return token
