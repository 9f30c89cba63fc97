"""The demo channels every LINE emulator accepts (``make demo``, ``line-emulator``, the test fixtures): ids and
secrets that only an emulator knows, for a site to fall back on when it has no channel of its own yet.

Constants only: a site importing them loads nothing else (the emulator, :mod:`flask_line.testing`, re-exports them).
"""

from __future__ import annotations

#: The LINE Login channel the demo and the test fixtures use unless told otherwise.
DEMO_CHANNEL_ID = "1650000000"
#: The demo LINE Login channel's secret.
DEMO_CHANNEL_SECRET = "emulator-demo-channel-secret-0001"
#: The demo module channel (attach an Official Account with it).
DEMO_MODULE_CHANNEL_ID = "2000000000"
#: The demo module channel's secret.
DEMO_MODULE_CHANNEL_SECRET = "emulator-demo-module-secret-0001"
#: The demo LINE WORKS app's client id.
DEMO_WORKS_CLIENT_ID = "works-demo-client"
#: The demo LINE WORKS app's client secret.
DEMO_WORKS_CLIENT_SECRET = "emulator-demo-works-secret-0001"
#: The demo LINE WORKS app's service account (its key: ``EmulatorServer.app_config()``).
DEMO_WORKS_SERVICE_ACCOUNT = "demo.serviceaccount@works.example"
#: The company (domain) of the demo LINE WORKS app and of its members, Alice and Bob.
DEMO_WORKS_DOMAIN_ID = "10000001"
#: The provider of every emulated channel unless told otherwise: the demo LINE Login channel and the demo Messaging
#: API channel share it (``LINE_MESSAGING_PROVIDER``).
DEMO_PROVIDER = "emulator-demo-provider"
#: The demo Messaging API channel (its Official Account shares :data:`DEMO_PROVIDER` with the demo LINE Login channel).
DEMO_MESSAGING_CHANNEL_ID = "2100000000"
#: The demo Messaging API channel's secret.
DEMO_MESSAGING_CHANNEL_SECRET = "emulator-demo-messaging-secret-01"
