"""A local LINE platform emulator for demos and tests: every LINE endpoint flask-line uses, over real HTTP.

``LinePlatform`` is a WSGI app; ``EmulatorServer`` runs one on a free port in a background thread::

    from flask_line.testing import EmulatorServer

    with EmulatorServer() as line:
        app.config.update(line.app_config())
        ...

``LineTestClient`` (and the functions beside it) signs a test client in without the dance.

The emulator shares no rule with the rest of flask-line: it is written from LINE's documents, so a test that
passes against it checks the product against LINE, not against itself.
"""

from ..demo import (
    DEMO_CHANNEL_ID,
    DEMO_CHANNEL_SECRET,
    DEMO_MODULE_CHANNEL_ID,
    DEMO_MODULE_CHANNEL_SECRET,
    DEMO_WORKS_CLIENT_ID,
    DEMO_WORKS_CLIENT_SECRET,
    DEMO_WORKS_DOMAIN_ID,
    DEMO_WORKS_SERVICE_ACCOUNT,
)
from .accounts import EmulatedBot, EmulatedUser, EmulatedWorksCompany, EmulatedWorksMember
from .app_config import configure_app, restore_configured_apps
from .client import (
    LineTestClient,
    select_attachment,
    selected_bot_id,
    sign_in_line_user,
    sign_in_works_member,
    signed_in_line_token,
    signed_in_line_user,
    signed_in_works_member,
)
from .faults import Fault
from .platform import LinePlatform
from .server import AuthorizationResponse, EmulatorServer

__all__ = [
    "DEMO_CHANNEL_ID",
    "DEMO_CHANNEL_SECRET",
    "DEMO_MODULE_CHANNEL_ID",
    "DEMO_MODULE_CHANNEL_SECRET",
    "DEMO_WORKS_CLIENT_ID",
    "DEMO_WORKS_CLIENT_SECRET",
    "DEMO_WORKS_DOMAIN_ID",
    "DEMO_WORKS_SERVICE_ACCOUNT",
    "AuthorizationResponse",
    "EmulatedBot",
    "EmulatedUser",
    "EmulatedWorksCompany",
    "EmulatedWorksMember",
    "EmulatorServer",
    "Fault",
    "LinePlatform",
    "LineTestClient",
    "configure_app",
    "restore_configured_apps",
    "select_attachment",
    "selected_bot_id",
    "sign_in_line_user",
    "sign_in_works_member",
    "signed_in_line_token",
    "signed_in_line_user",
    "signed_in_works_member",
]
