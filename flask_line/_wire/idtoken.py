"""Local verification of OpenID Connect ID tokens (LINE Login v2.1 and LINE WORKS).

Follows OpenID Connect Core 3.1.3.7: the signature with an algorithm from the allow-list (``none`` never), the
key chosen by the algorithm (HMAC with the client secret; ES256/RS256 from the JWKS by ``kid``, so a token
"signed" with HMAC over a public key cannot pass), then ``iss``, ``aud``/``azp``, ``exp``, ``iat``, ``nonce``
and, when asked, ``at_hash``.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import IdTokenError
from .jwks import JwksCache
from .untrusted_json import MAX_DEPTH, depth_exceeds

#: Largest ID token or JWT response accepted (LINE's are about 1 kB; a picture URL makes them longer).
MAX_JWT_BYTES = 16_384

if TYPE_CHECKING:
    from joserfc.jwk import Key
    from joserfc.jwt import Token


@dataclass(frozen=True, eq=False)  # a service, not a value: equal only to itself
class IdTokenVerifier:
    """Verifies ID tokens for one client.

    :param issuer: the exact ``iss`` expected, or a function that finds it (in a discovery document).
    :param client_id: the expected audience.
    :param algorithms: the allow-list of signature algorithms.
    :param leeway: seconds of clock skew tolerated on ``exp`` and ``iat``.
    :param client_secret: the HMAC key for HS256 tokens (LINE signs web-login tokens with the channel secret).
    :param jwks: the key set for asymmetric algorithms.
    """

    issuer: str | Callable[[], str]
    client_id: str
    algorithms: Collection[str]
    leeway: int
    client_secret: str | None = field(default=None, repr=False)
    jwks: JwksCache | None = None

    def verify(
        self,
        id_token: object,
        nonce: str | None,
        access_token: str | None = None,
        *,
        max_age: int | None = None,
        nonce_required: bool = False,
    ) -> dict[str, Any]:
        """Return the verified claims, or raise :class:`IdTokenError` saying which check failed.

        :param nonce_required: a nonce is demanded: a missing expected ``nonce`` refuses the token (a demand whose
            expected value is missing never turns itself off).
        :param max_age: the ``max_age`` the login sent: ``auth_time`` must then be present and no older
            (OpenID Connect Core 3.1.2.1 and 3.1.3.7).
        """
        if nonce_required and not nonce:
            raise IdTokenError("A nonce is required, but none was expected for this sign-in: refusing the ID token.")
        token = self._decode(id_token, "ID token")
        claims = token.claims
        self._check_claims(claims, nonce)
        if access_token is not None and "at_hash" in claims:
            self._check_at_hash(claims["at_hash"], access_token, str(token.header["alg"]))
        if max_age is not None:
            self._check_auth_time(claims.get("auth_time"), max_age)
        return claims

    def verify_response(self, response: object) -> dict[str, Any]:
        """The claims of a JWT authorization response (JARM): signature as for ID tokens, ``iss``, ``aud``, ``exp``."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        claims = self._decode(response, "response JWT").claims
        registry = jwt.JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": self.expected_issuer()},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise IdTokenError(f"The response JWT's claims do not match ({_describe(error)}).") from None
        self._check_audience(claims, "response JWT")
        return claims

    def expected_issuer(self) -> str:
        """The ``iss`` tokens must carry."""
        return self.issuer if isinstance(self.issuer, str) else self.issuer()

    def _decode(self, value: object, what: str) -> Token:
        from joserfc import jwt
        from joserfc.errors import JoseError

        if not isinstance(value, str) or value.count(".") != 2:
            raise IdTokenError(f"LINE sent no {what}, or one that is not a signed JWT.")
        if len(value) > MAX_JWT_BYTES:
            raise IdTokenError(f"The {what} is larger than {MAX_JWT_BYTES} bytes.")
        try:
            token = jwt.decode(value, self._pick_key, algorithms=list(self.algorithms))
        except IdTokenError:
            raise
        except (JoseError, ValueError, TypeError, RecursionError) as error:
            raise IdTokenError(f"The {what}'s signature does not verify ({_describe(error)}).") from None
        if depth_exceeds(token.claims, MAX_DEPTH) or depth_exceeds(token.header, MAX_DEPTH):
            raise IdTokenError(f"The {what} nests deeper than {MAX_DEPTH} levels.")
        return token

    def _check_auth_time(self, auth_time: object, max_age: int) -> None:
        if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
            raise IdTokenError("The login asked for max_age, but the ID token has no auth_time.")
        if time.time() - auth_time > max_age + self.leeway:
            raise IdTokenError("The user signed in longer ago than max_age allows; please sign in again.")

    def _pick_key(self, obj: Any) -> Key:
        from joserfc.jwk import OctKey

        header = obj.headers()
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise IdTokenError(f"The ID token's algorithm {alg!r} is not allowed.")
        if str(alg).startswith("HS"):
            if not self.client_secret:
                raise IdTokenError("The ID token is HMAC-signed but no client secret is configured.")
            key: Key = OctKey.import_key(self.client_secret)
            return key
        if self.jwks is None:
            raise IdTokenError(f"The ID token uses {alg} but no JWKS URL is configured.")
        return self.jwks.key(header.get("kid"))

    def _check_claims(self, claims: dict[str, Any], nonce: str | None) -> None:
        from joserfc import jwt
        from joserfc.errors import ExpiredTokenError, JoseError, MissingClaimError

        registry = jwt.JWTClaimsRegistry(  # one per token: joserfc 1.0 reads the time when a registry is made
            leeway=self.leeway,
            iss={"essential": True, "value": self.expected_issuer()},
            sub={"essential": True},
            aud={"essential": True, "value": self.client_id},
            exp={"essential": True},
            iat={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise IdTokenError("The ID token has expired.") from None
        except MissingClaimError as error:
            raise IdTokenError(f"The ID token lacks a required claim ({error.description}).") from None
        except JoseError as error:
            raise IdTokenError(f"The ID token's claims do not match ({_describe(error)}).") from None
        self._check_audience(claims, "ID token")
        if nonce is not None:
            sent = claims.get("nonce")
            if not isinstance(sent, str) or not hmac.compare_digest(sent, nonce):
                raise IdTokenError("The ID token's nonce does not match this login (possible replay).")

    def _check_audience(self, claims: dict[str, Any], what: str) -> None:
        """OpenID Connect Core 3.1.3.7: several audiences need an ``azp`` naming us; an ``azp`` must be us."""
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.client_id:
            raise IdTokenError(f"The {what} has several audiences and no azp naming this client.")
        if "azp" in claims and claims["azp"] != self.client_id:
            raise IdTokenError(f"The {what}'s azp is another client.")

    @staticmethod
    def _check_at_hash(at_hash: object, access_token: str, alg: str) -> None:
        from authlib.oidc.core.util import create_half_hash

        expected = create_half_hash(access_token, alg)
        if not isinstance(at_hash, str) or expected is None or not hmac.compare_digest(at_hash.encode(), expected):
            raise IdTokenError("The ID token's at_hash does not match the access token.")


def _describe(error: Exception) -> str:
    return getattr(error, "description", None) or getattr(error, "error", None) or type(error).__name__
