"""The authorization dance every LINE flow shares, and nothing else: start, go to LINE, come back, verify, commit.

The product flows (``_login``, ``_module``, ``_works``) subclass :class:`~.authorization.AuthorizationFlow`;
this package owns ``state``, nonce, PKCE verifiers, pending authorizations, the ``next`` target, and the meaning
of LINE's callback errors for all of them. It imports no product (an import-linter contract keeps it so).
"""
