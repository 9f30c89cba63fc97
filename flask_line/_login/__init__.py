"""LINE Login: one flow class, with a small subclass per LINE Login version (v2.1 and the deprecated v2.0)."""

from __future__ import annotations

from .._config import ConfigReader
from .flow import LoginFlow
from .settings import LOGIN_VERSIONS, LoginSettings
from .v20 import LoginV20Flow
from .v21 import LoginV21Flow

#: The flow class of each ``LINE_LOGIN_VERSION``.
FLOWS: dict[str, type[LoginFlow]] = {"2.1": LoginV21Flow, "2.0": LoginV20Flow}
assert set(FLOWS) == set(LOGIN_VERSIONS)


def flow_class(read: ConfigReader) -> type[LoginFlow]:
    """The flow class ``LINE_LOGIN_VERSION`` names (``"2.1"``, or the number ``2.1`` as an env var gives it)."""
    value = read.raw("LINE_LOGIN_VERSION")
    if isinstance(value, float) and str(value) in FLOWS:
        return FLOWS[str(value)]
    version = read.choice("LINE_LOGIN_VERSION", LOGIN_VERSIONS, optional=False)
    return FLOWS[str(version)]


def load_settings(read: ConfigReader) -> LoginSettings:
    """The LINE Login settings, checked by the rules of the configured version."""
    return flow_class(read).load_settings(read)
