"""The emulator's signing keys and the JWTs it signs, including the forgeries tests ask for."""

from __future__ import annotations

import base64
import functools
import json
import secrets
import warnings
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OctKey, RSAKey


class SigningKeys:
    """The ES256 and RS256 keys published at the certs endpoints (made once per process: RSA is slow)."""

    def __init__(self) -> None:
        self.ec_key: ECKey = startup_key("es256")
        self.rsa_key: RSAKey = startup_key("rs256")

    def rotate(self) -> None:
        """New keys with new ``kid`` values (the old ones disappear, as after a LINE rotation)."""
        self.ec_key = ECKey.generate_key("P-256", parameters={"kid": _kid("es256"), "alg": "ES256", "use": "sig"})
        self.rsa_key = RSAKey.generate_key(2048, parameters={"kid": _kid("rs256"), "alg": "RS256", "use": "sig"})

    def jwks(self) -> dict[str, Any]:
        """The public keys, as LINE Login publishes them."""
        return {"keys": [self.ec_key.as_dict(private=False), self.rsa_key.as_dict(private=False)]}

    def header_and_key(self, alg: str, secret: str) -> tuple[dict[str, Any], Any]:
        """The JOSE header and key for ``alg`` (HS256 uses the channel ``secret``)."""
        if alg == "HS256":
            return {"alg": "HS256"}, OctKey.import_key(secret)
        if alg == "ES256":
            return {"alg": "ES256", "kid": self.ec_key.kid}, self.ec_key
        return {"alg": "RS256", "kid": self.rsa_key.kid}, self.rsa_key

    def verify(self, token: str, secret: str) -> dict[str, Any]:
        """The claims of a JWT this platform signed (HS256 with ``secret``, or its ES256/RS256 keys).

        :raises ValueError: the signature does not verify.
        """
        try:
            header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
            alg = header.get("alg")
            key: Any = {"HS256": OctKey.import_key(secret), "ES256": self.ec_key, "RS256": self.rsa_key}[alg]
            claims: dict[str, Any] = jwt.decode(token, key, algorithms=[alg]).claims
        except (JoseError, KeyError, ValueError, TypeError, IndexError) as error:
            raise ValueError("invalid signature") from error
        return claims

    def sign(self, header: dict[str, Any], claims: dict[str, Any], key: Any, forgery: str | None = None) -> str:
        """A signed JWT, or the forgery a test asked for (``none``, ``wrong_secret``, ``public_key_hmac``...)."""
        if forgery == "none":
            return _unsigned({**header, "alg": "none", "typ": "JWT"}, claims)
        if forgery == "wrong_secret":
            key = OctKey.import_key("not-the-channel-secret-at-all-000")
            header = {**header, "alg": "HS256"}
        elif forgery == "public_key_hmac":
            public_json = json.dumps(self.ec_key.as_dict(private=False))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # joserfc rightly warns; forging is the point here
                key = OctKey.import_key(public_json)
            header = {**header, "alg": "HS256", "kid": self.ec_key.kid}
        elif forgery == "unknown_kid":
            header = {**header, "kid": "kid-nobody-published"}
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])


@functools.cache
def startup_key(name: str) -> Any:
    """A key made once per process and name."""
    if name == "es256":
        return ECKey.generate_key("P-256", parameters={"kid": _kid("es256"), "alg": "ES256", "use": "sig"})
    return RSAKey.generate_key(2048, parameters={"kid": _kid(name), "alg": "RS256", "use": "sig"})


def _kid(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."
