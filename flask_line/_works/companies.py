"""The company is the unit of LINE WORKS: one registry of customer companies, and each request's company.

Each customer company adds the site's client app in its own LINE WORKS Developer Console, so its client id and
secret, its service account and that account's private key, its bots and its members are its own.
``LINE_WORKS_CLIENT_ID`` is simply the company named ``"default"``; ``LINE_WORKS_COMPANIES`` lists more by name;
the app's ``@line.works_company_loader`` names the company of a request. The services of recently used companies
are kept in a bounded LRU (their private keys leave memory with them), so 10,000 companies never mean 10,000
verifiers and token caches.

A callback needs no company in its URL: the pending authorization recorded the company that started it
(:class:`~flask_line._flow.origin.Origin`), and the callback completes there, never at another company.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from flask import g, has_request_context, request

from .._flow.origin import Origin, ask_at_start, restored_origin
from .._log import log
from .._registry import DEFAULT, Naming, Registry, check_credentials
from ..errors import CompanyNotFound, ConfigurationError, LineError, StateError
from .service import WorksService
from .settings import WorksSettings, private_key_problem

#: The name of ``LINE_WORKS_CLIENT_ID``'s company in the registry.
DEFAULT_COMPANY = DEFAULT


@dataclass(frozen=True)
class WorksCompany:
    """One customer company's LINE WORKS app (what ``@line.works_company_loader`` returns, or an entry of
    ``LINE_WORKS_COMPANIES``). Options left as None take the app's ``LINE_WORKS_*`` settings.

    The client secret and the private key are never in its ``repr`` (nor in any log line).

    :param client_id: the client id of the app in this company's Developer Console.
    :param client_secret: its client secret.
    :param scopes: the sign-in scopes (``("openid", "profile")``...).
    :param callback_url: the redirect URL registered in this company's app (HTTPS), when it is not
        ``line.works_callback`` on the host that started the sign-in.
    :param domain: sent as ``domain`` on the authorize request.
    :param service_account: the company's service account (``xxx.serviceaccount@domain``), for bots and jobs.
    :param private_key: the service account's RSA private key (PEM). A new key (after a rotation in the Developer
        Console) is simply a new ``WorksCompany``: the next service token is asked with it.
    :param service_scopes: the scopes of the service token.
    :param default_next: where a sign-in at this company lands without a valid ``next``.
    :param logout_redirect_url: this app's OIDC Logout Redirection URL.
    """

    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] | None = None
    callback_url: str | None = None
    domain: str | None = None
    service_account: str | None = None
    private_key: str | None = field(default=None, repr=False)
    service_scopes: tuple[str, ...] | None = None
    default_next: str | None = None
    logout_redirect_url: str | None = None

    def __post_init__(self) -> None:
        # Lists given for the sequences become tuples, so a company can key the registry's LRU.
        for name in ("scopes", "service_scopes"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, tuple(value.replace(",", " ").split()))
            elif value is not None:
                object.__setattr__(self, name, tuple(value))


#: What ``@line.works_company_loader`` registers: the company of this request, the name of one in
#: ``LINE_WORKS_COMPANIES``, or None when this request belongs to no company.
CompanyLoader = Callable[[], "WorksCompany | str | None"]

#: Where ``flask.g`` keeps the request's company: ``(origin it was resolved for, service or the refusal)``.
_COMPANY_OF_REQUEST = "_line_works_company"


class WorksCompanies:
    """Every LINE WORKS company of an app, and the company of each request.

    :param base: the app's LINE WORKS settings (the ``"default"`` company, when it has a client id).
    :param build: makes the service of one company from its settings.
    :param loader: returns the app's ``@line.works_company_loader`` (read at each request, so it may come late).
    """

    def __init__(
        self,
        base: WorksSettings,
        build: Callable[[WorksSettings], WorksService],
        loader: Callable[[], CompanyLoader | None],
    ) -> None:
        self._base = base
        default = None
        if base.enabled:
            default = WorksCompany(
                base.client_id,
                base.client_secret,
                service_account=base.service_account,
                private_key=base.private_key,
            )
        self._registry = Registry.configured_from(
            COMPANY_NAMING, default, base.companies, self.settings_of, build, base.company_cache_size, loader
        )
        #: Every company named in config: ``"default"`` (``LINE_WORKS_CLIENT_ID``) and ``LINE_WORKS_COMPANIES``.
        self.configured = self._registry.configured
        self.size = base.company_cache_size

    @property
    def active(self) -> bool:
        """Whether the app chooses companies per request (a loader is registered)."""
        return self._registry.active

    @property
    def any(self) -> bool:
        """Whether the app has LINE WORKS at all: a configured company or a loader."""
        return bool(self.configured) or self.active

    # The request's company -----------------------------------------------------------------------------------

    def current(self) -> WorksService | None:
        """The LINE WORKS service of this request's company, resolved once per request; None when the app has no
        LINE WORKS.

        At a callback it is the company that started the sign-in; otherwise the loader's, or the ``"default"``
        company without a loader. Outside a request, the ``"default"`` company.

        :raises ~flask_line.errors.CompanyNotFound: the loader raised, or found no company for this request.
        :raises ~flask_line.errors.StateError: a callback reached one company with another company's sign-in.
        """
        if not has_request_context():
            return self._registry.default()
        origin = restored_origin()
        cached = g.get(_COMPANY_OF_REQUEST)
        if cached is None or cached[0] is not origin:
            try:
                cached = (origin, self._resolve(origin))
            except (CompanyNotFound, StateError) as refusal:
                cached = (origin, refusal)
            setattr(g, _COMPANY_OF_REQUEST, cached)
        found: WorksService | LineError | None = cached[1]
        if isinstance(found, LineError):
            raise type(found)(found.message)
        return found

    def _resolve(self, origin: Origin | None) -> WorksService | None:
        if origin is not None and origin.company_id is not None:
            return self._for_origin(origin)
        if self.active:
            return self.service(self._registry.ask_loader())
        return self._registry.default()

    def _for_origin(self, origin: Origin) -> WorksService:
        """The company that started a sign-in, refused when this request itself belongs to another company.

        Only a callback on another host than the start can tell (a loader reading the host): on the same host the
        callback URL carries none of the start's values, so what the loader answers there says nothing.
        """
        company_id = str(origin.company_id)
        if self.active and origin.url and urlsplit(origin.url).netloc.lower() != request.host.lower():
            here = self._quietly_ask_loader()
            if here is not None and here.client_id != company_id:
                log.warning(
                    "A LINE WORKS callback for company %s reached company %s: refused", company_id, here.client_id
                )
                raise StateError("This sign-in was started at another company.")
        found = self._registry.known(company_id)
        if found is not None:
            return found
        if not self.active:
            raise CompanyNotFound(f"The LINE WORKS company {company_id} that started this sign-in is not configured.")
        company = ask_at_start(origin, self._registry.ask_loader)  # another worker started it
        if company.client_id != company_id:
            raise StateError("The company's LINE WORKS app changed during the sign-in; please start again.")
        return self.service(company)

    def _quietly_ask_loader(self) -> WorksCompany | None:
        """The loader's company for this very request (a callback URL often names none): None when it finds none
        or raises."""
        try:
            return self._registry.ask_loader()
        except (CompanyNotFound, ConfigurationError):
            return None

    # Every company's service ---------------------------------------------------------------------------------

    def service(self, company: WorksCompany | str) -> WorksService:
        """The service of ``company`` (or of the configured company of that name), built on first use, then kept
        while it is among the recently used.

        :raises ~flask_line.errors.CompanyNotFound: no configured company has that name.
        """
        return self._registry.service(company)

    @property
    def cached(self) -> int:
        """How many companies' services are kept now."""
        return self._registry.cached

    def settings_of(self, company: WorksCompany, key: str = "works_company_loader") -> WorksSettings:
        """The app's LINE WORKS settings with ``company``'s app, service account and options.

        :param key: what an error names: the loader, or the ``LINE_WORKS_COMPANIES`` entry.
        :raises ~flask_line.errors.ConfigurationError: a value LINE WORKS would refuse (the key is never echoed).
        """

        def fail(message: str) -> ConfigurationError:
            return ConfigurationError(key, f"company {company.client_id!r}: {message}")

        check_credentials(company, COMPANY_NAMING, fail, digits=False)
        for name in ("callback_url", "logout_redirect_url"):
            value = getattr(company, name)
            parts = urlsplit(value) if isinstance(value, str) else None
            if value is not None and (parts is None or parts.scheme not in ("http", "https") or not parts.netloc):
                raise fail(f"{name} must be an absolute http(s) URL, got {value!r}")
        if company.default_next is not None and (
            not isinstance(company.default_next, str) or not company.default_next.startswith("/")
        ):
            raise fail(f"default_next must be a path on this site such as '/', got {company.default_next!r}")
        if company.scopes is not None and not company.scopes:
            raise fail("scopes must name at least one scope")
        if company.private_key is not None and not company.service_account:
            raise fail("has a private_key but no service_account")
        if company.service_account is not None:
            problem = private_key_problem(company.private_key)
            if problem is not None:
                raise fail(f"private_key {problem}")
        base = self._base
        return replace(
            base,
            enabled=True,
            client_id=company.client_id,
            client_secret=company.client_secret,
            scopes=company.scopes if company.scopes is not None else base.scopes,
            domain=company.domain if company.domain is not None else base.domain,
            callback_url=company.callback_url or base.callback_url,
            default_next=company.default_next or base.default_next,
            logout_redirect_url=company.logout_redirect_url or base.logout_redirect_url,
            # A company's service account is its own: never LINE_WORKS_SERVICE_ACCOUNT (the "default" company's).
            service_account=company.service_account,
            private_key=company.private_key,
            service_scopes=company.service_scopes if company.service_scopes is not None else base.service_scopes,
            companies={},
        )


#: The keys of a ``LINE_WORKS_COMPANIES`` entry.
COMPANY_KEYS = frozenset(
    {
        "client_id",
        "client_secret",
        "scopes",
        "callback_url",
        "domain",
        "service_account",
        "private_key",
        "service_scopes",
        "default_next",
        "logout_redirect_url",
    }
)

#: How the registry's errors and log lines name LINE WORKS companies.
COMPANY_NAMING = Naming(
    "LINE WORKS", "company", "LINE_WORKS_COMPANIES", "works_company_loader", CompanyNotFound, WorksCompany, COMPANY_KEYS
)
