"""Who the emulator knows: channels, LINE users, Official Accounts and LINE WORKS members, and the demo ones."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..demo import DEMO_PROVIDER

#: The Official Account linked to every LINE Login channel unless told otherwise (Brown Cafe).
DEMO_LINKED_BOT_ID = "Ub1f0c2a3d4e5f60718293a4b5c6d7e8f"


def provider_user_id(user_id: str, provider: str) -> str:
    """The id LINE gives the person ``user_id`` (their id under :data:`DEMO_PROVIDER`) at the channels of
    ``provider``: LINE issues one user id per provider. Stable, and shaped as LINE's (``U`` and 32 hex digits)."""
    if provider == DEMO_PROVIDER:
        return user_id
    return "U" + hashlib.sha256(f"{provider}\n{user_id}".encode()).hexdigest()[:32]


#: A LINE Login channel's status in the LINE Developers Console: a new channel is "Developing" (only people with
#: a role on it can log in) until it is published.
CHANNEL_STATUSES = ("developing", "published")

#: LINE's page for a person without a role on a channel in "Developing" status (LINE shows it in English).
DEVELOPING_REFUSAL = "400 Bad Request: This channel is now developing status. User need to have developer role."


@dataclass
class Channel:
    """A LINE Login channel the emulator knows: its secret, how its ID tokens are signed, and its Console settings.

    The Console defaults differ from a real new channel's where the demo and existing tests need it: a real new
    channel is "Developing" and has not applied for email permission; the emulator's channels are published and
    have it, unless told otherwise.
    """

    channel_id: str
    secret: str
    id_token_alg: str = "HS256"
    #: The Official Account linked to the channel (Console, "Linked LINE Official Account"); None: none is linked,
    #: so ``bot_prompt`` shows no add-friend option and ``friendFlag`` is always false.
    linked_bot: str | None = DEMO_LINKED_BOT_ID
    #: Console, "OpenID Connect - Email address permission" applied: False gives no ``email`` claim, even to a
    #: login that asked for the ``email`` scope and a user who consented.
    email_permission: bool = True
    #: ``"developing"`` or ``"published"`` (Console, channel status).
    status: str = "published"
    #: The users (LINE user ids) with a role on the channel (Console, "Roles"): the only ones who may log in while
    #: it is developing.
    roles: set[str] = field(default_factory=set)
    #: The provider the channel belongs to: its users' ids are this provider's (:func:`provider_user_id`).
    provider: str = DEMO_PROVIDER

    def __post_init__(self) -> None:
        if self.status not in CHANNEL_STATUSES:
            raise ValueError(f"a channel's status is one of {', '.join(CHANNEL_STATUSES)}, not {self.status!r}")
        self.roles = set(self.roles)

    def admits(self, user_id: str) -> bool:
        """Whether ``user_id`` may log in: anyone at a published channel, people with a role at a developing one."""
        return self.status == "published" or user_id in self.roles

    def app_settings(self) -> dict[str, str]:
        """The ``app.config`` entries of an app signing in with this channel."""
        return {"LINE_LOGIN_CHANNEL_ID": self.channel_id, "LINE_LOGIN_CHANNEL_SECRET": self.secret}


@dataclass
class EmulatedUser:
    """A LINE user the consent screen offers."""

    user_id: str
    display_name: str
    #: The user's picture (LINE serves pictures over HTTPS only); None: one the emulator draws.
    picture_url: str | None = None
    email: str | None = None
    status_message: str | None = None
    #: Whether the user starts as a friend of every Official Account the emulator knows.
    friend: bool = False
    #: False for a user who never set a picture: LINE then leaves ``pictureUrl`` (and ``picture``) out.
    has_picture: bool = True

    def __post_init__(self) -> None:
        if self.picture_url is not None and not self.picture_url.startswith("https://"):
            raise ValueError(f"LINE serves profile pictures over HTTPS only, not {self.picture_url!r}")


@dataclass
class EmulatedBot:
    """A LINE Official Account an admin can attach a module to."""

    bot_id: str
    display_name: str
    basic_id: str
    #: ``JP`` or ``TW``: an attach asking for another region does not offer it.
    region: str = "JP"
    #: ``premium``, ``verified`` or ``unverified``: an attach naming brand types offers only those.
    brand_type: str = "verified"


@dataclass
class EmulatedWorksMember:
    """A LINE WORKS member the sign-in screen offers."""

    user_id: str
    email: str
    last_name: str
    first_name: str
    domain_id: str = "10000001"

    @property
    def display_name(self) -> str:
        """The name the consent screen shows."""
        return f"{self.last_name} {self.first_name}"


@dataclass
class EmulatedWorksCompany:
    """A customer company of LINE WORKS: its domain, its members, and the app it added in its Developer Console
    (client id and secret, service account and that account's private key, which only this company's app holds).
    """

    domain_id: str
    name: str
    client_id: str
    client_secret: str
    service_account: str
    #: The service account's private key (PEM), as the company's Developer Console hands it out.
    private_key: str
    members: tuple[EmulatedWorksMember, ...] = ()

    def app_settings(self) -> dict[str, str]:
        """This company's entry of an app's ``LINE_WORKS_COMPANIES`` (client, service account and key)."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "service_account": self.service_account,
            "private_key": self.private_key,
        }


DEFAULT_USERS = (
    EmulatedUser("U4af4980629a1b2c3d4e5f60718293a4b", "Brown", email="brown@example.com", status_message="Hello!"),
    EmulatedUser("U5b0f2e3c4d5e6f708192a3b4c5d6e7f8", "Cony", email="cony@example.com", friend=True),
    EmulatedUser("U6c1a3f4d5e6f708192a3b4c5d6e7f809", "Sally", has_picture=False),
)

DEFAULT_BOTS = (
    EmulatedBot(DEMO_LINKED_BOT_ID, "Brown Cafe", "@browncafe"),
    EmulatedBot("Uc2a1d3b4e5f60718293a4b5c6d7e8f90", "Cony Flowers", "@conyflowers", "TW", "unverified"),
)

DEFAULT_WORKS_MEMBERS = (
    EmulatedWorksMember("a1b2c3d4-0000-4000-8000-000000000001", "alice@works.example", "Tanaka", "Alice"),
    EmulatedWorksMember("a1b2c3d4-0000-4000-8000-000000000002", "bob@works.example", "Sato", "Bob"),
)
