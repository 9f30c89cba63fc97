"""LINE WORKS settings (``LINE_WORKS_*``): the client, user sign-in and the service account.

LINE WORKS' rules for them are on its "Access Token" page.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .._config import ConfigReader, Setting
from .._log import log

#: Hosts where a plain-http callback is fine (development).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


#: The LINE WORKS settings (LINE WORKS Developers: "OAuth", "OpenID Connect", "Service Account").
WORKS_SETTINGS = (
    Setting("LINE_WORKS_CLIENT_ID", None, "client id", "The LINE WORKS app (Developer Console)."),
    Setting("LINE_WORKS_CLIENT_SECRET", None, "secret", "Its client secret; with the id, it turns LINE WORKS on."),
    Setting(
        "LINE_WORKS_SCOPES", "openid", "words", "Sign-in scopes (``openid``, ``profile``, ``email``, ``user.read``...)."
    ),
    Setting("LINE_WORKS_DOMAIN", None, "domain", "Sent as ``domain`` on the authorize request."),
    Setting("LINE_WORKS_PKCE", True, "True/False", "Send a PKCE S256 challenge."),
    Setting("LINE_WORKS_CALLBACK_URL", None, "URL", "The external sign-in callback URL (HTTPS off localhost)."),
    Setting("LINE_WORKS_DEFAULT_NEXT", "/", "path", "Where a sign-in lands without a valid ``next``."),
    Setting(
        "LINE_WORKS_LOGOUT_REDIRECT_URL",
        None,
        "URL",
        "The ``post_logout_redirect_uri`` of LINE WORKS' logout (an HTTPS URL registered as the app's OIDC Logout "
        "Redirection URL); unset: ``next`` at the origin of ``LINE_WORKS_CALLBACK_URL``.",
    ),
    Setting("LINE_WORKS_SERVICE_ACCOUNT", None, "account id", "The service account (``xxx.serviceaccount@domain``)."),
    Setting("LINE_WORKS_PRIVATE_KEY", None, "PEM", "The service account's RSA private key."),
    Setting("LINE_WORKS_PRIVATE_KEY_PATH", None, "path", "Or the file that holds it."),
    Setting("LINE_WORKS_SERVICE_SCOPES", "bot", "words", "The scopes of the service token."),
    Setting("LINE_WORKS_ISSUER", None, "URL", "Overrides the discovery document's ``issuer``."),
    Setting("LINE_WORKS_JWKS_URL", None, "URL", "Overrides the discovery document's ``jwks_uri``."),
    Setting(
        "LINE_WORKS_AUTHORIZE_URL",
        "https://auth.worksmobile.com/oauth2/v2.0/authorize",
        "URL",
        "Authorize.",
        endpoint=True,
    ),
    Setting(
        "LINE_WORKS_TOKEN_URL",
        "https://auth.worksmobile.com/oauth2/v2.0/token",
        "URL",
        "Code, refresh and JWT grants.",
        endpoint=True,
    ),
    Setting(
        "LINE_WORKS_DISCOVERY_URL",
        "https://auth.worksmobile.com/.well-known/openid-configuration",
        "URL",
        "Where the issuer and key set are read (once per process).",
        endpoint=True,
        # LINE Login's and LINE WORKS' documents share a path on two hosts; the emulator is one host.
        emulator_path="/works/.well-known/openid-configuration",
    ),
    Setting("LINE_WORKS_API_URL", "https://www.worksapis.com/v1.0", "URL", "Base of ``works.api()``.", endpoint=True),
    Setting(
        "LINE_WORKS_COMPANIES",
        None,
        "dict",
        'Many customer companies in one app: ``{name: {"client_id": ..., "client_secret": ..., "scopes", '
        '"callback_url", "domain", "service_account", "private_key", "service_scopes", "default_next", '
        '"logout_redirect_url"}}``; the ``@line.works_company_loader`` returns a name (see LINE WORKS for many '
        "companies).",
    ),
    Setting(
        "LINE_WORKS_COMPANY_CACHE_SIZE",
        256,
        "count",
        "How many companies' clients, verifiers and service tokens are kept (least recently used go first; a "
        "company's private key leaves memory with its service).",
    ),
)


@dataclass(frozen=True)
class WorksSettings:
    """Validated LINE WORKS settings; the client secret and the private key are kept out of ``repr``."""

    enabled: bool
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...]
    domain: str | None
    pkce: bool
    callback_url: str | None
    default_next: str
    #: Where LINE WORKS' logout sends the browser back (None: ``next`` at the callback URL's origin).
    logout_redirect_url: str | None
    authorize_url: str
    token_url: str
    discovery_url: str
    #: Overrides of the discovery document's ``jwks_uri`` and ``issuer`` (None: use the document's).
    jwks_url: str | None
    issuer: str | None
    #: The ``issuer`` the discovery document must name: its URL without ``/.well-known/openid-configuration``
    #: (OpenID Connect Discovery 4.3), from LINE's real URL when only ``LINE_EMULATOR_URL`` moved it.
    discovery_issuer: str
    api_url: str
    service_account: str | None
    #: The service account's private key (PEM).
    private_key: str | None = field(repr=False)
    service_scopes: tuple[str, ...]
    #: ``LINE_WORKS_COMPANIES`` as configured (each entry is checked when the companies are built).
    companies: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: ``LINE_WORKS_COMPANY_CACHE_SIZE``.
    company_cache_size: int = 256

    @property
    def uses_openid(self) -> bool:
        """Whether sign-in asks for an ID token."""
        return "openid" in self.scopes


def load_settings(read: ConfigReader) -> WorksSettings:
    """The LINE WORKS settings; a service account needs the client credentials and a private key that parses."""
    client_id, client_secret = read.credentials("LINE_WORKS_CLIENT_ID", "LINE_WORKS_CLIENT_SECRET")
    service_account = read.optional_string("LINE_WORKS_SERVICE_ACCOUNT")
    private_key = _private_key(read) if service_account else None
    if service_account and not client_id:
        raise read.fail("LINE_WORKS_CLIENT_ID", "is required for the service account")
    return WorksSettings(
        enabled=bool(client_id),
        client_id=client_id,
        client_secret=client_secret,
        scopes=read.words("LINE_WORKS_SCOPES"),
        domain=read.optional_string("LINE_WORKS_DOMAIN"),
        pkce=read.boolean("LINE_WORKS_PKCE"),
        callback_url=_callback_url(read),
        default_next=read.string("LINE_WORKS_DEFAULT_NEXT"),
        logout_redirect_url=_logout_redirect_url(read),
        authorize_url=read.url("LINE_WORKS_AUTHORIZE_URL"),
        token_url=read.url("LINE_WORKS_TOKEN_URL"),
        discovery_url=read.url("LINE_WORKS_DISCOVERY_URL"),
        discovery_issuer=_issuer_of(
            read.url("LINE_WORKS_DISCOVERY_URL")
            if read.is_set("LINE_WORKS_DISCOVERY_URL")
            else read.settings["LINE_WORKS_DISCOVERY_URL"].default
        ),
        jwks_url=read.optional_url("LINE_WORKS_JWKS_URL"),
        issuer=read.optional_url("LINE_WORKS_ISSUER"),
        api_url=read.url("LINE_WORKS_API_URL"),
        service_account=service_account,
        private_key=private_key,
        service_scopes=read.words("LINE_WORKS_SERVICE_SCOPES"),
        companies=read.table("LINE_WORKS_COMPANIES", "company"),
        company_cache_size=int(read.positive_number("LINE_WORKS_COMPANY_CACHE_SIZE")),
    )


def _callback_url(read: ConfigReader) -> str | None:
    """The callback URL; LINE WORKS wants HTTPS ("Access Token" page), so plain http on a real host is warned."""
    url = read.optional_url("LINE_WORKS_CALLBACK_URL")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
            message = (
                f"LINE_WORKS_CALLBACK_URL is plain http ({parts.hostname}): LINE WORKS accepts only HTTPS redirect "
                "URLs outside localhost (LINE WORKS' 'Access Token' page)."
            )
            warnings.warn(message, UserWarning, stacklevel=2)
            log.warning(message)
    return url


def _logout_redirect_url(read: ConfigReader) -> str | None:
    """LINE WORKS' OIDC Logout Redirection URL "must be an HTTPS URL" (its client app settings): plain http is
    refused, except on localhost."""
    url = read.optional_url("LINE_WORKS_LOGOUT_REDIRECT_URL")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme != "https" and parts.hostname not in LOCAL_HOSTS:
            raise read.fail("LINE_WORKS_LOGOUT_REDIRECT_URL", f"must be an HTTPS URL (LINE WORKS' rule), got {url!r}")
    return url


def _private_key(read: ConfigReader) -> str:
    """The PEM text of the service account key, checked to parse as an RSA private key (never echoed)."""
    key = read.optional_string("LINE_WORKS_PRIVATE_KEY")
    source = "LINE_WORKS_PRIVATE_KEY"
    if key is None:
        source = "LINE_WORKS_PRIVATE_KEY_PATH"
        path = read.optional_string(source)
        if path is None:
            raise read.fail(
                "LINE_WORKS_PRIVATE_KEY", "(or LINE_WORKS_PRIVATE_KEY_PATH) is required for the service account"
            )
        try:
            with open(path, encoding="ascii") as file:
                key = file.read()
        except (OSError, UnicodeDecodeError) as error:
            raise read.fail(source, f"cannot be read ({type(error).__name__})") from None
    problem = private_key_problem(key)
    if problem is not None:
        raise read.fail(source, problem)
    return key


def private_key_problem(key: object) -> str | None:
    """What is wrong with ``key`` as a service account's private key (None: a PEM RSA private key). The message
    never echoes the key.

    The key's own consistency check (tens of milliseconds for RSA) is left to its first use, which loads it again
    with every check: here, at every app start (and for every company a loader returns), its kind is checked.
    """
    # Only apps with a service account pay for importing the key library.
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if not isinstance(key, str):
        return "is not a PEM-encoded RSA private key"
    data = key.encode("ascii", errors="replace")
    try:
        parsed = load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # bad PEM, a public key, or a password; none may echo it
        if b"PUBLIC KEY-----" in data:
            return "is a public key; the service account needs the private key"
        return "is not a PEM-encoded RSA private key"
    if not isinstance(parsed, RSAPrivateKey):
        return "is not a PEM-encoded RSA private key"
    return None


def _issuer_of(discovery_url: str) -> str:
    return discovery_url.removesuffix("/.well-known/openid-configuration")
