"""What differs between LINE Login versions, as data and small functions: v2.1 and the deprecated v2.0.

One :class:`LoginFlow <flask_line._login.flow.LoginFlow>` serves both; it reads its version's answers here, so no
code asks ``version == "2.0"`` and no version is a subclass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from .._config import ConfigReader
from .._wire.tokens import LineToken
from ..errors import ConfigurationError
from .settings import BOT_PROMPTS, LOGIN_VERSIONS, PROMPTS, LoginSettings, check_login_scopes, read_login_settings

#: Every per-request option of ``line.login`` any version knows, and the values LINE accepts (None: any text).
LOGIN_OPTIONS: dict[str, tuple[str, ...] | None] = {
    "prompt": PROMPTS,
    "bot_prompt": BOT_PROMPTS,
    "ui_locales": None,
    "max_age": None,
    "disable_auto_login": ("true", "false"),
    "disable_ios_auto_login": ("true", "false"),
    "initial_amr_display": ("lineqr",),
    "switch_amr": ("true", "false"),
}


class LoginVersion:
    """One LINE Login version's answers (a plain class: two are built at import)."""

    def __init__(
        self,
        *,
        number: str,
        endpoint_prefix: str,
        accepted_options: frozenset[str],
        has_id_tokens: bool,
        profile_scopes: frozenset[str],
        check_settings: Callable[[ConfigReader, LoginSettings], LoginSettings],
        check_channel: Callable[[LoginSettings, Callable[[str], ConfigurationError]], LoginSettings],
        authorization_params: Callable[[LoginSettings], dict[str, str | None]],
        revoke_form: Callable[[LineToken], tuple[bool, dict[str, str]]],
        denial_fields: tuple[tuple[str, str], ...] = (),
        user_scopes: tuple[str, ...] | None = None,
        deprecation: str | None = None,
    ) -> None:
        #: The ``LINE_LOGIN_VERSION`` value.
        self.number = number
        #: Prefix of the config keys of this version's authorize, token, verify and revoke URLs.
        self.endpoint_prefix = endpoint_prefix
        #: The per-request options (names from :data:`LOGIN_OPTIONS`) this version accepts.
        self.accepted_options = accepted_options
        #: Whether this version issues ID tokens (and so nonces, and credentials from LIFF and native clients).
        self.has_id_tokens = has_id_tokens
        #: How this version's tokens name the profile permission.
        self.profile_scopes = profile_scopes
        #: This version's rules for the settings, after their types were checked.
        self.check_settings = check_settings
        #: The same rules for one channel of many (``LoginChannel``): ``fail(message)`` makes the error.
        self.check_channel = check_channel
        #: Authorize parameters from the settings (per-request options are added after).
        self.authorization_params = authorization_params
        #: Whether revocation authenticates the client, and the token form field it sends.
        self.revoke_form = revoke_form
        #: Extra fields of a denial: ``(LINE's name, ours)``.
        self.denial_fields = denial_fields
        #: The scopes every signed-in user of this version holds (None: what the token or ID token says).
        self.user_scopes = user_scopes
        #: Why this version should not be used (a warning at ``init_app``), or None.
        self.deprecation = deprecation

    def __repr__(self) -> str:
        return f"<LoginVersion {self.number}>"

    def load_settings(self, read: ConfigReader) -> LoginSettings:
        """Every ``LINE_LOGIN_*`` setting, checked by this version's rules."""
        return self.check_settings(read, read_login_settings(read, self.number, self.endpoint_prefix))


def _v21_settings(read: ConfigReader, settings: LoginSettings) -> LoginSettings:
    return _v21_channel(settings, lambda message: read.fail("LINE_LOGIN_SCOPES", message))


def _v21_channel(settings: LoginSettings, fail: Callable[[str], ConfigurationError]) -> LoginSettings:
    check_login_scopes(settings.scopes, fail)
    return settings


def _v21_params(settings: LoginSettings) -> dict[str, str | None]:
    return {
        "scope": " ".join(settings.scopes),
        "response_mode": settings.response_mode if settings.response_mode != "query" else None,
        "prompt": settings.prompt,
        "bot_prompt": settings.bot_prompt,
        "ui_locales": settings.ui_locales,
        "max_age": None if settings.max_age is None else str(settings.max_age),
    }


_ONLY_V21 = "is a LINE Login v2.1 feature; LINE_LOGIN_VERSION is '2.0'"


def _v20_settings(read: ConfigReader, settings: LoginSettings) -> LoginSettings:
    """Settings only v2.1 understands are errors in v2.0, so a half-migrated config fails loudly."""
    if read.is_set("LINE_LOGIN_SCOPES") and set(settings.scopes) - {"profile"}:
        raise read.fail("LINE_LOGIN_SCOPES", f"'openid'/'email' {_ONLY_V21} (v2.0 has no scopes)")
    if settings.bot_prompt:
        raise read.fail("LINE_LOGIN_BOT_PROMPT", _ONLY_V21)
    if read.is_set("LINE_LOGIN_PKCE") and settings.pkce:
        raise read.fail("LINE_LOGIN_PKCE", _ONLY_V21 + " (set it to False)")
    if settings.response_mode != "query":
        raise read.fail("LINE_LOGIN_RESPONSE_MODE", _ONLY_V21)
    for key in ("LINE_LOGIN_PROMPT", "LINE_LOGIN_UI_LOCALES", "LINE_LOGIN_MAX_AGE"):
        if read.raw(key) not in (None, ""):
            raise read.fail(key, _ONLY_V21)
    # v2.0 has no scope parameter and no PKCE: the token always carries the profile permission.
    return replace(settings, scopes=("profile",), pkce=False)


def _v20_channel(settings: LoginSettings, fail: Callable[[str], ConfigurationError]) -> LoginSettings:
    """A channel of a v2.0 app: v2.1's options are errors there too."""
    if settings.bot_prompt:
        raise fail(f"bot_prompt {_ONLY_V21}")
    if set(settings.scopes) - {"profile"}:
        raise fail(f"'openid'/'email' {_ONLY_V21} (v2.0 has no scopes)")
    return replace(settings, scopes=("profile",), pkce=False)


V21 = LoginVersion(
    number="2.1",
    endpoint_prefix="LINE_LOGIN_",
    accepted_options=frozenset(LOGIN_OPTIONS),
    has_id_tokens=True,
    profile_scopes=frozenset({"profile"}),
    check_settings=_v21_settings,
    check_channel=_v21_channel,
    authorization_params=_v21_params,
    revoke_form=lambda token: (True, {"access_token": token.access_token}),
)

V20 = LoginVersion(
    number="2.0",
    endpoint_prefix="LINE_LOGIN_V20_",
    accepted_options=frozenset(),
    has_id_tokens=False,
    # v2.0 tokens report the profile permission as "P".
    profile_scopes=frozenset({"P", "profile"}),
    check_settings=_v20_settings,
    check_channel=_v20_channel,
    authorization_params=lambda settings: {},
    # v2.0 revokes with the refresh token, and sends no client credentials.
    revoke_form=lambda token: (False, {"refresh_token": token.refresh_token or ""}),
    # v2.0 sends errorCode=417 and errorMessage=DISALLOWED beside error=access_denied.
    denial_fields=(("errorCode", "error_code"), ("errorMessage", "error_message")),
    user_scopes=("profile",),
    deprecation="LINE Login v2.0 is deprecated by LINE; set LINE_LOGIN_VERSION='2.1' to migrate.",
)

#: Each ``LINE_LOGIN_VERSION``'s answers.
VERSIONS: dict[str, LoginVersion] = {"2.1": V21, "2.0": V20}
assert set(VERSIONS) == set(LOGIN_VERSIONS)


def configured_version(read: ConfigReader) -> LoginVersion:
    """The version ``LINE_LOGIN_VERSION`` names (``"2.1"``, or the number ``2.1`` as an env var gives it)."""
    value = read.raw("LINE_LOGIN_VERSION")
    if isinstance(value, float) and str(value) in VERSIONS:
        return VERSIONS[str(value)]
    return VERSIONS[str(read.choice("LINE_LOGIN_VERSION", LOGIN_VERSIONS, optional=False))]


def load_settings(read: ConfigReader) -> LoginSettings:
    """The LINE Login settings, checked by the rules of the configured version."""
    return configured_version(read).load_settings(read)
