"""A local LINE platform emulator for demos and tests: every LINE endpoint flask-line uses, over real HTTP.

``LinePlatform`` is a WSGI app; ``EmulatorServer`` runs one on a free port in a background thread::

    from flask_line.testing import EmulatorServer

    with EmulatorServer() as line:
        app.config.update(line.app_config())
        ...
"""

from .platform import EmulatedUser, LinePlatform
from .server import AuthorizationResponse, EmulatorServer

__all__ = ["AuthorizationResponse", "EmulatedUser", "EmulatorServer", "LinePlatform"]
