"""``ext.works``: the LINE WORKS service account (bots, batch jobs) and the signed-in member's token."""

from __future__ import annotations

import logging
import time

from joserfc import jwt
from joserfc.jwk import RSAKey

from ..api_client import ApiClient
from ..config import WorksSettings
from ..errors import ConfigurationError, ServiceAccountError, TokenRequestError
from ..http import LineHttp
from ..token_cache import SharedToken
from ..tokens import LineToken
from .flow import WorksLogin

log = logging.getLogger("flask_line")

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: Lifetime of the JWT assertion; LINE WORKS' samples use one hour.
ASSERTION_LIFETIME = 3600


class WorksService:
    """LINE WORKS for one app; works inside or outside a request (CLI commands, jobs) with an app context."""

    def __init__(self, settings: WorksSettings, http: LineHttp, login: WorksLogin | None) -> None:
        self.settings = settings
        self.http = http
        self.login = login
        self._service_token = SharedToken(self._issue_service_token)

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
        now = int(time.time())
        claims = {
            "iss": self.settings.client_id,
            "sub": self.settings.service_account,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        }
        key = RSAKey.import_key(self.settings.private_key or "")
        return jwt.encode({"alg": "RS256"}, claims, key, algorithms=["RS256"])

    def _issue_service_token(self) -> LineToken:
        body = {
            "assertion": self.assertion(),
            "grant_type": JWT_BEARER,
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
            "scope": " ".join(self.settings.service_scopes),
        }
        try:
            answer = self.http.json("POST", self.settings.token_url, data=body)
        except TokenRequestError as error:
            log.error("LINE WORKS refused the service account assertion: %s", error.error)
            raise ServiceAccountError(
                f"LINE WORKS refused the service account's assertion ({error.error}): check the client id, "
                "the service account id and the private key."
            ) from None
        token = LineToken.from_response(answer)
        log.info("LINE WORKS service token issued (scopes: %s)", " ".join(token.scopes) or "-")
        return token
