"""The sign-in flows by name: each one's pending kind and signals (succeeded, denied, failed), in one place.

The runtime and the blueprint's callbacks need them before a flow is known (an unreadable session, an unknown state,
the household's records): they read them here, so a site without LINE WORKS or module channels never loads those
flows' code.
"""

from __future__ import annotations

from . import signals
from ._flow.authorization import FlowSignals

#: Pending kind of a LINE Login (a channel's is ``login:<channel id>``).
LOGIN_KIND = "login"
#: Pending kind of a LINE WORKS sign-in (a company's is ``works:<client id>``).
WORKS_SIGN_IN_KIND = "works"

LOGIN_SIGNALS = FlowSignals(signals.login_succeeded, signals.login_denied, signals.login_failed)
WORKS_SIGN_IN_SIGNALS = FlowSignals(
    signals.works_login_succeeded, signals.works_login_denied, signals.works_login_failed
)
ATTACH_SIGNALS = FlowSignals(signals.module_attached, signals.module_attach_denied, signals.module_attach_failed)
